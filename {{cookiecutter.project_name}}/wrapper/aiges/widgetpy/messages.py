"""Between WidgetPy's wire ``WrapperData`` and what each user API hands over and returns.

New API (``python_wrapper``): exactly the vendor's conversions, so both servers answer the same bytes: items
become :class:`aiges.widgetpy.api.WrapperData` (bytes data, dict desc), returned items are copied field by
field into the message, and whatever protobuf refuses (a str code, an int desc value) raises for the caller
to answer with -1 and the text.

Old API (``Wrapper``): items become the ``DataListCls`` the old protocol gave (``len`` from the bytes, plus the
item's ``desc`` as an extra attribute, which the old protocol never carried); a ``Response`` is checked and
converted as in the go-plugin mode (``aiges.grpc.convert``: data as bytes, status/type as small ints, an
unusable answer is a :class:`~aiges.grpc.convert.Refusal`), then copied into ``WrapperData`` without ``len``
and with the item's ``desc`` when it has one.
"""

from typing import Any, Dict, Iterable, List, Optional

from aiges.dto import DataListCls, DataListNode
from aiges.grpc import convert, wire
from aiges.widgetpy.api import WrapperData

PACKAGE = "aiges.wrapper"
Item = wire.message(PACKAGE + ".WrapperData")


def message(name: str) -> wire.MessageClass:
    """A WidgetPy message class, e.g. ``message("ExecResponse")``."""
    return wire.message("%s.%s" % (PACKAGE, name))


# --- new API ------------------------------------------------------------------------------------------------
RESPONSES = (
    "InitResponse",
    "ErrorResponse",
    "VersionResponse",
    "ExecResponse",
    "CreateResponse",
    "ReadResponse",
    "DebugInfoResponse",
)


def response_classes() -> Dict[str, wire.MessageClass]:
    """The answer messages both APIs' services build, by name."""
    return {name: message(name) for name in RESPONSES}


def to_user_items(items: Iterable[Any]) -> List[WrapperData]:
    return [WrapperData(item.key, bytes(item.data), item.type, item.status, dict(item.desc)) for item in items]


def from_user_items(results: Any) -> List[Any]:
    """The vendor's copy: any object with the five attributes; ``None`` is no items."""
    return [
        Item(key=result.key, data=result.data, type=result.type, status=result.status, desc=result.desc)
        for result in (results or [])
    ]


def pushed_items(items: Iterable[Dict[str, Any]]) -> List[Any]:
    """Items given as dicts (``aiges.callback.report("AsyncCallback", data_list=[...])``)."""
    return [Item(**item) for item in items]


# --- old API ------------------------------------------------------------------------------------------------
def to_data_list(items: Iterable[Any]) -> DataListCls:
    nodes = []
    for item in items:
        node = DataListNode(item.key, item.data, len(item.data), item.type, item.status)
        node.desc = dict(item.desc)  # type: ignore[attr-defined]  # WidgetPy carries it; the old protocol did not
        nodes.append(node)
    return DataListCls(nodes)


def from_response(result: Any, once: bool, limit: Optional[int]) -> List[Any]:
    """A wrapper's ``Response`` as items; raises ``convert.Refusal`` when the loader could not use it.
    ``once``: the answer of a request, which must hold an item and end it (as in the go-plugin mode);
    otherwise (Read, pushed session results) no items is a valid answer."""
    if not once and (result is None or not getattr(result, "list", None)):
        return []
    checked = convert.response("", result, once=once, limit=limit)
    items = []
    for node, original in zip(checked.list, result.list):
        desc = getattr(original, "desc", None)
        items.append(
            Item(
                key=node.key,
                data=node.data,
                type=node.type,
                status=node.status,
                desc=_text_map(desc) if isinstance(desc, dict) else {},
            )
        )
    return items


def _text_map(desc: Dict[Any, Any]) -> Dict[str, str]:
    return {str(key): value if isinstance(value, str) else str(value) for key, value in desc.items()}
