"""Checks of what a wrapper returns: the vendor's ``check_resp`` rules plus what production demands.

Shared by the gRPC server (what leaves on ``communicate``) and the local run, so it lives in the runtime.

The vendor rules (docs/reference/fields.md, demonstrated in reference 08): a Response with a non-empty list, unique
keys, keys and types that match the declared accepts, ``len == len(data)``, status 3 for a once
result; an ``error_code`` short-circuits as a well-formed error answer. Production adds: data must
be ``bytes`` (the C wrapper and protobuf reject memoryview and str, docs/reference/runtime-api.md#dto), so under
production
emulation memoryview is refused too.
"""

from typing import Any, Dict, List, Optional

from aiges.core.types import DataEnd, DataOnce, Types
from aiges.dto import ResponseData
from aiges.fields import PayloadField


def _describe_type(value: Any) -> str:
    return Types.get(value, repr(value))


def item_problem(index: int, item: Any) -> Optional[str]:
    """Why ``response.list[index]`` is not a result node at all (a dict, a str...), or None.

    Shared with the gRPC server (``aiges.grpc.convert``), so both refuse the same garbage. A node is a
    ``ResponseData`` or an object with its ``key`` and ``data`` attributes (duck-typed, as the C
    wrapper reads them)."""
    if isinstance(item, ResponseData) or (hasattr(item, "key") and hasattr(item, "data")):
        return None
    return "response.list[%d] is %s, not a ResponseData: build each item with ResponseData() and its setters" % (
        index,
        type(item).__name__,
    )


def node_problems(node: Any, accepts: Optional[Dict[str, PayloadField]], bytes_only: bool) -> List[str]:
    """Problems of one ResponseData node (key, type, data, len); ``accepts`` None: any key and type
    (the wrapper declares no fields)."""
    key = getattr(node, "key", None)
    found = []
    if accepts is None:
        if not isinstance(key, str) or not key:
            found.append("key must be a non-empty string, got %r" % (key,))
    elif key not in accepts:
        found.append("key %r is not declared in UserResponse (declared: %s)" % (key, ", ".join(accepts) or "none"))
    else:
        expected = accepts[key].data_type
        if getattr(node, "type", None) != expected:
            found.append(
                "key %r has type %s but UserResponse declares it as %s: call setDataType(%s)"
                % (
                    key,
                    _describe_type(getattr(node, "type", None)),
                    _describe_type(expected),
                    {0: "DataText", 1: "DataAudio", 2: "DataImage", 3: "DataVideo"}.get(expected),
                )
            )
    data = getattr(node, "data", None)
    if not (isinstance(data, bytes) or (isinstance(data, memoryview) and not bytes_only)):
        hints: Dict[type, str] = {
            str: "encode it: setData(text.encode('utf-8'))",
            memoryview: "production needs bytes: setData(bytes(view))",
            bytearray: "production needs bytes: setData(bytes(buffer))",
        }
        hint = hints.get(type(data), "use setData(<bytes>)")
        found.append("key %r: data must be bytes, got %s (%s)" % (key, type(data).__name__, hint))
    else:
        length = getattr(node, "len", None)
        if length != len(data):
            found.append(
                "key %r: len is %r but data has %d bytes (the C wrapper copies len bytes): "
                "use setData() to keep them in step" % (key, length, len(data))
            )
    return found


def response_problems(
    result: Any, accepts: Optional[Dict[str, PayloadField]], bytes_only: bool, once: bool = True
) -> List[str]:
    """Problems of a whole Response; an error code is not a problem here (see ``error_code_of``)."""
    if result is None:
        return ["returned None: return a Response (or Response().response_err(code) on failure)"]
    if not hasattr(result, "list"):
        return ["returned %s, not a Response" % type(result).__name__]
    if error_code_of(result):
        return []
    nodes = list(result.list or [])
    if not nodes:
        return ["returned a Response with an empty list: put at least one ResponseData in response.list"]
    garbage = [problem for problem in (item_problem(index, node) for index, node in enumerate(nodes)) if problem]
    if garbage:
        return garbage
    found = []
    keys = [getattr(node, "key", None) for node in nodes]
    duplicates = sorted({key for key in keys if keys.count(key) > 1}, key=str)
    if duplicates:
        found.append("response list keys must be unique; repeated: %s" % ", ".join(map(repr, duplicates)))
    for node in nodes:
        found.extend(node_problems(node, accepts, bytes_only))
        status = getattr(node, "status", None)
        if once and status != DataOnce:
            found.append(
                "key %r: status is %r, a once result needs status Once (3)" % (getattr(node, "key", None), status)
            )
        elif not once and status not in (0, 1, 2, 3):
            found.append("key %r: status %r is not 0..3" % (getattr(node, "key", None), status))
    return found


def error_code_of(result: Any) -> int:
    try:
        return int(getattr(result, "error_code", 0) or 0)
    except (TypeError, ValueError):
        return -1


def is_final(node: Any) -> bool:
    """A session ends for the loader when a node has status End (2) or Once (3)."""
    return getattr(node, "status", None) in (DataEnd, DataOnce)


def first_problem(problems: List[str]) -> Optional[str]:
    return problems[0] if problems else None
