"""Where asynchronous and session results go.

Both ``aiges.callback.callback(resp, tag, sid)`` (the vendor's gRPC-mode function) and
``aiges.dto.callback(resp, tag)`` (what wrappers import) end here, so a wrapper reaches the loader
whichever it uses. The party running the wrapper installs a sink; the vendor sent results from
``aiges.dto.callback`` nowhere in gRPC mode (docs/explanation/vendor-fixes.md).
"""

import queue
import threading
from typing import Any, Callable, Dict, Optional

Sink = Callable[[Any, str], None]
# The loader's other services (metering, tracing, ...): ``reporter(rpc_name, fields) -> the loader's code``.
# Installed by a server whose loader offers them (WidgetPy's CallbackService); none: accepted and ignored.
Reporter = Callable[[str, Dict[str, Any]], int]

_lock = threading.Lock()
_sink: Optional[Sink] = None
_reporter: Optional[Reporter] = None
# Where results go when no sink is installed: the vendor's ``aiges.dto.rq``, which aiges.dto names here when it
# is imported (so this module needs no import of dto: no cycle), else a queue of our own.
_fallback: "queue.Queue[Any]" = queue.Queue()


def _own_queue() -> "queue.Queue[Any]":
    return _fallback


_default_queue: Callable[[], "queue.Queue[Any]"] = _own_queue


def use_default_queue(get_queue: Callable[[], "queue.Queue[Any]"]) -> None:
    """Where sink-less results go: ``get_queue()`` at each delivery (aiges.dto passes its ``rq``)."""
    global _default_queue
    _default_queue = get_queue


def install_sink(sink: Optional[Sink]) -> Optional[Sink]:
    """Route every delivered response to ``sink(response, tag)``; returns the previous sink."""
    global _sink
    with _lock:
        previous, _sink = _sink, sink
    return previous


def current_sink() -> Optional[Sink]:
    return _sink


def deliver(resp: Any, tag: Any = "") -> int:
    """Hand ``resp`` to the installed sink (or the default queue). Returns 0 like ``aiges_embed.callback``."""
    sink = _sink
    tag_text = tag if isinstance(tag, str) else ("" if tag is None else str(tag))
    if sink is not None:
        sink(resp, tag_text)
        return 0
    _default_queue().put((tag_text, resp))
    return 0


def callback(user_resp: Any, handle: Any = "", sid: Any = "", *_: Any) -> int:
    """Vendor signature: ``callback(user_resp, handle, sid)``; the second argument is the tag."""
    return deliver(user_resp, handle if handle not in (None, "") else sid)


def install_reporter(reporter: Optional[Reporter]) -> Optional[Reporter]:
    """Send :func:`report` calls to ``reporter``; returns the previous one."""
    global _reporter
    with _lock:
        previous, _reporter = _reporter, reporter
    return previous


def report(rpc: str, **fields: Any) -> int:
    """Tell the loader ``rpc(fields)`` (e.g. ``report("TraceLog", handle=tag, key=k, value=v)``): its code, or 0
    when no loader service is installed (the local run, the go-plugin mode)."""
    reporter = _reporter
    return 0 if reporter is None else reporter(rpc, fields)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def callback_metric(usrTag: Any, meterKey: str, count: int) -> int:  # noqa: N803 (loader API)
    """Custom metering for a request or session: WidgetPy's ``MeterCustom``; ignored where the loader offers
    none (the C wrapper forwards it to metering itself)."""
    return report("MeterCustom", handle=_text(usrTag), key=_text(meterKey), count=count)


def callback_trace(usrTag: Any, key: str, value: str) -> int:  # noqa: N803 (loader API)
    """A trace entry for a request or session: WidgetPy's ``TraceLog``; ignored where the loader offers none."""
    return report("TraceLog", handle=_text(usrTag), key=_text(key), value=_text(value))
