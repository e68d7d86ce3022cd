"""The call orders of the loader, run against a wrapper with every call guarded and timed.

once:    wrapperInit(config) -> wrapperOnceExec (or wrapperOnceExecAsync + callback) -> wrapperFini
session: wrapperInit -> wrapperCreate -> wrapperWrite x N (begin/continue/end frames) -> results by
         wrapperRead or by callback -> wrapperDestroy -> wrapperFini

A call that raises, returns the wrong thing or never returns is a failure of its phase; the run
goes on to Fini where that still makes sense, and never hangs (every wait has a timeout).
"""

import dataclasses
import queue
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiges import calling
from aiges import resultchecks as checks
from aiges.callback import install_sink
from aiges.declarations import Declarations
from aiges.fields import PayloadField
from aiges.tools.localrun.inputs import Sample, once_request, session_frames


class PhaseFailed(Exception):
    """A phase of the call order failed; the message says which and why."""

    def __init__(self, phase: str, message: str, details: str = "", error: Optional[BaseException] = None) -> None:
        super().__init__("%s: %s" % (phase, message))
        self.phase = phase
        self.message = message
        self.details = details
        self.error = error  # the wrapper's exception, when it raised
        self.served_ret: Optional[int] = None  # gRPC emulation: the ret aiges.serve answers (see served_ret)


@dataclasses.dataclass
class Context:
    """Everything one run needs: the wrapper, what to send, and how to behave like the loader."""

    wrapper: Any
    declarations: Declarations
    config: Dict[str, Any]
    params: Dict[str, Any]
    samples: List[Sample]
    emulate: str
    asynchronous: bool
    timeout: float
    slice_size: int = 1280
    on_callback: Optional[Callable[[str, Any], None]] = None
    collector: Optional["Collector"] = None

    @property
    def accepts(self) -> Dict[str, PayloadField]:
        return {field.key: field for field in self.declarations.accepts}

    @property
    def checked_accepts(self) -> Optional[Dict[str, PayloadField]]:
        """The outputs results are checked against; None (any key) when the wrapper declares no fields."""
        return None if self.declarations.undeclared else self.accepts

    @property
    def bytes_only(self) -> bool:
        return self.emulate != "off"

    def params_for(self, sid: str) -> Dict[str, Any]:
        params = dict(self.params)
        if "sid" in params:
            params["sid"] = sid
        return params


@dataclasses.dataclass
class ThreadDeath:
    """A thread of the wrapper (e.g. a stream worker) that ended with an exception."""

    thread: str
    error: BaseException
    trace: str

    def describe(self) -> str:
        return "thread %r died with %s: %s" % (self.thread, type(self.error).__name__, self.error)


class Collector:
    """Receives results delivered through ``callback`` and routes them to waiters by tag.

    While active it also catches exceptions that end any thread (``threading.excepthook``): a stream
    wrapper's worker thread that dies means no result will ever come, so the run reports that death
    (with its traceback) at once instead of waiting out the timeout.
    """

    def __init__(self) -> None:
        self._queues: Dict[str, queue.Queue[Any]] = {}
        self._lock = threading.Lock()
        self._previous: Any = None
        self._previous_hook: Any = None
        self.listener: Optional[Callable[[str, Any], None]] = None
        self.deaths: List[ThreadDeath] = []
        self._reported = 0

    def _thread_died(self, hook_args: Any) -> None:
        if hook_args.exc_type is SystemExit:
            return
        trace = "".join(traceback.format_exception(hook_args.exc_type, hook_args.exc_value, hook_args.exc_traceback))
        name = hook_args.thread.name if hook_args.thread is not None else "?"
        with self._lock:
            self.deaths.append(ThreadDeath(name, hook_args.exc_value, trace))
        for waiting in list(self._queues.values()):
            waiting.put(_WAKE)  # wake a waiter so it sees the death now

    def check_threads(self, phase: str) -> None:
        """Raise PhaseFailed for the first thread death not reported yet."""
        with self._lock:
            if self._reported >= len(self.deaths):
                return
            death = self.deaths[self._reported]
            self._reported = len(self.deaths)
        raise PhaseFailed(
            phase,
            "a thread of the wrapper ended with an exception, so its results will never come: %s" % death.describe(),
            death.trace,
        )

    def queue_for(self, tag: str) -> "queue.Queue[Any]":
        with self._lock:
            return self._queues.setdefault(tag, queue.Queue())

    def __call__(self, response: Any, tag: str) -> None:
        if self.listener is not None:
            self.listener(tag, response)
        self.queue_for(tag).put(response)

    def __enter__(self) -> "Collector":
        self._previous = install_sink(self)
        self._previous_hook = threading.excepthook
        threading.excepthook = self._thread_died
        return self

    def __exit__(self, *_: Any) -> None:
        threading.excepthook = self._previous_hook
        install_sink(self._previous)


_WAKE = object()  # put on a result queue when a thread dies: not a result


def guarded(phase: str, timeout: float, function: Callable[[], Any]) -> Tuple[Any, float]:
    """Run ``function`` in a daemon thread; raise PhaseFailed on exception or after ``timeout`` s."""
    outcome: Dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - reported as the phase's failure
            outcome["error"] = error
            outcome["trace"] = traceback.format_exc()

    started = time.perf_counter()
    worker = threading.Thread(target=target, name="aiges-run-" + phase, daemon=True)
    worker.start()
    worker.join(timeout)
    elapsed = time.perf_counter() - started
    if worker.is_alive():
        raise PhaseFailed(phase, "did not return within %.0f s (--timeout)" % timeout)
    if "error" in outcome:
        error = outcome["error"]
        raise PhaseFailed(phase, "raised %s: %s" % (type(error).__name__, error), outcome["trace"], error)
    return outcome.get("value"), elapsed


_UNSET = object()


def served_ret(
    context: Context,
    result: Any = None,
    error: Optional[BaseException] = None,
    returned: Any = None,
    created: Any = _UNSET,
    code: Any = _UNSET,
) -> Optional[int]:
    """gRPC emulation: the ``ret`` (or session ``err_code``) aiges.serve answers this outcome with, by
    the server's own conversion (:mod:`aiges.grpc.convert`): for an exception, for a Response
    ``result``, for a code ``returned`` by wrapperOnceExecAsync, for what wrapperCreate returned
    (``created``), or for the code wrapperWrite returned (``code``). None in the other emulations or
    without protobuf."""
    if context.emulate != "grpc":
        return None
    try:
        from aiges.grpc import convert  # gRPC emulation only: needs protobuf, an optional dependency of the local run
    except ImportError:  # protobuf is missing: the server could not run either
        return None
    if error is not None:
        return convert.raised(error).code
    if created is not _UNSET:
        return convert.created(created)[1] or None
    if code is not _UNSET:
        return convert.code_ret(code) or None
    if returned is not None:
        return convert.returned_ret(returned)
    return convert.once_ret(result) or None


def serving_failure(context: Context, failure: PhaseFailed, **outcome: Any) -> PhaseFailed:
    """``failure`` with the code aiges.serve answers the same outcome with (gRPC emulation)."""
    if failure.error is not None or outcome:
        failure.served_ret = served_ret(context, error=failure.error, **outcome)
    return failure


def expect_zero(phase: str, wrapper: Any, result: Any) -> None:
    if isinstance(result, bool) or not isinstance(result, int):
        raise PhaseFailed(phase, "returned %r; it must return an int (0 = success)" % (result,))
    if result != 0:
        raise PhaseFailed(phase, "returned error code %d: %s" % (result, calling.error_text(wrapper, result)))


def init(context: Context) -> float:
    result, elapsed = guarded(
        "wrapperInit",
        context.timeout,
        lambda: calling.call_flexibly(context.wrapper.wrapperInit, [("config", context.config)]),
    )
    expect_zero("wrapperInit", context.wrapper, result)
    if context.collector is not None:
        context.collector.check_threads("wrapperInit")
    return elapsed


def fini(context: Context) -> float:
    result, elapsed = guarded(
        "wrapperFini", context.timeout, lambda: calling.call_flexibly(context.wrapper.wrapperFini, [])
    )
    expect_zero("wrapperFini", context.wrapper, result)
    return elapsed


def execute_once(context: Context, collector: Collector, sid: str) -> Tuple[Any, float]:
    """One once request; returns the checked Response and its latency. Raises PhaseFailed."""
    request = once_request(context.samples)
    canonical = [("params", context.params_for(sid)), ("reqData", request), ("usrTag", sid), ("persId", 0)]
    wrapper = context.wrapper
    if context.asynchronous:
        waiting = collector.queue_for(sid)
        started = time.perf_counter()
        try:
            result, _ = guarded(
                "wrapperOnceExecAsync",
                context.timeout,
                lambda: calling.call_flexibly(wrapper.wrapperOnceExecAsync, canonical),
            )
        except PhaseFailed as failure:
            failure.served_ret = served_ret(context, error=failure.error) if failure.error is not None else None
            raise
        try:
            expect_zero("wrapperOnceExecAsync", wrapper, result)
        except PhaseFailed as failure:
            failure.served_ret = served_ret(context, returned=result)
            raise
        response = _WAKE
        deadline = time.monotonic() + context.timeout
        while response is _WAKE:
            collector.check_threads("wrapperOnceExecAsync")
            try:
                response = waiting.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise PhaseFailed(
                    "wrapperOnceExecAsync",
                    "returned 0 but no result reached callback(resp, usrTag=%r) within %.0f s" % (sid, context.timeout),
                ) from None
        elapsed = time.perf_counter() - started
        phase = "wrapperOnceExecAsync"
    else:
        try:
            response, elapsed = guarded(
                "wrapperOnceExec", context.timeout, lambda: calling.call_flexibly(wrapper.wrapperOnceExec, canonical)
            )
        except PhaseFailed as failure:
            failure.served_ret = served_ret(context, error=failure.error) if failure.error is not None else None
            raise
        phase = "wrapperOnceExec"
    problems = checks.response_problems(response, context.checked_accepts, context.bytes_only, once=True)
    code = checks.error_code_of(response)
    rejected = None
    if problems:
        rejected = PhaseFailed(phase, "its response would be rejected by the loader:\n- " + "\n- ".join(problems))
    elif code:
        rejected = PhaseFailed(phase, "answered with error code %d: %s" % (code, calling.error_text(wrapper, code)))
    if rejected is not None:
        rejected.served_ret = served_ret(context, result=response)
        raise rejected
    return response, elapsed


@dataclasses.dataclass
class SessionResult:
    handle: str
    nodes: List[Any]
    timings: Dict[str, float]


def execute_session(context: Context, collector: Collector, sid: str) -> SessionResult:
    """One whole session: Create, Write every frame, gather results until End, Destroy."""
    wrapper = context.wrapper
    params = context.params_for(sid)
    timings: Dict[str, float] = {}
    try:
        created, timings["wrapperCreate"] = guarded(
            "wrapperCreate",
            context.timeout,
            lambda: calling.call_flexibly(
                wrapper.wrapperCreate, [("params", params), ("sid", sid), ("persId", 0), ("usrTag", sid)]
            ),
        )
    except PhaseFailed as failure:
        raise serving_failure(context, failure) from None
    handle, code = calling.session_handle(created)
    if code or not handle:
        own_code = code if code and hasattr(created, "error_code") else 0  # a bare str has no code of its own
        refused = PhaseFailed(
            "wrapperCreate",
            "returned %r: no session handle%s"
            % (created, " (error %d: %s)" % (own_code, calling.error_text(wrapper, own_code)) if own_code else ""),
        )
        raise serving_failure(context, refused, created=created)
    nodes: List[Any] = []
    arrivals = collector.queue_for(sid)
    reads = "wrapperRead" in context.declarations.methods
    finished = False
    try:
        timings["wrapperWrite"] = 0.0
        for frame in session_frames(context.samples, context.slice_size):

            def write(frame: Any = frame) -> Any:  # this loop's frame
                return calling.call_flexibly(
                    wrapper.wrapperWrite, [("handle", handle), ("reqData", frame), ("sid", sid)]
                )

            try:
                result, elapsed = guarded("wrapperWrite", context.timeout, write)
            except PhaseFailed as failure:
                raise serving_failure(context, failure) from None
            timings["wrapperWrite"] += elapsed
            try:
                expect_zero("wrapperWrite", wrapper, result)
            except PhaseFailed as failure:
                raise serving_failure(context, failure, code=result) from None
            finished = gather_results(context, arrivals, nodes, handle, sid, reads, wait=0.0) or finished
            collector.check_threads("wrapperWrite")
        deadline = time.monotonic() + context.timeout
        while not finished and time.monotonic() < deadline:
            finished = gather_results(context, arrivals, nodes, handle, sid, reads, wait=0.05)
            if not finished:
                collector.check_threads("results")
        if not finished:
            raise PhaseFailed(
                "results",
                "no result with status End (2) arrived within %.0f s after the last "
                "frame (got %d result nodes); the loader would wait until its timeout" % (context.timeout, len(nodes)),
            )
    finally:
        result, timings["wrapperDestroy"] = guarded(
            "wrapperDestroy",
            context.timeout,
            lambda: calling.call_flexibly(wrapper.wrapperDestroy, [("handle", handle)]),
        )
    expect_zero("wrapperDestroy", wrapper, result)
    return SessionResult(handle, nodes, timings)


def gather_results(
    context: Context, arrivals: "queue.Queue[Any]", nodes: List[Any], handle: str, sid: str, reads: bool, wait: float
) -> bool:
    """Collect results from callbacks (and wrapperRead when implemented); True once a final node came."""
    responses = []
    if reads:
        response, _ = guarded(
            "wrapperRead",
            context.timeout,
            lambda: calling.call_flexibly(context.wrapper.wrapperRead, [("handle", handle), ("sid", sid)]),
        )
        if response is not None and (getattr(response, "list", None) or checks.error_code_of(response)):
            responses.append(response)
    try:
        responses.append(arrivals.get(timeout=wait) if wait else arrivals.get_nowait())
        while True:
            responses.append(arrivals.get_nowait())
    except queue.Empty:
        pass
    final = False
    for response in responses:
        if response is _WAKE:
            continue
        code = checks.error_code_of(response)
        if code:
            raise PhaseFailed(
                "results",
                "the session answered with error code %d: %s" % (code, calling.error_text(context.wrapper, code)),
            )
        problems = checks.response_problems(response, context.checked_accepts, context.bytes_only, once=False)
        if problems:
            raise PhaseFailed(
                "results", "a session result would be rejected by the loader:\n- " + "\n- ".join(problems)
            )
        for node in response.list:
            nodes.append(node)
            final = final or checks.is_final(node)
    return final
