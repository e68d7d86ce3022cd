"""WidgetPy's rpcs for the old ``Wrapper`` API (the template's wrapper.py), by the mapping of
docs/explanation/widgetpy.md: the same wrapper runs unchanged under either loader generation.

Calls go through ``aiges.grpc.callplans`` (``call_flexibly``'s argument matching, planned once per method), with
the canonical argument lists of the other modes. Answers: a non-zero code carries the wrapper's own text
(``wrapperError``) in ``err_msg``; an exception is ``-1`` and its text (the protocol's convention), logged with
its traceback; an unusable answer (``aiges.grpc.convert.Refusal``) its code and the reason.

Results a wrapper pushes with ``callback(resp, tag)`` (sessions, ``wrapperOnceExecAsync``) go to the loader's
``AsyncCallback`` when it offers a callback socket, else wait for the session's next ``Read`` (``sessions.py``).
"""

import logging
import threading
from typing import Any, Callable, List, Optional, Tuple

from aiges import calling, errors
from aiges.callback import install_sink
from aiges.grpc import callplans, convert
from aiges.grpc.runner import only_async_once
from aiges.widgetpy import messages
from aiges.widgetpy.sessions import Sessions

log = logging.getLogger("aiges.widgetpy")

# push(usr_tag, items, err_code, err_msg) -> the loader's code: its AsyncCallback
Push = Callable[[str, List[Any], int, str], int]
EXCEPTION = -1  # what the protocol answers a raising call with


class LegacyWrapper:
    """Serves an old-API ``Wrapper`` instance; every method takes the request message and returns the response."""

    api = "aiges"

    def __init__(self, wrapper: Any, push: Optional[Push] = None, max_message_bytes: Optional[int] = None) -> None:
        self.wrapper = wrapper
        self.push = push
        self.limit = max_message_bytes
        self.sessions = Sessions()
        self._plans = callplans.Planner(wrapper)
        self._async_once = only_async_once(wrapper)
        self._lock = threading.Lock()
        self.initialised = False
        self.finished = False
        self._m = messages.response_classes()

    # --- answers --------------------------------------------------------------------------------------------
    def _text(self, code: int) -> str:
        return calling.error_text(self.wrapper, code) or ""

    def _raised(self, answer: str, method: str, error: BaseException) -> Any:
        log.error("%s raised %s: %s", method, type(error).__name__, error, exc_info=error)
        return self._m[answer](err_code=EXCEPTION, err_msg=str(error))

    def _coded(self, answer: str, method: str, result: Any) -> Any:
        """The answer to a call that returns an int code."""
        code = convert.code_ret(result)
        if code == result and not code:
            return self._m[answer]()
        if code != result:
            text = "%s returned %r; it must return an int (0 = success)" % (method, result)
        else:
            text = self._text(code)
        log.error("%s answered with %d: %s", method, code, text)
        return self._m[answer](err_code=code, err_msg=text)

    def _not_ready(self, answer: str, method: str) -> Optional[Any]:
        if self.initialised:
            return None
        text = "%s called before a successful Init" % method
        log.error("%s (answering %d)", text, errors.INIT_ERROR)
        return self._m[answer](err_code=errors.INIT_ERROR, err_msg=text)

    # --- lifecycle ------------------------------------------------------------------------------------------
    def init(self, request: Any) -> Any:
        config = dict(request.cfg)
        with self._lock:
            if self.initialised:
                log.warning("Init called again: the wrapper is already initialised, keeping it")
                return self._m["InitResponse"]()
            from aiges.utils.logsetup import apply_config  # start-up time: loaded only when this path runs

            apply_config(config)  # log.level, log.file
            install_sink(self.sink)
            try:
                result = calling.call_flexibly(self.wrapper.wrapperInit, [("config", config)])
            except BaseException as error:  # noqa: BLE001 - every call is answered
                return self._raised("InitResponse", "wrapperInit", error)
            answer = self._coded("InitResponse", "wrapperInit", result)
            self.initialised = answer.err_code == 0
            if self.initialised:
                log.info("wrapperInit succeeded")
            return answer

    def fini(self, request: Any = None) -> Any:
        with self._lock:
            if not self.initialised or self.finished:
                return self._m["ErrorResponse"]()
            self.finished = True
            try:
                result = calling.call_flexibly(self.wrapper.wrapperFini, [])
            except BaseException as error:  # noqa: BLE001 - every call is answered
                return self._raised("ErrorResponse", "wrapperFini", error)
            return self._coded("ErrorResponse", "wrapperFini", 0 if result is None else result)

    def shutdown(self) -> None:
        """At the end of serving: ``wrapperFini`` unless the loader called Fini already."""
        self.fini()

    def version(self, request: Any = None) -> Any:
        """``wrapperVersion()`` when the class has one, else its ``version`` (the schema version); never fails."""
        try:
            method = getattr(self.wrapper, "wrapperVersion", None)
            value = method() if callable(method) else getattr(type(self.wrapper), "version", "")
            return self._m["VersionResponse"](version="" if value is None else str(value))
        except BaseException as error:
            log.error("wrapperVersion raised %s: %s", type(error).__name__, error, exc_info=error)
            return self._m["VersionResponse"]()

    # --- once -----------------------------------------------------------------------------------------------
    def exec(self, request: Any) -> Any:
        refused = self._not_ready("ExecResponse", "Exec")
        if refused is not None:
            return refused
        tag = request.usr_tag
        params = dict(request.params)
        req_data = messages.to_data_list(request.data_list)
        pers_id = request.psr_ids[0] if request.psr_ids else 0
        method = "wrapperOnceExecAsync" if self._async_once else "wrapperOnceExec"
        try:
            result = self._plans(method, callplans.ONCE)(params, req_data, tag, pers_id)
            if self._async_once:  # the result comes through callback(resp, usrTag)
                return self._coded("ExecResponse", method, result)
            code = convert.error_code(result)
            if code:
                text = self._text(code)
                log.error("%s for tag %r answered with %d: %s", method, tag, code, text)
                return self._m["ExecResponse"](err_code=code, err_msg=text)
            items = messages.from_response(result, once=True, limit=self.limit)
        except convert.Refusal as refusal:
            log.error("%s for tag %r answered with %d: %s", method, tag, refusal.code, refusal.message)
            return self._m["ExecResponse"](err_code=refusal.code, err_msg="%s %s" % (method, refusal.message))
        except BaseException as error:  # noqa: BLE001 - every call is answered
            return self._raised("ExecResponse", method, error)
        return self._m["ExecResponse"](data_list=items)

    # --- sessions -------------------------------------------------------------------------------------------
    def create(self, request: Any) -> Any:
        refused = self._not_ready("CreateResponse", "Create")
        if refused is not None:
            return refused
        params = dict(request.params)
        tag = request.usr_tag
        sid = params.get("sid", "") or tag
        pers_id = request.psr_ids[0] if request.psr_ids else 0
        try:
            result = self._plans("wrapperCreate", callplans.CREATE)(params, sid, pers_id, tag or sid)
        except BaseException as error:  # noqa: BLE001 - every call is answered
            return self._raised("CreateResponse", "wrapperCreate", error)
        handle, code = convert.created(result)
        if handle:
            self.sessions.open(handle, sid, tag or sid)
            return self._m["CreateResponse"](handle=handle)
        text = self._text(code) if hasattr(result, "error_code") else "wrapperCreate returned %r: no handle" % (result,)
        log.error("wrapperCreate for sid %r answered with %d: %s", sid, code, text)
        return self._m["CreateResponse"](err_code=code, err_msg=text)

    def write(self, request: Any) -> Any:
        refused = self._not_ready("ErrorResponse", "Write")
        if refused is not None:
            return refused
        session = self.sessions.get(request.handle)
        with session.lock:
            try:
                result = self._plans("wrapperWrite", callplans.WRITE)(
                    request.handle, messages.to_data_list(request.data_list), session.sid
                )
            except BaseException as error:  # noqa: BLE001 - every call is answered
                return self._raised("ErrorResponse", "wrapperWrite", error)
            return self._coded("ErrorResponse", "wrapperWrite", result)

    def read(self, request: Any) -> Any:
        refused = self._not_ready("ReadResponse", "Read")
        if refused is not None:
            return refused
        session = self.sessions.get(request.handle)
        with session.lock:
            items, code, text = _drain(session.pending)
            if code:
                return self._m["ReadResponse"](data_list=items, err_code=code, err_msg=text)
            try:
                result = calling.call_flexibly(
                    self.wrapper.wrapperRead, [("handle", request.handle), ("sid", session.sid)]
                )
                code = convert.error_code(result)
                if code:
                    text = self._text(code)
                    log.error("wrapperRead for handle %r answered with %d: %s", request.handle, code, text)
                    return self._m["ReadResponse"](data_list=items, err_code=code, err_msg=text)
                items += messages.from_response(result, once=False, limit=self.limit)
            except convert.Refusal as refusal:
                log.error("wrapperRead answered with %d: %s", refusal.code, refusal.message)
                return self._m["ReadResponse"](err_code=refusal.code, err_msg="wrapperRead %s" % refusal.message)
            except BaseException as error:  # noqa: BLE001 - every call is answered
                return self._raised("ReadResponse", "wrapperRead", error)
        return self._m["ReadResponse"](data_list=items)

    def destroy(self, request: Any) -> Any:
        refused = self._not_ready("ErrorResponse", "Destroy")
        if refused is not None:
            return refused
        session = self.sessions.get(request.handle)
        with session.lock:
            try:
                result = self._plans("wrapperDestroy", callplans.DESTROY)(request.handle)
            except BaseException as error:  # noqa: BLE001 - every call is answered
                return self._raised("ErrorResponse", "wrapperDestroy", error)
            finally:
                self.sessions.close(request.handle)
            return self._coded("ErrorResponse", "wrapperDestroy", result)

    # --- the rest -------------------------------------------------------------------------------------------
    def _optional(self, answer: str, method: str, canonical: List[Tuple[str, Any]]) -> Any:
        refused = self._not_ready(answer, method)
        if refused is not None:
            return refused
        function = getattr(self.wrapper, method, None)
        if function is None:
            return self._m[answer]()
        try:
            result = calling.call_flexibly(function, canonical)
        except BaseException as error:  # noqa: BLE001 - every call is answered
            return self._raised(answer, method, error)
        return self._coded(answer, method, result)

    def load_res(self, request: Any) -> Any:
        data = messages.to_data_list(request.data_list)
        return self._optional("ErrorResponse", "wrapperLoadRes", [("reqData", data), ("resId", request.res_id)])

    def unload_res(self, request: Any) -> Any:
        return self._optional("ErrorResponse", "wrapperUnloadRes", [("resId", request.res_id)])

    def notify(self, request: Any) -> Any:
        return self._optional("ErrorResponse", "wrapperNotify", [("reqData", messages.to_data_list(request.data_list))])

    def debug_info(self, request: Any) -> Any:
        """``wrapperDebugInfo(handle)`` when the class has one (the C ABI's hook; the old API had none)."""
        method = getattr(self.wrapper, "wrapperDebugInfo", None)
        if method is None:
            return self._m["DebugInfoResponse"]()
        try:
            info = calling.call_flexibly(method, [("handle", request.handle)])
        except BaseException as error:
            log.error("wrapperDebugInfo raised %s: %s", type(error).__name__, error, exc_info=error)
            return self._m["DebugInfoResponse"]()
        return self._m["DebugInfoResponse"](debug_info="" if info is None else str(info))

    # --- pushed results -------------------------------------------------------------------------------------
    def sink(self, resp: Any, tag: str) -> None:
        """``callback(resp, tag)`` from the wrapper (``aiges.callback.install_sink``): to the loader's
        AsyncCallback, else to the session's next Read; a result nobody can take is logged."""
        session = self.sessions.find(tag)
        usr_tag = session.tag if session is not None and session.tag else tag
        code = convert.error_code(resp)
        text = self._text(code) if code else ""
        items: List[Any] = []
        if not code:
            try:
                items = messages.from_response(resp, once=session is None, limit=self.limit)
            except convert.Refusal as refusal:
                code, text = refusal.code, "callback %s" % refusal.message
        if code:
            log.error("callback for tag %r carries %d: %s", usr_tag, code, text)
        if self.push is not None:
            self.push(usr_tag, items, code, text)
        elif session is not None:
            session.pending.append((items, code, text))
        else:
            log.error(
                "callback(resp, %r): no session has this tag and the loader gave no --callback-sock: result dropped",
                tag,
            )


def _drain(pending: List[Tuple[List[Any], int, str]]) -> Tuple[List[Any], int, str]:
    """The items waiting for Read, and the first error among them (it ends the read there)."""
    items: List[Any] = []
    while pending:
        more, code, text = pending.pop(0)
        items.extend(more)
        if code:
            return items, code, text
    return items, 0, ""
