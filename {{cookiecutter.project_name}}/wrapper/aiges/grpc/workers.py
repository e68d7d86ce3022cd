"""The threads that run wrapper code, and the bound on how many wrapper calls run at once.

Why not the gRPC server's own pool: that pool also serves the long-lived streams (``communicate``,
stdio, broker) and health checks, which must never wait behind a slow wrapper, and a wrapper must
never wait for a thread held by a stream (the vendor server deadlocked on one CPU, docs/explanation/vendor-fixes.md).
Once requests are queued fire-and-forget (their results go to ``communicate``); session calls are
queued too and their gRPC thread waits for the answer.

A transport thread that read a once request may run it itself (``adopt``) when a wrapper slot is
free and it can hand its own duty to a standby thread (the built-in transport's connection readers
do: see ``aiges.grpc.h2.connection``). The request then starts without a hand-over between threads,
which on Python 3.9 costs tens of microseconds per hop. ``count`` slots bound all wrapper calls,
wherever they run.

The queue is bounded (``limit`` calls waiting beyond the ``count`` running): the loader admits up to
its ``[fc] max`` requests at once and the plugin queues what its workers cannot run yet, but a
queue without bound would hide a misconfiguration as ever-growing latency. Beyond it
:class:`QueueFull` is raised at once, and the caller answers that request with an error.
"""

import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Optional, Tuple

log = logging.getLogger("aiges.serve")

_STOP = None
DEFAULT_QUEUE = 1000  # the loader's samples admit at most 1000 ([fc] max)


class QueueFull(Exception):
    """``count`` calls run and ``limit`` wait: this one is refused (its caller answers it with an error)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            "the plugin's queue is full: %d wrapper call(s) running and %d waiting (aiges.serve "
            "--workers %d --queue %d); the loader admits more requests than the plugin can queue: "
            "lower [fc] max (fc_max in [tool.aiges]) or raise --queue" % (count, limit, count, limit)
        )
        self.count = count
        self.limit = limit


_hosts = threading.local()


class Host:
    """A thread that can run a job itself after handing its own work on (see :func:`hosting`)."""

    def adopt(self, job: Callable[[], None]) -> bool:
        """Take ``job`` to run on this thread soon; False when it cannot (the caller queues it)."""
        raise NotImplementedError


def hosting(host: Optional[Host]) -> None:
    """Declare (or with None, clear) the :class:`Host` the current thread is acting for."""
    _hosts.current = host


class Workers:
    def __init__(self, count: int, limit: int = DEFAULT_QUEUE) -> None:
        self.count = max(1, count)
        self.limit = max(0, limit)
        self._capacity = self.count + self.limit
        self._slots = threading.BoundedSemaphore(self.count)  # wrapper calls running, wherever they run
        self._queue: queue.SimpleQueue[Optional[Tuple[Callable[..., Any], Tuple[Any, ...], Optional[Future]]]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()  # a bare lock: the count is on every request's path
        self.in_flight = 0
        self._threads = [
            threading.Thread(target=self._run, name="aiges-worker-%d" % index, daemon=True)
            for index in range(self.count)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on a worker, or on this thread when it hosts; nobody waits for it.

        Raises :class:`QueueFull` (nothing is queued) when ``limit`` calls are already waiting."""
        self._admit()
        host = getattr(_hosts, "current", None)
        if host is not None and self._slots.acquire(blocking=False):
            if host.adopt(lambda: self._run_adopted(function, args)):
                return
            self._slots.release()
        self._queue.put((function, args, None))

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` on a worker and wait for its result (or exception)."""
        future: Future = Future()
        self._admit()
        self._queue.put((function, args, future))
        return future.result()

    def _admit(self) -> None:
        with self._lock:
            if self.in_flight >= self._capacity:
                raise QueueFull(self.count, self.limit)
            self.in_flight += 1

    def _count(self, step: int) -> None:
        with self._lock:
            self.in_flight += step

    def _run_adopted(self, function: Callable[..., Any], args: Tuple[Any, ...]) -> None:
        try:
            function(*args)
        except BaseException:
            log.exception("unexpected error in a wrapper call")
        finally:
            self._slots.release()
            self._count(-1)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            self._run_job(*job)
            del job  # an idle worker must not keep its last request (a 100 MB payload) alive

    def _run_job(self, function: Callable[..., Any], args: Tuple[Any, ...], future: Optional[Future]) -> None:
        self._slots.acquire()
        try:
            result = function(*args)
        except BaseException as error:
            if future is not None:
                future.set_exception(error)
            else:
                log.exception("unexpected error in a worker")
        else:
            if future is not None:
                future.set_result(result)
        finally:
            self._slots.release()
            self._count(-1)

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until no job is queued or running; True when idle (shutdown only)."""
        deadline = time.monotonic() + timeout
        while self.in_flight > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.in_flight <= 0

    def stop(self) -> None:
        """Let the threads end after the jobs already queued (they are daemons: exit never waits)."""
        for _ in self._threads:
            self._queue.put(_STOP)
