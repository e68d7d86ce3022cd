"""The wrapper's life in gRPC mode: import, init, schema, once, sessions, fini, result delivery.

Blocking code only (the server calls it from worker threads) and no gRPC API, so the semantics are
testable without a network. Every call answers: results and failures of ``wrapperOnceExec`` and of
session callbacks go to ``outlet`` as ``aiges.Response`` messages tagged for the loader; create,
write and destroy return codes. Nothing a wrapper does (raise, return None or junk) leaves a
request waiting.
"""

import json
import logging
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiges import calling, errors, loading
from aiges.callback import install_sink
from aiges.grpc import callplans, convert
from aiges.grpc.resulttags import ResultTags

log = logging.getLogger("aiges.serve")

Outlet = Callable[[Any], None]  # takes an aiges.Response message


class NotReady(Exception):
    """A request arrived while no wrapper is initialised."""


class WrapperRunner:
    """Owns the wrapper instance; see the module docstring."""

    def __init__(
        self,
        outlet: Outlet,
        location: Optional[str] = None,
        argv: Optional[List[str]] = None,
        max_message_bytes: Optional[int] = None,
    ) -> None:
        self.outlet = outlet
        self.max_message_bytes = max_message_bytes  # a larger result is refused for its own request
        self.location = location
        self.argv = argv
        self.wrapper: Any = None
        self.sessions = ResultTags()
        self._planner: Optional[callplans.Planner] = None
        self._async_once = False
        self._fini_done = False
        self._lock = threading.Lock()
        self._warned_status = False

    # --- lifecycle -----------------------------------------------------------------------------------
    def init(self, config: Dict[str, str]) -> int:
        """Import wrapper.py, instantiate ``Wrapper``, call ``wrapperInit(config)``: 0, 30001 or 30002."""
        with self._lock:
            if self.wrapper is not None:
                log.warning("wrapperInit called again: the wrapper is already initialised, keeping it")
                return errors.OK
            from aiges.utils.logsetup import apply_config  # start-up time: loaded only when this path runs

            apply_config(config)  # log.level, log.file
            if self.argv is not None:
                sys.argv = list(self.argv)
            try:
                cls, path = loading.import_wrapper(self.location)
                log.info("imported %s from %s", cls.__name__, path)
                wrapper = instantiate(cls)
            except BaseException:
                log.exception("cannot import and instantiate wrapper.Wrapper (ret %d)", errors.INIT_ERROR)
                return errors.INIT_ERROR
            install_sink(self.sink)
            try:
                result = calling.call_flexibly(wrapper.wrapperInit, [("config", dict(config))])
            except BaseException:
                log.exception("wrapperInit raised (ret %d)", errors.USER_INIT_ERROR)
                return errors.USER_INIT_ERROR
            if isinstance(result, bool) or not isinstance(result, int) or result != 0:
                log.error(
                    "wrapperInit returned %r, not 0: %s (ret %d)",
                    result,
                    _message(wrapper, result) if isinstance(result, int) else "it must return an int",
                    errors.USER_INIT_ERROR,
                )
                return errors.USER_INIT_ERROR
            self.wrapper = wrapper
            self._planner = callplans.Planner(wrapper)
            self._async_once = only_async_once(wrapper)
            log.info("wrapperInit succeeded")
            return errors.OK

    def schema(self, service_id: str = "") -> str:
        """The complete gateway schema as JSON; never raises (a minimal valid schema on failure)."""
        wrapper = self.wrapper
        try:
            if wrapper is None:
                raise NotReady("wrapperSchema called before a successful wrapperInit")
            if hasattr(wrapper, "schema_dict"):
                # the sdk is loaded with the wrapper, after the handshake (start-up time)
                from aiges.sdk import schema_json

                return schema_json(wrapper)
            text = wrapper.schema()
            json.loads(text)
            return text
        except BaseException:
            log.exception(
                "cannot build the schema; answering a minimal one (the loader's HTTP routes will be "
                "incomplete). Run `python -m aiges check` to see the declaration problems"
            )
            return json.dumps(_minimal_schema(wrapper, service_id), ensure_ascii=False)

    def fini(self) -> int:
        """``wrapperFini`` once (server shutdown); the wrapper stays installed for late callbacks."""
        with self._lock:
            if self.wrapper is None or self._fini_done:
                return errors.OK
            self._fini_done = True
            try:
                result = calling.call_flexibly(self.wrapper.wrapperFini, [])
            except BaseException:
                log.exception("wrapperFini raised")
                return errors.USER_EXEC_ERROR
            if result not in (0, None):
                log.warning("wrapperFini returned %r", result)
            return errors.OK

    # --- once ------------------------------------------------------------------------------------------
    def once(self, request: Any) -> None:
        """Run ``wrapperOnceExec`` for a wire Request and push its result (or an error) to the outlet."""
        tag = request.tag
        wrapper = self.wrapper
        try:
            if wrapper is None:
                raise NotReady("wrapperOnceExec called before a successful wrapperInit")
            params = convert.plain_dict(request.params)
            req_data = convert.data_list(request.list)
            if self._async_once:
                code = self._plan("wrapperOnceExecAsync", callplans.ONCE)(params, req_data, tag, 0)
                if code != 0:
                    self._refuse(tag, "wrapperOnceExecAsync", convert.returned_ret(code), _message(wrapper, code))
                return  # the result comes through callback(resp, usrTag)
            result = self._plan("wrapperOnceExec", callplans.ONCE)(params, req_data, tag, 0)
            code = convert.error_code(result)
            if code:
                self._refuse(tag, "wrapperOnceExec", code, _message(wrapper, code))
                return
            message = convert.response(tag, result, once=True, limit=self.max_message_bytes)
        except convert.Refusal as refusal:
            self._refuse(tag, "wrapperOnceExec", refusal.code, refusal.message)
            return
        except NotReady as problem:
            self._refuse(tag, "wrapperOnceExec", errors.INIT_ERROR, str(problem))
            return
        except BaseException as error:  # noqa: BLE001 - every request gets an answer
            answer = convert.raised(error)
            self._refuse(tag, "wrapperOnceExec", answer.code, answer.message, traceback=True)
            return
        self.outlet(message)

    # --- sessions ------------------------------------------------------------------------------------
    def create(self, request: Any) -> Tuple[str, int]:
        """``wrapperCreate`` -> (handle, err_code); a str or a SessionCreateResponse both work."""
        params = convert.plain_dict(request.params)
        sid = request.sid or params.get("sid", "") or request.tag
        tag = request.tag or sid
        wrapper = self.wrapper
        if wrapper is None:
            log.error("wrapperCreate called before a successful wrapperInit")
            return "", errors.INIT_ERROR
        self.sessions.expect(sid, tag)
        try:
            result = self._plan("wrapperCreate", callplans.CREATE)(params, sid, 0, tag)
        except BaseException:
            log.error("wrapperCreate raised for sid %r", sid, exc_info=True)
            self.sessions.forget_sid(sid)
            return "", errors.USER_EXEC_ERROR
        handle, code = convert.created(result)
        if handle:
            self.sessions.open(handle, sid, tag)
            return handle, errors.OK
        self.sessions.forget_sid(sid)
        log.error(
            "wrapperCreate for sid %r returned %r: no session (err_code %d: %s)",
            sid,
            result,
            code,
            _message(wrapper, code),
        )
        return "", code

    def write(self, request: Any) -> int:
        """``wrapperWrite(handle, reqData, sid)`` -> its code (30003 when it raises or returns junk)."""
        wrapper = self.wrapper
        if wrapper is None:
            log.error("wrapperWrite called before a successful wrapperInit")
            return errors.INIT_ERROR
        handle = request.handle
        session = self.sessions.get(handle)
        sid = request.sid or (session.sid if session is not None else "")
        try:
            result = self._plan("wrapperWrite", callplans.WRITE)(handle, convert.data_list(request.req.list), sid)
        except BaseException:
            log.error("wrapperWrite raised for handle %r", handle, exc_info=True)
            return errors.USER_EXEC_ERROR
        return self._code("wrapperWrite", result)

    def destroy(self, handle: str) -> int:
        wrapper = self.wrapper
        if wrapper is None:
            return errors.INIT_ERROR
        try:
            result = self._plan("wrapperDestroy", callplans.DESTROY)(handle)
        except BaseException:
            log.error("wrapperDestroy raised for handle %r", handle, exc_info=True)
            return errors.USER_EXEC_ERROR
        finally:
            self.sessions.close(handle)
        return self._code("wrapperDestroy", result)

    def sink(self, resp: Any, tag: str) -> None:
        """Installed with ``aiges.callback.install_sink``: ``aiges.callback.callback`` and
        ``aiges.dto.callback`` results go to the loader under the session's (or request's) tag."""
        wire_tag = self.sessions.tag_for(tag)
        if not wire_tag:
            log.error("callback() without a tag: the loader cannot match this result; pass the usrTag/sid")
            return
        code = convert.error_code(resp)
        try:
            if code:
                self._refuse(wire_tag, "callback", code, _message(self.wrapper, code))
                return
            message = convert.response(wire_tag, resp, once=False, limit=self.max_message_bytes)
        except convert.Refusal as refusal:
            self._refuse(wire_tag, "callback", refusal.code, refusal.message)
            return
        self.outlet(message)

    # --- helpers -------------------------------------------------------------------------------------
    def _plan(self, name: str, names: Tuple[str, ...]) -> Callable[..., Any]:
        planner = self._planner
        if planner is None:
            raise NotReady("%s called before a successful wrapperInit" % name)
        return planner(name, names)

    def refuse(self, tag: str, where: str, code: int, message: str) -> None:
        """Answer a request the server could not run (e.g. its queue is full) with ``code``."""
        self._refuse(tag, where, code, message)

    def _refuse(self, tag: str, where: str, code: int, message: str, traceback: bool = False) -> None:
        log.error("%s for tag %r answered with ret %d: %s", where, tag, code, message, exc_info=traceback)
        self.outlet(convert.error_response(tag, code, "%s: %s" % (where, message)))

    def _code(self, where: str, result: Any) -> int:
        if isinstance(result, bool) or not isinstance(result, int):
            log.error(
                "%s returned %r; it must return an int (0 = success): answering %d",
                where,
                result,
                errors.USER_EXEC_ERROR,
            )
        elif result:
            log.error("%s returned %d: %s", where, result, _message(self.wrapper, result))
        return convert.code_ret(result)


def instantiate(cls: type) -> Any:
    """``Wrapper(legacy=False, is_aipaas=True, keep_schema_default_value=True)`` as the loader does;
    a wrapper whose own ``__init__`` takes no such arguments is built with ``Wrapper()``."""
    try:
        return cls(legacy=False, is_aipaas=True, keep_schema_default_value=True)
    except TypeError as error:
        if "unexpected keyword argument" not in str(error) and "positional argument" not in str(error):
            raise
        log.info("Wrapper() takes no schema arguments (%s); instantiating it without", error)
        return cls()


def only_async_once(wrapper: Any) -> bool:
    """True when the class implements only ``wrapperOnceExecAsync`` (results come by callback)."""
    try:
        from aiges.sdk import WrapperBase  # the sdk is loaded with the wrapper, after the handshake (start-up time)
    except ImportError:  # pragma: no cover - the runtime always has sdk
        return False
    cls = type(wrapper)
    exec_impl = getattr(cls, "wrapperOnceExec", None)
    async_impl = getattr(cls, "wrapperOnceExecAsync", None)
    return (
        isinstance(wrapper, WrapperBase)
        and exec_impl is WrapperBase.wrapperOnceExec
        and async_impl is not None
        and async_impl is not WrapperBase.wrapperOnceExecAsync
    )


def _message(wrapper: Any, code: Any) -> str:
    if wrapper is None or not isinstance(code, int):
        return ""
    return calling.error_text(wrapper, code) or ""


def _minimal_schema(wrapper: Any, service_id: str) -> Dict[str, Any]:
    """The smallest schema the loader accepts (top-level keys and a non-empty ``meta.serviceId``)."""
    cls = type(wrapper) if wrapper is not None else None
    sid = str(getattr(cls, "serviceId", "") or service_id or "wrapper")
    version = str(getattr(cls, "version", "") or "v1")
    return {
        "meta": {
            "serviceId": sid,
            "version": version,
            "route": "/%s/private/%s" % (version, sid),
            "sub": "ase",
            "call": "atmos",
            "call_type": 0,
            "hosts": "api.xf-yun.com",
            "service": [sid],
        },
        "schemainput": {"type": "object", "properties": {}},
        "schemaoutput": {"type": "object", "properties": {}},
    }
