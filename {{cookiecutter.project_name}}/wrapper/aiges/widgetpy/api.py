"""The WidgetPy user API (``aiges-wrapper`` 0.1.0's ``python_wrapper``): ``WrapperBase``, ``WrapperData``, the codes.

Wrappers written for the vendor's package import these names from ``python_wrapper`` (our thin package beside
``aiges`` re-exports them), so the classes behave as the vendor's do: the same constructor, slots, defaults and
callback helpers. The helpers reach the loader through :func:`aiges.callback.report`, which the WidgetPy
server connects to the loader's ``CallbackService``; without one they answer 0, as the vendor's do.

Not to be confused with ``aiges.sdk.WrapperBase``, the old ``Wrapper`` API: ``aiges.widgetpy.selection`` tells
them apart.
"""

import abc
from typing import Any, Dict, List, Optional, Tuple

from aiges.callback import report


class DataType:
    """Item types, the values of the loader's ``type.h`` (and of ``aiges.core.types``)."""

    TEXT = 0
    AUDIO = 1
    IMAGE = 2
    VIDEO = 3
    PER = 4  # personalisation data
    RAW = 4


class DataStatus:
    BEGIN = 0
    CONTINUE = 1
    END = 2
    ONCE = 3


class WrapperData:
    """One input or output item; ``data`` is bytes (a str is UTF-8 encoded), ``desc`` a str -> str dict."""

    __slots__ = ("data", "desc", "key", "status", "type")

    def __init__(
        self,
        key: str = "",
        data: Any = b"",
        type: int = DataType.TEXT,  # noqa: A002 - the vendor's keyword
        status: int = DataStatus.ONCE,
        desc: Optional[Dict[str, str]] = None,
    ) -> None:
        self.key = key
        self.data = data if isinstance(data, bytes) else data.encode("utf-8")
        self.type = type
        self.status = status
        self.desc = desc if desc is not None else {}

    def __repr__(self) -> str:
        return "WrapperData(key=%r, len=%d, type=%s, status=%s)" % (self.key, len(self.data), self.type, self.status)


def _pushed(data_list: Optional[List[WrapperData]]) -> List[Dict[str, Any]]:
    return [
        {"key": item.key, "data": item.data, "type": item.type, "status": item.status, "desc": item.desc}
        for item in data_list or ()
    ]


class WrapperBase(abc.ABC):
    """Base of a WidgetPy wrapper: ``init``/``fini``/``version`` required, ``exec`` (once) or
    ``create``/``write``/``read``/``destroy`` (sessions); results are ``(list of WrapperData, code)``."""

    # -- the loader's services (CallbackService); each returns the loader's code, 0 without a loader -------------
    def meter_custom(self, handle: str, key: str, count: int = 1) -> int:
        return report("MeterCustom", handle=handle, key=key, count=count)

    def meter_custom_ex(self, handle: str, appid: str, channel: str, func_name: str, count: int = 1) -> int:
        return report("MeterCustomEx", handle=handle, appid=appid, channel=channel, func_name=func_name, count=count)

    def trace_log(self, handle: str, key: str, value: str) -> int:
        return report("TraceLog", handle=handle, key=key, value=value)

    def metrics_log(self, handle: str, name: str, labels: Optional[Dict[str, str]] = None, value: int = 0) -> int:
        return report("MetricsLog", handle=handle, name=name, labels=labels or {}, value=value)

    def update_lb_extra(self, labels: Dict[str, str]) -> int:
        return report("UpdateLbExtra", labels=labels)

    def eventlog(self, handle: str, key: str, value: str) -> int:
        return report("EventLog", handle=handle, key=key, value=value)

    def async_callback(
        self, usr_tag: str, data_list: Optional[List[WrapperData]] = None, err_code: int = 0, err_msg: str = ""
    ) -> int:
        """Push results (or an error) for a request or session to the loader (its async mode)."""
        return report(
            "AsyncCallback", usr_tag=usr_tag, data_list=_pushed(data_list), err_code=err_code, err_msg=err_msg
        )

    # -- lifecycle (required) ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def init(self, cfg: Dict[str, str]) -> int: ...

    @abc.abstractmethod
    def fini(self) -> int: ...

    @abc.abstractmethod
    def version(self) -> str: ...

    # -- once ------------------------------------------------------------------------------------------------
    def exec(self, usr_tag: str, params: Dict[str, str], data_list: List[WrapperData], psr_ids: List[int]) -> Tuple:
        raise NotImplementedError("exec not implemented")

    # -- sessions --------------------------------------------------------------------------------------------
    def create(self, usr_tag: str, params: Dict[str, str], psr_ids: List[int]) -> Tuple:
        raise NotImplementedError("create not implemented")

    def write(self, handle: str, data_list: List[WrapperData]) -> int:
        raise NotImplementedError("write not implemented")

    def read(self, handle: str) -> Tuple:
        raise NotImplementedError("read not implemented")

    def destroy(self, handle: str) -> int:
        raise NotImplementedError("destroy not implemented")

    # -- optional --------------------------------------------------------------------------------------------
    def load_res(self, data_list: List[WrapperData], res_id: int) -> int:
        return 0

    def unload_res(self, res_id: int) -> int:
        return 0

    def debug_info(self, handle: str) -> str:
        return ""

    def error(self, err_num: int) -> str:
        return "error code %d" % err_num

    def notify(self, data_list: List[WrapperData]) -> int:
        return 0
