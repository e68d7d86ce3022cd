"""The trivial wrapper every benchmarked server runs: echo the first input under key ``out``.

Written against the API shared by the vendor SDK 0.16.0 and this runtime, so the same file runs
under both servers. ``params["sleep_ms"]`` makes it wait (a stand-in for I/O or GIL-free inference).
"""
import time

from aiges.dto import Response, ResponseData
from aiges.sdk import StringBodyField, StringParamField, WrapperBase


class UserRequest:
    sleep = StringParamField(key="sleep_ms", value="0")
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "bench"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        return 0

    def wrapperFini(self):
        return 0

    def wrapperError(self, ret):
        return "bench error %d" % ret

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        delay = params.get("sleep_ms", "0")
        if delay and delay != "0":
            time.sleep(float(delay) / 1000.0)
        result = ResponseData()
        result.key = "out"
        result.setData(reqData.list[0].data)
        result.type = 0
        result.status = 3
        response = Response()
        response.list = [result]
        return response

    def wrapperTestFunc(self, data, respData):
        return 0
