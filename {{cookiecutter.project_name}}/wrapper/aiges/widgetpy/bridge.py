"""A new-API wrapper (``python_wrapper.WrapperBase``) seen as an old-API ``Wrapper``, for the developer tools.

``python -m aiges run``, ``gateway``, ``render`` and ``check`` drive wrappers through the old API
(``wrapperInit``, ``wrapperOnceExec``, ...). A wrapper written for the vendor's package gets a ``Wrapper`` made
for it here, so it is run, served locally and rendered like one of ours: undeclared unless the class declares
``serviceId``, ``requestCls``, ... itself (declarations optional, as for any undeclared wrapper; without a
``serviceId`` the service is named after the class in lower case, version "v1"). Only the methods
the class implements are bridged, so the session decision (``aiges.sessionmode``) sees what it really does.

Results the wrapper pushes with ``async_callback`` go to ``aiges.callback.deliver`` as a ``Response``, where the
local run and the gateway collect results (under the WidgetPy server they go to the loader instead).
"""

import inspect
from types import ModuleType
from typing import Any, Dict, List, Optional

from aiges import callback, sdk
from aiges.dto import Response, ResponseData
from aiges.hostclasses import SessionCreateResponse
from aiges.widgetpy.api import WrapperBase, WrapperData

VENDOR_BASE_MODULE = "python_wrapper.aiges_wrapper"  # where the vendor's package defines its WrapperBase
DEFAULT_VERSION = "v1"
# Declarations a new-API class may carry for the tools, copied onto its Wrapper.
DECLARATIONS = ("serviceId", "version", "requestCls", "responseCls", "config", "errors", "session_mode", "call")


def is_new_api(cls: Any) -> bool:
    """A ``python_wrapper.WrapperBase`` subclass: ours, or the vendor's own package's."""
    if not isinstance(cls, type):
        return False
    if issubclass(cls, WrapperBase):
        return cls is not WrapperBase
    return any(base.__name__ == "WrapperBase" and base.__module__ == VENDOR_BASE_MODULE for base in cls.__mro__[1:])


def first_new_api_class(module: ModuleType) -> Optional[type]:
    """The class the vendor's server would pick: the first concrete one by attribute name."""
    for _, member in inspect.getmembers(module, inspect.isclass):
        if is_new_api(member) and not inspect.isabstract(member):
            return member
    return None


def wrapper_for(module: ModuleType) -> Optional[type]:
    """``loading.import_wrapper``'s fallback: a ``Wrapper`` for the module's new-API class, if it has one."""
    found = first_new_api_class(module)
    return bridge_class(found) if found is not None else None


def _items(req_data: Any) -> List[WrapperData]:
    return [
        WrapperData(node.key, bytes(node.data or b""), node.type, node.status, dict(getattr(node, "desc", None) or {}))
        for node in getattr(req_data, "list", None) or []
    ]


def _strings(mapping: Any) -> Dict[str, str]:
    return {str(key): value if isinstance(value, str) else str(value) for key, value in dict(mapping or {}).items()}


def _response(results: Any, code: Any) -> Response:
    if code:
        return Response().response_err(code)
    answer = Response()
    answer.list = [
        ResponseData(item.key, item.data, len(item.data), item.type, item.status) for item in (results or [])
    ]
    return answer


def _overrides(cls: type, name: str) -> bool:
    return getattr(cls, name, None) is not getattr(WrapperBase, name, None)


def bridge_class(cls: type) -> type:
    """A ``Wrapper`` (``aiges.sdk.WrapperBase``) that runs an instance of the new-API ``cls``."""
    namespace: Dict[str, Any] = {  # not the new API's version() method: the old API's version is a string
        name: value
        for name in DECLARATIONS
        for value in [getattr(cls, name, None)]
        if value is not None and not callable(value)
    }
    namespace.setdefault("serviceId", cls.__name__.lower())  # what render names the service when the class is silent
    namespace.setdefault("version", DEFAULT_VERSION)
    namespace["__doc__"] = "%s (python_wrapper API), bridged for the aiges tools" % cls.__name__
    namespace["__module__"] = cls.__module__
    namespace["widgetpy_class"] = cls

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - the class's own constructor
        sdk.WrapperBase.__init__(self, *args, **kwargs)
        self.inner = cls()
        self.inner.async_callback = _pusher

    def wrapperInit(self: Any, config: Any) -> int:  # noqa: N802 - the loader's name
        return self.inner.init(_strings(config)) or 0

    def wrapperFini(self: Any) -> int:  # noqa: N802
        return self.inner.fini() or 0

    def wrapperVersion(self: Any) -> str:  # noqa: N802
        return self.inner.version()

    def wrapperError(self: Any, ret: int) -> str:  # noqa: N802
        return self.inner.error(ret)

    def wrapperOnceExec(self: Any, params: Any, reqData: Any, usrTag: str = "", persId: int = 0) -> Any:  # noqa: N802,N803
        results, code = self.inner.exec(usrTag, _strings(params), _items(reqData), [persId] if persId else [])
        return _response(results, code)

    def wrapperCreate(self: Any, params: Any, sid: str, persId: int = 0, usrTag: str = "") -> Any:  # noqa: N802,N803
        handle, code = self.inner.create(usrTag or sid, _strings(params), [persId] if persId else [])
        reply = SessionCreateResponse()
        reply.handle, reply.error_code = ("", code or -1) if code or handle in (None, "") else (str(handle), 0)
        return reply

    def wrapperWrite(self: Any, handle: str, req: Any, sid: str = "") -> int:  # noqa: N802
        return self.inner.write(handle, _items(req)) or 0

    def wrapperRead(self: Any, handle: str, sid: str = "") -> Any:  # noqa: N802
        results, code = self.inner.read(handle)
        return _response(results, code)

    def wrapperDestroy(self: Any, handle: str) -> int:  # noqa: N802
        return self.inner.destroy(handle) or 0

    def wrapperLoadRes(self: Any, reqData: Any, resId: Any) -> int:  # noqa: N802,N803
        return self.inner.load_res(_items(reqData), int(resId)) or 0

    def wrapperUnloadRes(self: Any, resId: Any) -> int:  # noqa: N802,N803
        return self.inner.unload_res(int(resId)) or 0

    namespace.update(
        __init__=__init__,
        wrapperInit=wrapperInit,
        wrapperFini=wrapperFini,
        wrapperVersion=wrapperVersion,
        wrapperError=wrapperError,
    )
    bridged: Dict[str, Dict[str, Any]] = {
        "exec": {"wrapperOnceExec": wrapperOnceExec},
        "create": {"wrapperCreate": wrapperCreate},
        "write": {"wrapperWrite": wrapperWrite},
        "read": {"wrapperRead": wrapperRead},
        "destroy": {"wrapperDestroy": wrapperDestroy},
        "load_res": {"wrapperLoadRes": wrapperLoadRes},
        "unload_res": {"wrapperUnloadRes": wrapperUnloadRes},
    }
    for name, methods in bridged.items():
        if _overrides(cls, name):
            namespace.update(methods)
    metaclass: Any = type(sdk.WrapperBase)  # it guards the loader methods, as for a class written by hand
    return metaclass("Wrapper", (sdk.WrapperBase,), namespace)


def _pusher(usr_tag: str, data_list: Any = None, err_code: int = 0, err_msg: str = "") -> int:
    """The wrapper's ``async_callback`` outside the loader: a Response for ``aiges.callback.deliver``."""
    return callback.deliver(_response(data_list, err_code), usr_tag)
