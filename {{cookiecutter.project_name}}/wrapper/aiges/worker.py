"""``aiges.worker``: the vendor SDK's model worker thread (``Worker``) and inference interface (``InferClass``).

A wrapper registers an :class:`InferClass` (or a function) with a :class:`Worker`, starts it, and
puts requests on ``worker.in_q``; the worker calls ``predict(req=request)``, which returns
``(output, all_done)``, until ``all_done`` or ``stop()``. Outputs that are not None go to
``worker.out_q``. API as in the vendor SDK 0.16.0; fixed: ``register_infer_class`` really checks
what it is given (the vendor tested ``isinstance(isinstance, ...)``, so anything passed), the
thread's ``name`` is set properly (the vendor's became ``"None"``), ``context`` is not a dict
shared by every worker, ``setHandle`` before registering is remembered instead of raising, the
thread is a daemon (a forgotten worker no longer keeps the process alive), and an exception in
``predict`` is logged with its traceback instead of killing the worker.
"""

import abc
import queue
import threading
from typing import Any, Callable, Dict, Optional

from aiges.utils.log import log

POLL_SECONDS = 0.5  # how often a waiting worker looks at is_stopping


class InferClass(abc.ABC):
    """What a Worker runs: ``predict(req=...)`` returns ``(output, all_done)``."""

    @abc.abstractmethod
    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """Process one request; return ``(output, all_done)``."""

    def setHandle(self, hdl: Any) -> None:  # noqa: N802 (vendor API)
        self.handle = hdl


class Worker(threading.Thread):
    """A thread that feeds requests from ``in_q`` to the registered inference."""

    def __init__(
        self, name: Optional[str] = None, _type: str = "thread", nums: int = 1, context: Optional[Dict[str, Any]] = None
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._type = _type
        self.nums = nums
        self.context: Dict[str, Any] = dict(context) if context else {}
        self.in_q: queue.Queue[Any] = queue.Queue()
        self.out_q: queue.Queue[Any] = queue.Queue()
        self.infer_class: Any = None
        self.infer_func: Optional[Callable[..., Any]] = None
        self.callback_fn: Optional[Callable[..., Any]] = None
        self.is_stopping = False
        self._handle: Any = None

    def stop(self) -> None:
        self.is_stopping = True

    def register_infer_class(self, instance: Any) -> None:
        """Use ``instance.predict``: an InferClass, or any object with a callable ``predict``."""
        if isinstance(instance, type) or not callable(getattr(instance, "predict", None)):
            raise TypeError(
                "register_infer_class needs an instance with a predict(req=...) method (an "
                "aiges.worker.InferClass), got %r" % (instance,)
            )
        self.infer_class = instance
        if self._handle is not None and hasattr(instance, "setHandle"):
            instance.setHandle(self._handle)

    def register_infer_func(self, infer: Callable[..., Any]) -> None:
        """Use a function ``infer(req=...) -> (output, all_done)`` when no class is registered."""
        if not callable(infer):
            raise TypeError("register_infer_func needs a callable, got %r" % (infer,))
        self.infer_func = infer

    def register_callback(self, cb: Callable[..., Any]) -> None:
        self.callback_fn = cb

    def setHandle(self, hdl: Any) -> None:  # noqa: N802 (vendor API)
        self._handle = hdl
        if self.infer_class is not None and hasattr(self.infer_class, "setHandle"):
            self.infer_class.setHandle(hdl)

    def create(self, params: Optional[Dict[str, Any]] = None) -> None:
        """Vendor hook for a session start; a subclass may override it."""

    def _infer(self) -> Optional[Callable[..., Any]]:
        if self.infer_class is not None:
            return self.infer_class.predict
        return self.infer_func

    def _serve(self, request: Any) -> bool:
        """One request through the inference, its output to ``out_q``; True when it said all is done."""
        infer = self._infer()
        if infer is None:
            log.error("worker %s got a request but has no inference registered; dropped", self.name)
            return False
        try:
            result = infer(req=request)
        except Exception:  # noqa: BLE001 - a failing request must not end the worker
            log.exception("worker %s: predict raised", self.name)
            return False
        output, all_done = result if isinstance(result, tuple) and len(result) == 2 else (result, False)
        if output is not None:
            self.out_q.put(output)
        return bool(all_done)

    def run(self) -> None:
        if self._infer() is None:
            log.warning("worker %s started without an inference: register_infer_class() first", self.name)
        while not self.is_stopping:
            try:
                request = self.in_q.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            all_done = self._serve(request)
            del request  # waiting for the next must not keep this one alive
            if all_done:
                break
