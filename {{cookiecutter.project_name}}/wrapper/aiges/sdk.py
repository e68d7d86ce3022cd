"""``WrapperBase`` and the field classes: the API that every ``wrapper.py`` is written against.

Drop-in for the vendor SDK 0.16.0 (spec sections 1-3): same names, same field discovery, same
legacy schema. Differences are fixes: every attribute the loader's C wrapper looks up exists (so no
plugin aborts the loader at start), default methods do something sensible instead of raising,
``wrapperOnceExecAsync`` works through the callback, nothing is printed to stdout (it carries the
gRPC handshake), and ``run()`` follows the platform's real call order and reports failure through
its exit status.
"""

import base64  # noqa: F401 (vendor star-import name)
import json
import os
import queue  # noqa: F401 (vendor star-import name)
import sys
import threading
import time  # noqa: F401 (vendor star-import name)
from pprint import pprint  # noqa: F401 (vendor star-import name)
from threading import Lock  # noqa: F401 (vendor star-import name)
from typing import Any, Dict, List, Optional

from aiges import calling
from aiges.core.types import *  # noqa: F403  (vendor module re-exported these)
from aiges.declarations import Declarations, from_wrapper_class
from aiges.discovery import legacy_mappings
from aiges.dto import DataListCls, DataListNode  # noqa: F401 (re-exported: API)
from aiges.failures import ErrorCodes, ParamError, PluginError, message_for  # noqa: F401 (re-exported: API)
from aiges.fields import (  # noqa: F401
    AudioBodyField,
    BooleanParamField,
    Field,
    ImageBodyField,
    IntegerParamField,
    JsonBodyField,
    NumberParamField,
    ParamField,
    PayloadField,
    StringBodyField,
    StringParamField,
    VideoBodyField,
)
from aiges.hostclasses import Response, ResponseData, SessionCreateResponse, callback  # noqa: F401 (re-exported: API)
from aiges.methodguard import guard_methods
from aiges.params import Params, read_params
from aiges.publicapi import API
from aiges.responses import audio_response, image_response, json_response, text_response  # noqa: F401 (re-exported: API)
from aiges.schema import dumps, gateway_schema, legacy_schema
from aiges.sessiontable import SessionTable  # noqa: F401 (re-exported: API)
from aiges.stream import SessionManager
from aiges.utils.log import ensure_log_dirs, log

SESSION_NOT_SUPPORTED = 10905  # the loader's "create failed" code, returned when sessions are not implemented


class Metaclass(type):
    """Keeps the vendor's ``__mappings__`` class attribute (inputs/accepts/params) up to date."""

    __mappings__: Dict[str, Any]

    def __new__(mcs, name: str, bases: tuple, attrs: Dict[str, Any]) -> "Metaclass":
        if name != "WrapperBase":
            guard_methods(attrs)  # a PluginError raised in a loader method answers with its code
        cls = super().__new__(mcs, name, bases, attrs)
        empty: Dict[str, Any] = {"inputs": [], "accepts": [], "params": []}
        cls.__mappings__ = legacy_mappings(cls) if name != "WrapperBase" else empty
        return cls


class WrapperBase(metaclass=Metaclass):
    """Base class of a plugin's ``Wrapper``. Subclasses declare ``serviceId``, ``version``,
    ``requestCls``/``responseCls`` instances, and implement at least ``wrapperOnceExec`` (once
    mode) or ``wrapperCreate``/``wrapperWrite`` (session mode)."""

    __aiges_base__ = True  # where discovery.user_methods stops walking the classes (no import cycle)
    config: Dict[str, Any] = {}
    # "once" or "stream" says which kind of plugin this is; None: [tool.aiges] session_mode, else inferred
    # from the methods (aiges.sessionmode).
    session_mode: Optional[str] = None
    requestCls: Any = None  # noqa: N815 (vendor API name)
    responseCls: Any = None  # noqa: N815 (vendor API name)
    # The plugin's error table, a subclass of ErrorCodes (``NAME = code, "message"``); wrapperError answers
    # from it and read_params refuses with its BAD_PARAM member.
    errors: Any = None

    def __init__(
        self,
        legacy: bool = True,
        is_aipaas: bool = True,
        keep_schema_default_value: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.legacy = legacy
        self.is_aipaas = is_aipaas
        self.keep_schema_default_value = keep_schema_default_value
        self.inputs_test_values: Dict[str, Any] = {}
        self.params_test_values: Dict[str, Any] = {}
        self.respData: List[Any] = []
        self.session = SessionManager()
        self._schema: Optional[str] = None
        self._declarations: Optional[Declarations] = None
        if os.environ.get("AIGES_PLUGIN_MODE"):  # inside the loader's image: its log folders must exist (#70)
            try:
                ensure_log_dirs()
            except OSError as error:
                log.warning("cannot create the loader's log folders in %s: %s", os.getcwd(), error)

    # --- declarations and schema ------------------------------------------------------------------
    def declarations(self, check_samples: bool = False) -> Declarations:
        """The validated declarations of this wrapper (raises DeclarationErrors naming each problem)."""
        if self._declarations is None:
            source = getattr(sys.modules.get(type(self).__module__), "__file__", "") or ""
            self._declarations = from_wrapper_class(type(self), source=source)
        return self._declarations.validate(check_samples=check_samples)

    def schema(self) -> str:
        """The schema as a JSON string: the vendor's legacy form when ``legacy`` (the default), else the
        complete gateway form (what the gRPC server sends to the loader)."""
        declarations = self.declarations()
        self.params_test_values = {field.key: field.test_value for field in declarations.params}
        document = legacy_schema(declarations) if self.legacy else gateway_schema(declarations)
        self._schema = dumps(document)
        return self._schema

    def schema_dict(self, form: str = "gateway") -> Dict[str, Any]:
        """The schema as a dict; ``form`` is ``"gateway"`` (complete) or ``"legacy"``."""
        declarations = self.declarations()
        return legacy_schema(declarations) if form == "legacy" else gateway_schema(declarations)

    # --- params ---------------------------------------------------------------------------------------
    def read_params(self, params: Any) -> Params:
        """This request's declared params, parsed from the loader's strings, defaulted and checked; raises
        ParamError (the ``errors.BAD_PARAM`` code, else the runtime's) naming the field that breaks its declaration."""
        return read_params(self.requestCls, params, self.errors)

    # --- local debug run ----------------------------------------------------------------------------
    def run(
        self,
        stream: Optional[bool] = None,
        argv: Optional[List[str]] = None,
        exit: Optional[bool] = None,  # noqa: A002
        **options: Any,
    ) -> int:
        """Run the plugin locally in the loader's call order and check what it returns.

        ``stream`` forces session mode (default: the wrapper's session mode, see
        :func:`aiges.sessionmode.decide`). Options are those of ``python -m aiges run``; when called
        from a script's ``__main__`` block the script's command line is read and a failed run exits
        with its status, so ``python wrapper.py`` fails visibly.
        """
        return self._run_locally(stream, argv, exit, options)

    def run_stream(
        self,
        argv: Optional[List[str]] = None,
        exit: Optional[bool] = None,  # noqa: A002
        **options: Any,
    ) -> int:
        """The vendor's spelling of ``run(stream=True)``: a local run in session order."""
        return self._run_locally(True, argv, exit, options)

    def _run_locally(
        self,
        stream: Optional[bool],
        argv: Optional[List[str]],
        exit: Optional[bool],  # noqa: A002
        options: Dict[str, Any],
    ) -> int:
        # the one upward import (tests/test_layering.py): Wrapper().run() starts the local run
        from aiges.tools.localrun import commands as run_commands

        called_as_script = _caller_is_main(depth=3)
        if argv is None:
            argv = sys.argv[1:] if called_as_script else []
        code = run_commands.run_instance(self, argv=argv, stream=stream, **options)
        if code and (exit if exit is not None else called_as_script):
            sys.exit(code)  # a failing ``python wrapper.py`` must fail; a passing one lets the script go on
        return code

    # --- the loader interface: defaults --------------------------------------------------------------
    def wrapperInit(self, config: Dict[str, Any]) -> int:  # noqa: N802
        return 0

    def wrapperFini(self) -> int:  # noqa: N802
        self.session.stop()
        return 0

    def wrapperOnceExec(  # noqa: N802
        self,
        params: Dict[str, Any],
        reqData: DataListCls,  # noqa: N803
        usrTag: str = "",  # noqa: N803
        persId: int = 0,  # noqa: N803
    ) -> Response:
        raise NotImplementedError(
            "%s.wrapperOnceExec is not implemented: a once-mode plugin must "
            "implement it and return a Response" % type(self).__name__
        )

    def wrapperOnceExecAsync(  # noqa: N802
        self,
        params: Dict[str, Any],
        reqData: DataListCls,  # noqa: N803
        usrTag: str = "",  # noqa: N803
        persId: int = 0,  # noqa: N803
        *args: Any,
    ) -> int:
        """Async once (CGO ``asyncMode=true``): runs ``wrapperOnceExec`` off the loader's thread and
        delivers its Response through the callback, so sync wrappers also work in async mode."""
        worker = threading.Thread(
            target=self._exec_and_deliver,
            args=(params, reqData, usrTag, persId),
            name="aiges-async-%s" % usrTag,
            daemon=True,
        )
        worker.start()
        return 0

    def _exec_and_deliver(self, params: Any, reqData: Any, usrTag: str, persId: int) -> None:  # noqa: N803
        try:
            result = calling.call_flexibly(
                self.wrapperOnceExec, [("params", params), ("reqData", reqData), ("usrTag", usrTag), ("persId", persId)]
            )
        except Exception:  # noqa: BLE001 - must always answer the loader
            log.exception("wrapperOnceExec raised for request %s", usrTag)
            result = Response().response_err(-1)
        if not isinstance(result, Response) and not hasattr(result, "list"):
            result = Response().response_err(-1)
        _embedded_callback()(result, usrTag)

    def wrapperError(self, ret: int) -> str:  # noqa: N802
        """The declared message of ``ret`` (``errors``), else a generic one."""
        return message_for(self.errors, ret) or "wrapper error %d" % ret

    def wrapperLoadRes(self, reqData: DataListCls, resId: Any) -> int:  # noqa: N802,N803
        return 0

    def wrapperUnloadRes(self, resId: Any) -> int:  # noqa: N802,N803
        return 0

    def wrapperCreate(  # noqa: N802
        self,
        params: Dict[str, Any],
        sid: str,
        persId: int = 0,  # noqa: N803
        usrTag: str = "",  # noqa: N803
        userTag: str = "",  # noqa: N803
    ) -> SessionCreateResponse:
        log.error("%s does not implement wrapperCreate: it is not a session (stream) plugin", type(self).__name__)
        reply = SessionCreateResponse()  # attributes, not keywords: aiges_embed's constructor takes none
        reply.handle, reply.error_code = "", SESSION_NOT_SUPPORTED
        return reply

    def wrapperWrite(self, handle: str, req: DataListCls, sid: str = "") -> int:  # noqa: N802
        log.error("%s does not implement wrapperWrite: it is not a session (stream) plugin", type(self).__name__)
        return SESSION_NOT_SUPPORTED

    def wrapperRead(self, handle: str, sid: str = "") -> Response:  # noqa: N802
        return Response()

    def wrapperDestroy(self, handle: str) -> int:  # noqa: N802
        return 0

    def wrapperTestFunc(self, data: Any = None, respData: Any = None) -> int:  # noqa: N802,N803
        """Looked up (never called) by the loader's C wrapper: it aborts at start when missing."""
        return 0


def _embedded_callback() -> Any:
    """``aiges_embed.callback`` inside the loader's C wrapper, else the runtime's delivery."""
    embedded = sys.modules.get("aiges_embed")
    if embedded is None:
        try:
            import aiges_embed as embedded  # type: ignore[no-redef]  # rebinds the lookup above (only in the C wrapper)
        except ImportError:
            embedded = None
    if embedded is not None and hasattr(embedded, "callback"):
        return embedded.callback
    from aiges.callback import deliver  # outside the C wrapper only

    return deliver


def _caller_is_main(depth: int = 2) -> bool:
    """Is the code ``depth`` frames up (the caller of ``run``/``run_stream``) a script's ``__main__``?"""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return False
    return frame.f_globals.get("__name__") == "__main__"


def schema_json(wrapper: WrapperBase) -> str:
    """The complete schema of a wrapper instance as compact JSON (what ``wrapperSchema`` answers)."""
    return json.dumps(wrapper.schema_dict("gateway"), ensure_ascii=False)


# ``from aiges.sdk import *`` in the vendor SDK also handed out the modules its sdk.py imported; published
# wrappers use some of them unimported (json, os, threading...), so the star import keeps giving those.
VENDOR_STAR_NAMES = [
    "json",
    "os",
    "sys",
    "time",
    "base64",
    "threading",
    "queue",
    "Lock",
    "pprint",
    "STRING",
    "AUDIO",
    "IMAGE",
    "VIDEO",
    "THREAD_MODE",
    "PROCESS_MODE",
    "Types",
    "Status",
    "type_map",
]
__all__ = [*API, *VENDOR_STAR_NAMES]
