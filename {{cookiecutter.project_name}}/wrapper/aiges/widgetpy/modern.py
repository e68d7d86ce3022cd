"""WidgetPy's rpcs for a wrapper written for the vendor's package (a ``python_wrapper.WrapperBase`` subclass).

The vendor's rules, so both servers answer the same bytes (tests/widgetpy compares them): positional calls
of fixed arity, ``code or 0``, any exception -> ``err_code -1`` and ``str(exception)`` with no data, and a
non-zero code returned normally travels without a message. Where the vendor's server is wrong
(docs/explanation/widgetpy.md) this one differs on purpose:

- every failure is logged with its traceback (the vendor logged none);
- a raising or non-str ``version()`` answers an empty version instead of failing the call with UNKNOWN;
- ``create`` returning no handle (``None`` or "") is an error (-1 and a message), not the handle "None";
- calls naming one handle never run the wrapper at the same time (``sessions.py``);
- ``debug_info`` that raises is logged (still answered with "").
"""

import logging
from typing import Any

from aiges.widgetpy import messages
from aiges.widgetpy.sessions import Sessions

log = logging.getLogger("aiges.widgetpy")

NO_HANDLE = "create returned no handle (%r); return (handle, 0) or (None, <error code>)"


class ModernWrapper:
    """Serves a new-API wrapper instance; every method takes the request message and returns the response."""

    api = "python_wrapper"

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper
        self.sessions = Sessions()
        self._m = messages.response_classes()
        self.initialised = False  # a successful Init: shutdown calls fini()
        self.finished = False

    def _failed(self, answer: str, method: str, error: BaseException, **fields: Any) -> Any:
        log.error("%s raised %s: %s", method, type(error).__name__, error, exc_info=error)
        return self._m[answer](err_code=-1, err_msg=str(error), **fields)

    def _code(self, answer: str, method: str, call: Any) -> Any:
        try:
            code = call()
            if code:
                log.warning("%s returned %r", method, code)
            return self._m[answer](err_code=code or 0)
        except BaseException as error:  # noqa: BLE001 - every call is answered
            return self._failed(answer, method, error)

    def _results(self, answer: str, method: str, call: Any) -> Any:
        try:
            results, code = call()
            if code:
                log.warning("%s returned code %r", method, code)
            return self._m[answer](data_list=messages.from_user_items(results), err_code=code or 0)
        except BaseException as error:  # noqa: BLE001 - every call is answered
            return self._failed(answer, method, error)

    # --- lifecycle ------------------------------------------------------------------------------------------
    def init(self, request: Any) -> Any:
        answer = self._code("InitResponse", "init", lambda: self.wrapper.init(dict(request.cfg)))
        self.initialised = self.initialised or answer.err_code == 0
        return answer

    def fini(self, request: Any = None) -> Any:
        self.finished = True
        return self._code("ErrorResponse", "fini", self.wrapper.fini)

    def version(self, request: Any = None) -> Any:
        try:
            version = self.wrapper.version()
            return self._m["VersionResponse"](version=version)
        except BaseException as error:
            log.error("version() raised or returned no str (answering an empty version): %s", error, exc_info=error)
            return self._m["VersionResponse"]()

    # --- once -----------------------------------------------------------------------------------------------
    def exec(self, request: Any) -> Any:
        return self._results(
            "ExecResponse",
            "exec",
            lambda: self.wrapper.exec(
                request.usr_tag, dict(request.params), messages.to_user_items(request.data_list), list(request.psr_ids)
            ),
        )

    # --- sessions -------------------------------------------------------------------------------------------
    def create(self, request: Any) -> Any:
        try:
            handle, code = self.wrapper.create(request.usr_tag, dict(request.params), list(request.psr_ids))
            if handle is None or handle == "":
                if code:
                    log.warning("create returned code %r", code)
                    return self._m["CreateResponse"](err_code=code)
                log.error(NO_HANDLE, handle)
                return self._m["CreateResponse"](err_code=-1, err_msg=NO_HANDLE % (handle,))
            answer = self._m["CreateResponse"](handle=str(handle), err_code=code or 0)
        except BaseException as error:  # noqa: BLE001 - every call is answered
            return self._failed("CreateResponse", "create", error)
        if not code:
            self.sessions.open(answer.handle, dict(request.params).get("sid", ""), request.usr_tag)
        return answer

    def write(self, request: Any) -> Any:
        with self.sessions.get(request.handle).lock:
            return self._code(
                "ErrorResponse",
                "write",
                lambda: self.wrapper.write(request.handle, messages.to_user_items(request.data_list)),
            )

    def read(self, request: Any) -> Any:
        with self.sessions.get(request.handle).lock:
            return self._results("ReadResponse", "read", lambda: self.wrapper.read(request.handle))

    def destroy(self, request: Any) -> Any:
        session = self.sessions.get(request.handle)
        with session.lock:
            answer = self._code("ErrorResponse", "destroy", lambda: self.wrapper.destroy(request.handle))
        self.sessions.close(request.handle)
        return answer

    # --- the rest -------------------------------------------------------------------------------------------
    def load_res(self, request: Any) -> Any:
        return self._code(
            "ErrorResponse",
            "load_res",
            lambda: self.wrapper.load_res(messages.to_user_items(request.data_list), request.res_id),
        )

    def unload_res(self, request: Any) -> Any:
        return self._code("ErrorResponse", "unload_res", lambda: self.wrapper.unload_res(request.res_id))

    def debug_info(self, request: Any) -> Any:
        try:
            with self.sessions.get(request.handle).lock:
                info = self.wrapper.debug_info(request.handle)
            return self._m["DebugInfoResponse"](debug_info=info or "")
        except BaseException as error:
            log.error("debug_info raised %s: %s", type(error).__name__, error, exc_info=error)
            return self._m["DebugInfoResponse"]()

    def notify(self, request: Any) -> Any:
        return self._code(
            "ErrorResponse", "notify", lambda: self.wrapper.notify(messages.to_user_items(request.data_list))
        )

    def shutdown(self) -> None:
        """At the end of serving: ``fini()`` unless the loader called Fini already."""
        if self.initialised and not self.finished:
            self.fini()
