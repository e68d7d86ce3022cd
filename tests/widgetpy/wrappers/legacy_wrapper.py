"""An old-API Wrapper (aiges.sdk) that uses the loader's services: metering, tracing, pushed results, errors."""

import threading

from aiges.sdk import (
    DataEnd,
    DataOnce,
    ErrorCodes,
    Response,
    ResponseData,
    SessionCreateResponse,
    WrapperBase,
    callback,
)
from aiges_embed import callback_metric, callback_trace


class Errors(ErrorCodes):
    NO_INPUT = 1002, "the request carries no input data"


def answer(key, data, status=DataOnce):
    item = ResponseData()
    item.key, item.data, item.status, item.type = key, data, status, 0
    resp = Response()
    resp.list = [item]
    return resp


class Wrapper(WrapperBase):
    serviceId = "legacy"
    version = "v7"
    errors = Errors

    def wrapperInit(self, config):
        self.config = dict(config)
        return 0

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        if params.get("mode") == "services":
            codes = [callback_metric(usrTag, "mkey", 3), callback_trace(usrTag, "tk", "tv")]
            return answer("codes", str(codes).encode())
        if params.get("mode") == "raise":
            raise ValueError("exec boom")
        node = reqData.get("text")
        if node is None:
            return Response().response_err(Errors.NO_INPUT)
        return answer("echo", bytes(node.data) + (" pers=%s" % persId).encode())

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        reply = SessionCreateResponse()
        reply.handle, reply.error_code = "h-" + sid, 0
        return reply

    def wrapperWrite(self, handle, req, sid=""):
        node = req.get("text")
        status = DataEnd if node.status in (2, 3) else 1
        done = threading.Event()

        def deliver():  # from another thread, as stream wrappers do
            callback(answer("part", bytes(node.data).upper(), status), sid)
            done.set()

        threading.Thread(target=deliver).start()
        done.wait()
        return 0

    def wrapperDestroy(self, handle):
        return 0
