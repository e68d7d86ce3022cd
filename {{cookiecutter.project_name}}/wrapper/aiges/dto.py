"""Request and response objects, with the semantics of the loader's embedded ``aiges_embed``.

Wrappers import these names as ``try: from aiges_embed import ... except: from aiges.dto import ...``,
so the local classes must behave like the embedded ones (docs/reference/runtime-api.md#dto): ``data`` and ``len`` are
plain attributes, ``Response().list`` starts empty and ``DataListCls().list`` is always a list.
The vendor's local quirks that made code pass locally and fail in production are not reproduced.
"""

import json
import queue
from typing import Any, Iterable, Iterator, List, Optional

from aiges import callback as delivery
from aiges.core.types import *  # noqa: F403  (wrappers do ``from aiges.dto import Once``)
from aiges.core.types import DataOnce, DataText, Status, Types

_VALID_TYPES = (0, 1, 2, 3)


class DataListNode:
    """One input node of a request: ``key``, ``data`` (bytes), ``len``, ``type`` and ``status``."""

    def __init__(
        self,
        key: str = "",
        data: bytes = b"",
        len: Optional[int] = None,  # noqa: A002
        type: int = DataText,  # noqa: A002
        status: int = DataOnce,
    ) -> None:
        self.key = key
        self.data = data
        self.len = len if len is not None else _length(data)
        self.type = type
        self.status = status

    def get_data(self) -> Any:
        return self.data

    def __repr__(self) -> str:
        return "DataListNode(key=%r, len=%r, type=%s, status=%s)" % (
            self.key,
            self.len,
            Types.get(self.type, self.type),
            Status.get(self.status, self.status),
        )


class DataListCls:
    """The list of input nodes handed to ``wrapperOnceExec`` and ``wrapperWrite``."""

    def __init__(self, list: Optional[Iterable[Any]] = None) -> None:  # noqa: A002
        self.list: List[Any] = [] if list is None else [node for node in list]

    def get(self, key: str) -> Optional[Any]:
        """First node with this key, or None (as the loader's own ``get``)."""
        for node in self.list:
            if node.key == key:
                return node
        return None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.list)

    def __len__(self) -> int:
        return len(self.list)

    def __repr__(self) -> str:
        return "DataListCls(%r)" % (self.list,)


class ResponseData:
    """One output node. ``data``/``len`` may be assigned directly or through ``setData``."""

    def __init__(
        self,
        key: str = "",
        data: Any = b"",
        length: int = 0,
        type: int = DataText,  # noqa: A002
        status: int = DataOnce,
    ) -> None:
        self.key = key
        self.data = data
        # The vendor ignored ``data``/``length`` here; honour them, deriving len when omitted.
        self.len = length if length else _length(data)
        self.type = type
        self.status = status

    def setData(self, data: Any) -> None:  # noqa: N802 (vendor API name)
        self.data = data
        self.len = _length(data)

    def setDataType(self, data_type: int) -> None:  # noqa: N802 (vendor API name)
        if data_type not in _VALID_TYPES:
            raise ValueError(
                "ResponseData type must be one of DataText(0), DataAudio(1), DataImage(2), "
                "DataVideo(3); got %r" % (data_type,)
            )
        self.type = data_type

    def toJSON(self) -> str:  # noqa: N802 (vendor API name)
        data = self.data
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data).decode("utf-8", errors="replace")
        return json.dumps(
            {"key": self.key, "data": data, "len": self.len, "type": self.type, "status": self.status},
            ensure_ascii=False,
        )

    def __repr__(self) -> str:
        return "ResponseData(key=%r, len=%r, type=%s, status=%s)" % (
            self.key,
            self.len,
            Types.get(self.type, self.type),
            Status.get(self.status, self.status),
        )


class Response:
    """What ``wrapperOnceExec``/``wrapperRead`` return: a list of ResponseData, or an error code."""

    def __init__(self, error_code: int = 0, list: Optional[Iterable[ResponseData]] = None) -> None:  # noqa: A002
        self.list: List[ResponseData] = [] if list is None else [item for item in list]
        self.error_code = error_code

    def response_err(self, code: int) -> "Response":
        self.error_code = code
        return self

    def __repr__(self) -> str:
        return "Response(error_code=%r, list=%r)" % (self.error_code, self.list)


class SessionCreateResponse:
    """What ``wrapperCreate`` returns in session mode: a handle string and an error code."""

    def __init__(self, handle: str = "", error_code: int = 0) -> None:
        self.handle = handle
        self.error_code = error_code

    def __repr__(self) -> str:
        return "SessionCreateResponse(handle=%r, error_code=%r)" % (self.handle, self.error_code)


def _length(data: Any) -> int:
    try:
        return len(data)
    except TypeError:
        return 0


# --- result delivery ----------------------------------------------------------------------------
# ``callback(resp, tag)`` is how a wrapper delivers asynchronous or session results. Where it
# goes depends on who runs the wrapper: the local run, the gRPC server or a test installs a sink
# (``aiges.callback.install_sink``); with none installed, results land in ``rq`` as in the vendor SDK.

rq: "queue.Queue[Any]" = queue.Queue()


delivery.use_default_queue(lambda: rq)  # read at each delivery: init_rq() and a reassigned rq are followed


def init_rq() -> "queue.Queue[Any]":
    """Reset the default result queue (vendor API, used by its local stream run)."""
    global rq
    rq = queue.Queue()
    return rq


def callback(resp: Response, tag: Any = "", *_: Any) -> int:
    """Deliver a response for request/session ``tag``. Accepts the vendor's extra ``sid`` argument."""
    return delivery.deliver(resp, tag)


__all__ = [
    "DataListNode",
    "DataListCls",
    "ResponseData",
    "Response",
    "SessionCreateResponse",
    "callback",
    "init_rq",
    "rq",
] + [name for name in dir() if name.startswith("Data") or name in ("Once", "Types", "Status")]
