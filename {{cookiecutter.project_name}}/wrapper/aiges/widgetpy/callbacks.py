"""The loader's ``CallbackService`` (``--callback-sock``): metering, tracing, metrics and pushed results.

Installed as the runtime's reporter (``aiges.callback.install_reporter``), so the new API's helpers
(``meter_custom``, ``trace_log``, ``async_callback``, ...) and the old API's ``callback_metric`` /
``callback_trace`` / ``callback`` all arrive here. Calls go over our own HTTP/2 client (``aiges.grpc.h2.client``),
one at a time on one connection, each with a deadline.

Unlike the vendor's server, start-up does not wait 10 s for a callback socket that is not there: the
connection is tried once at start (a warning when it fails) and again by each call. A call that fails is
logged and answers -1 to the wrapper (the vendor's raised grpc.RpcError into the wrapper's code).
"""

import logging
from typing import Any, Dict, List

from aiges.grpc import wire
from aiges.grpc.h2.client import CallError, UnaryClient
from aiges.widgetpy import messages

log = logging.getLogger("aiges.widgetpy")

SERVICE = "aiges.wrapper.CallbackService"
FAILED = -1


class LoaderCallbacks:
    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.path = path
        self.client = UnaryClient(path, timeout)
        self.methods = wire.service(SERVICE)

    def connect(self) -> bool:
        try:
            self.client.connect()
        except OSError as error:
            log.warning(
                "cannot connect to the loader's callback socket %s yet (%s): calls will retry", self.path, error
            )
            return False
        log.info("callback channel connected: %s", self.path)
        return True

    def report(self, rpc: str, fields: Dict[str, Any]) -> int:
        """``aiges.callback.report``'s destination: the loader's code, or -1 when the call failed."""
        method = self.methods.get(rpc)
        if method is None:
            log.error("the loader offers no %s (its CallbackService has %s)", rpc, ", ".join(sorted(self.methods)))
            return FAILED
        if "data_list" in fields:
            fields = dict(fields, data_list=messages.pushed_items(fields["data_list"]))
        request = method.request(**fields)
        try:
            answer = method.response.FromString(self.client.call(method.path, request.SerializeToString()))
        except CallError as error:
            log.error("%s to the loader's callback socket %s failed: %s", rpc, self.path, error)
            return FAILED
        if answer.code:
            log.warning("the loader answered %s with code %d %s", rpc, answer.code, answer.err_msg)
        return int(answer.code)

    def push(self, usr_tag: str, items: List[Any], err_code: int, err_msg: str) -> int:
        """Results as wire items (the old API's ``callback``) to ``AsyncCallback``."""
        method = self.methods["AsyncCallback"]
        request = method.request(usr_tag=usr_tag, data_list=items, err_code=err_code, err_msg=err_msg)
        try:
            answer = method.response.FromString(self.client.call(method.path, request.SerializeToString()))
        except CallError as error:
            log.error("AsyncCallback for %r to %s failed: %s (the result is lost)", usr_tag, self.path, error)
            return FAILED
        return int(answer.code)

    def close(self) -> None:
        self.client.close()
