"""Session helpers used by real stream (session) wrappers: a pool of handles bound to worker threads.

API as in the vendor SDK (docs/reference/runtime-api.md#session-helpers): ``self.session`` is a :class:`SessionManager`;
``init_handle_pool("thread", n, MyThreadCls)`` pre-creates ``n`` workers named
``Process-0-Thread-<i>``, each running one ``MyThreadCls(worker, in_q, out_q)``;
``get_idle_handle()`` reserves one, ``get_session(handle)`` returns its worker, whose
``setup_sid``/``setup_params``/``setup_callback_fn``/``in_q``/``reset()`` the wrapper uses.

Fixed: threads are daemons (the vendor used deprecated ``setDaemon`` and could keep the process
alive), handle reservation is atomic, and ``stop()`` ends every worker. As in the vendor,
``is_stopping`` is a plain, assignable flag on both thread classes: real wrappers set
``self.is_stopping = False`` in ``__init__`` and ``True`` in their own ``stop()``. Reading it is also
true once the pool is stopped, so a handler loop written ``while not self.is_stopping`` ends with it.
"""

import queue
import threading
from typing import Any, Callable, Dict, Optional, Tuple

from aiges.core.types import PROCESS_MODE, THREAD_MODE

_reserve_lock = threading.Lock()


class StreamHandleThread(threading.Thread):
    """Base class of the per-session processing thread; subclasses override ``run``.

    A typical ``run`` loops ``while not self.is_stopping``, takes requests from ``self.in_q`` with
    a timeout, and delivers results with ``self.session_thread.callback_fn(response, sid)``.
    """

    def __init__(self, session_thread: "WorkerThread", in_q: "queue.Queue[Any]", out_q: "queue.Queue[Any]") -> None:
        super().__init__(name=getattr(session_thread, "handle", None), daemon=True)
        self.session_thread = session_thread
        self.in_q = in_q
        self.out_q = out_q

    @property
    def is_stopping(self) -> bool:
        """True after ``stop()``, after the wrapper set it, or once the owning worker was stopped."""
        if self.__dict__.get("_stop_requested", False):
            return True
        owner = self.__dict__.get("session_thread")
        stopping = getattr(owner, "stopping", None)
        return bool(stopping is not None and stopping.is_set())

    @is_stopping.setter
    def is_stopping(self, value: bool) -> None:
        self.__dict__["_stop_requested"] = bool(value)

    def init_model(self, *args: Any, **kwargs: Any) -> None:
        """Vendor hook: load the model of this handler (a subclass implements it when it uses it)."""
        raise NotImplementedError("%s.init_model is not implemented" % type(self).__name__)

    def stop(self) -> None:
        self.is_stopping = True

    def run(self) -> None:  # pragma: no cover - meant to be overridden
        self.session_thread.stopping.wait()


class WorkerThread(threading.Thread):
    """Holds one session's context (sid, params, callback, queues) and runs its handler thread."""

    def __init__(self, handle: str) -> None:
        super().__init__(name=handle, daemon=True)
        self.handle = handle
        self.sid = ""
        self.in_q: queue.Queue[Any] = queue.Queue()
        self.out_q: queue.Queue[Any] = queue.Queue()
        self.is_idle = True
        self.params: Any = {}
        self.callback_fn: Optional[Callable[..., Any]] = None
        self.StreamHandleThreadClass: type = StreamHandleThread
        self.stopping: threading.Event = self.__dict__.get("stopping") or threading.Event()

    @property
    def is_stopping(self) -> bool:
        """The vendor's flag, kept in step with ``stopping`` (assigning True stops the worker)."""
        return self.stopping.is_set()

    @is_stopping.setter
    def is_stopping(self, value: bool) -> None:
        stopping = self.__dict__.setdefault("stopping", threading.Event())  # may run before __init__'s own
        if value:
            stopping.set()
        else:
            stopping.clear()

    def init_model(self, *args: Any, **kwargs: Any) -> None:
        """Vendor hook, never called by the runtime."""
        raise NotImplementedError("%s.init_model is not implemented" % type(self).__name__)

    @property
    def idle(self) -> bool:
        return self.is_idle

    def setup_sid(self, sid: str) -> None:
        self.sid = sid

    def setup_params(self, params: Any) -> None:
        self.params = params
        self.is_idle = False

    def setup_callback_fn(self, callback: Callable[..., Any]) -> None:
        self.callback_fn = callback

    def reset(self) -> None:
        """Forget the session and return the handle to the pool."""
        self.sid = ""
        self.params = {}
        for pending in (self.in_q, self.out_q):
            with pending.mutex:
                pending.queue.clear()
        self.is_idle = True

    def setStreamHandleThreadClass(self, cls: type) -> None:  # noqa: N802 (vendor API)
        if not (isinstance(cls, type) and issubclass(cls, threading.Thread)):
            raise TypeError("the stream handler class must subclass aiges.stream.StreamHandleThread, got %r" % (cls,))
        self.StreamHandleThreadClass = cls

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        handler = self.StreamHandleThreadClass(self, self.in_q, self.out_q)
        handler.daemon = True
        handler.start()
        handler.join()


class Pool:
    """Handles bound to workers."""

    def __init__(self) -> None:
        self.workers: Dict[str, WorkerThread] = {}

    def get_thread(self, handle: str) -> Optional[WorkerThread]:
        return self.workers.get(handle)

    def get_idle_thread_handle(self) -> Tuple[Optional[str], Optional[WorkerThread]]:
        with _reserve_lock:
            for handle, worker in self.workers.items():
                if worker.idle:
                    worker.is_idle = False
                    return handle, worker
        return None, None

    def reset_thread(self, handle: str) -> None:
        worker = self.workers.get(handle)
        if worker is not None:
            worker.reset()

    def set_idle(self, handle: str) -> None:
        worker = self.workers.get(handle)
        if worker is not None:
            worker.is_idle = True

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()


class ThreadPool(Pool):
    def __init__(self, handler_cls: type, process_no: int = 0, nums: int = 10) -> None:
        super().__init__()
        for index in range(nums):
            handle = "Process-%s-Thread-%d" % (process_no, index)
            worker = WorkerThread(handle)
            worker.setStreamHandleThreadClass(handler_cls)
            self.workers[handle] = worker
            worker.start()


class ProcessThreadPool(ThreadPool):
    """The vendor's process pool never worked (its workers lived in child processes the parent could not
    reach); kept as a name, it serves ``procs * threads_per_cpu`` handles with threads."""

    def __init__(self, reqWorkerHandleCls: type, procs: int = 2, threads_per_cpu: int = 5) -> None:  # noqa: N803
        super().__init__(reqWorkerHandleCls, 0, procs * threads_per_cpu)


class Context:
    """A session's context as the vendor's request helpers kept it: sid, params, data, callback handle."""

    sid: str
    params: Any
    data: Any
    callback_handle: Any
    session_destroyed: bool

    def __init__(self) -> None:
        self.reset_ctx()

    def set_data(self, data: Any) -> None:
        self.data = data

    def set_callback_handle(self, s: Any) -> None:
        self.callback_handle = s

    def set_sid(self, sid: str) -> None:
        self.sid = sid

    def set_params(self, params: Any) -> None:
        self.params = params

    def set_destroyed(self) -> None:
        self.session_destroyed = True

    def reset_ctx(self) -> None:
        self.sid = ""
        self.params = {}
        self.data = None
        self.callback_handle = ""
        self.session_destroyed = False


class SessionManager:
    """What ``self.session`` of a wrapper is: the handle pool of a stream wrapper."""

    def __init__(self, config: Optional[Dict[str, Any]] = None, mode: str = THREAD_MODE, nums: int = 0) -> None:
        self.initialized = False
        self.code = 0
        self.wrapperConfig: Dict[str, Any] = dict(config or {})
        self.handle_pool: Pool = Pool()
        self.lock = threading.Lock()

    def init_wrapper_config(self, config: Optional[Dict[str, Any]] = None) -> None:
        self.wrapperConfig = dict(config or {})

    def init_handle_pool(self, mode: str, nums: int, ReqThreadCls: type) -> None:  # noqa: N803 (vendor API)
        """Start ``nums`` workers. Process mode never worked in the vendor SDK; threads are used."""
        if mode not in (THREAD_MODE, PROCESS_MODE):
            raise ValueError("handle pool mode must be %r or %r, got %r" % (THREAD_MODE, PROCESS_MODE, mode))
        self.handle_pool.stop()
        self.handle_pool = self.init_threads(ReqThreadCls, nums)
        self.initialized = True

    def init_threads(self, ReqThreadCls: type, nums: int = 10) -> "ThreadPool":  # noqa: N803 (vendor API)
        """A pool of ``nums`` workers running ``ReqThreadCls`` (what ``init_handle_pool`` uses)."""
        return ThreadPool(ReqThreadCls, 0, nums)

    def init_processes(
        self,
        ReqThreadCls: type,  # noqa: N803
        procs: int = 2,
        threads_per_cpu: int = 5,
    ) -> "ThreadPool":
        """The vendor's process mode never worked; the same number of handles is served by threads."""
        return ProcessThreadPool(ReqThreadCls, procs, threads_per_cpu)

    def get_session(self, handle: str) -> Optional[WorkerThread]:
        return self.handle_pool.get_thread(handle)

    def get_idle_handle(self) -> Optional[str]:
        handle, _ = self.handle_pool.get_idle_thread_handle()
        return handle

    def set_idle_session(self, handle: str) -> None:
        self.handle_pool.set_idle(handle)

    def reset_session(self, handle: str) -> None:
        self.handle_pool.reset_thread(handle)

    def push_back(self, handle: str) -> None:
        self.reset_session(handle)

    def stop(self) -> None:
        """Stop every worker (at wrapperFini or server shutdown)."""
        self.handle_pool.stop()
