"""Between wire messages and the wrapper's objects, turning every bad answer into a prompt error.

Requests become ``aiges.dto.DataListCls`` of ``DataListNode`` with ``bytes`` data (what the C
wrapper hands over), params and config become plain dicts. A wrapper's answer becomes an
``aiges.Response``; anything the loader could not use becomes :class:`Refusal`, which the caller
turns into an error Response so the waiting request ends at once instead of timing out
(docs/explanation/vendor-fixes.md). Data is converted where the meaning is unambiguous: ``str`` -> UTF-8,
``bytearray``/``memoryview``/any buffer -> ``bytes``; ``len`` is always recomputed.

Where an error message travels: ``aiges.Response`` has only ``tag``, ``ret`` and ``list``. An error
Response carries the code in ``ret`` and, for hosts that look, the message as the UTF-8 ``data`` of
one text node keyed ``error`` (desc ``{"code": "<ret>"}``). The Go loader ignores ``list`` when
``ret != 0`` and shows its own text, so the message is also logged (stderr, mirrored into the
loader's log) by the caller.
"""

from typing import Any, Dict, Iterable, Optional, Tuple

from aiges import calling
from aiges import resultchecks as checks
from aiges.core.types import DataEnd, DataOnce, DataText
from aiges.dto import DataListCls, DataListNode
from aiges.errors import USER_EXEC_ERROR
from aiges.grpc import wire

Response = wire.message("aiges.Response")
ResponseData = wire.message("aiges.ResponseData")

INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1
ERROR_KEY = "error"
# What keys, descs and framing can add to a result's data bytes is far below this: results whose data
# is this far below the limit are never measured.
SIZE_SLACK = 1024 * 1024


class Refusal(Exception):
    """A wrapper answer the loader cannot use: ``code`` goes to ``ret``, ``message`` to the log."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def plain_dict(mapping: Any) -> Dict[str, str]:
    """A protobuf map as a plain dict (wrappers json.dumps it; the vendor passed the map itself)."""
    return {key: mapping[key] for key in mapping}


def data_list(nodes: Iterable[Any]) -> DataListCls:
    """Wire ``RequestData`` nodes -> ``DataListCls`` (``len`` from the bytes actually received)."""
    found = []
    for node in nodes:
        data = node.data  # each read of a protobuf bytes field makes a new copy: read it once
        found.append(DataListNode(node.key, data, len(data), node.type, node.status))
    return DataListCls(found)


def as_bytes(data: Any, key: str) -> bytes:
    """Response data as bytes: bytes as is, str as UTF-8, None as empty, buffers copied."""
    if type(data) is bytes:
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if data is None:
        return b""
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise Refusal(
            USER_EXEC_ERROR,
            "response key %r: data is %s; it must be bytes (use setData(<bytes>))" % (key, type(data).__name__),
        ) from None


def _uint32(value: Any, key: str, what: str) -> int:
    if type(value) is int and 0 <= value <= UINT32_MAX:
        return value
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or not 0 <= number <= UINT32_MAX or number != value:
        raise Refusal(
            USER_EXEC_ERROR, "response key %r: %s is %r; it must be a small non-negative int" % (key, what, value)
        )
    return number


def error_code(result: Any) -> int:
    """The wrapper's ``error_code`` as a wire ``ret`` (int32, never 0 for an error)."""
    code = getattr(result, "error_code", 0)
    if not code:
        return 0
    try:
        number = int(code)
    except (TypeError, ValueError):
        return USER_EXEC_ERROR
    return number if -INT32_MAX - 1 <= number <= INT32_MAX else USER_EXEC_ERROR


def response(tag: str, result: Any, once: bool, limit: Optional[int] = None) -> Any:
    """A wrapper's Response -> ``aiges.Response``; raises :class:`Refusal` when unusable.

    ``once``: a once answer must end the request, so when no node has status End (2) or Once (3)
    every node gets Once (3), as the C wrapper does for every once answer.
    ``limit``: the largest message allowed (``--max-message-mb``); a larger result is refused here,
    for its own request only, instead of failing on the stream every later result shares.
    An ``error_code`` is *not* handled here (see :func:`error_code`): callers need the wrapper's
    message for it.
    """
    if result is None:
        raise Refusal(USER_EXEC_ERROR, "returned None; return a Response (Response().response_err(code) on failure)")
    items = getattr(result, "list", None)
    if items is None and not hasattr(result, "list"):
        raise Refusal(USER_EXEC_ERROR, "returned %s, not a Response" % type(result).__name__)
    if not items:
        raise Refusal(USER_EXEC_ERROR, "returned a Response with an empty list; put at least one ResponseData in it")
    message = Response(tag=tag)
    nodes = message.list  # filled with add(): a ResponseData built apart would be copied in whole, data too
    final = False
    payload = 0
    for index, item in enumerate(items):
        garbage = checks.item_problem(index, item)
        if garbage:
            raise Refusal(USER_EXEC_ERROR, "returned a bad Response: %s" % garbage)
        raw_key = getattr(item, "key", "")
        key = raw_key if type(raw_key) is str else _text(raw_key)
        data = as_bytes(getattr(item, "data", b""), key)
        payload += len(data) + 4 * len(key)  # a UTF-8 key takes at most 4 bytes a character
        status = _uint32(getattr(item, "status", DataOnce), key, "status")
        final = final or status == DataEnd or status == DataOnce
        nodes.add(
            key=key, data=data, len=len(data), status=status, type=_uint32(getattr(item, "type", DataText), key, "type")
        )
    if once and not final:
        for node in nodes:
            node.status = DataOnce
    if limit is not None and payload + SIZE_SLACK > limit:  # near the limit: measure exactly (else never)
        size = message.ByteSize()
        if size > limit:
            raise Refusal(
                USER_EXEC_ERROR,
                "the result is %d bytes, more than the largest message allowed (%d "
                "bytes: --max-message-mb / AIGES_MAX_MESSAGE_MB)" % (size, limit),
            )
    return message


def raised(error: BaseException) -> Refusal:
    """What a wrapper call that raised is answered with: 30003 and the exception, for the log."""
    return Refusal(USER_EXEC_ERROR, "raised %s: %s" % (type(error).__name__, error))


def returned_ret(code: Any) -> int:
    """The ``ret`` for a non-zero code a wrapper call returned (wrapperOnceExecAsync): the code when it is
    a usable int, else 30003."""
    return code if isinstance(code, int) and not isinstance(code, bool) and code else USER_EXEC_ERROR


def created(result: Any) -> Tuple[str, int]:
    """(handle, err_code) the server answers ``wrapperCreate`` with when it returned ``result``: the
    handle and 0, or ``""`` and the wrapper's ``error_code`` (30003 when it gave none)."""
    handle, code = calling.session_handle(result)
    if handle and not code:
        return handle, 0
    if not (code and hasattr(result, "error_code")):
        code = USER_EXEC_ERROR
    return "", code


def code_ret(result: Any) -> int:
    """The ``err_code`` for a call that returns an int code (wrapperWrite, wrapperDestroy): the code,
    or 30003 for anything that is not an int32."""
    if isinstance(result, bool) or not isinstance(result, int):
        return USER_EXEC_ERROR
    return result if -INT32_MAX - 1 <= result <= INT32_MAX else USER_EXEC_ERROR


def once_ret(result: Any) -> int:
    """The ``ret`` the server answers a once request with when the wrapper returned ``result``.

    The same steps as :meth:`aiges.grpc.runner.WrapperRunner.once` (the local run's gRPC emulation
    reports it): the wrapper's ``error_code``, else a :class:`Refusal` of the answer, else 0.
    """
    code = error_code(result)
    if code:
        return code
    try:
        response("", result, once=True)
    except Refusal as refusal:
        return refusal.code
    return 0


def error_response(tag: str, code: int, message: str) -> Any:
    """``aiges.Response`` with ``ret = code`` and the message in one ``error`` text node."""
    text = message.encode("utf-8", "replace")
    return Response(
        tag=tag,
        ret=code or USER_EXEC_ERROR,
        list=[
            ResponseData(
                key=ERROR_KEY, data=text, len=len(text), type=DataText, status=DataOnce, desc={"code": str(code)}
            )
        ],
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
