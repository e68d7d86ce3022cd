"""The trivial wrapper every benchmarked server runs: echo the first input under key ``out``.

Written against the API shared by the vendor SDK 0.16.0 and this runtime, so the same file runs
under both servers. ``params["sleep_ms"]`` makes it wait (a stand-in for I/O or GIL-free inference);
``params["reply_bytes"]`` answers that many bytes instead of the echo, ``params["reply"] = "size"`` the
input's length (big requests, big results).
"""
import time

from aiges.dto import Response, ResponseData
from aiges.sdk import StringBodyField, StringParamField, WrapperBase

_FILLERS = {}


def _filler(size):
    """``size`` bytes, made once (the benchmark times the server, not this)."""
    if size not in _FILLERS:
        _FILLERS[size] = b"r" * size
    return _FILLERS[size]


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
        data = reqData.list[0].data
        if params.get("reply") == "size":
            data = str(len(data)).encode()
        elif params.get("reply_bytes"):
            data = _filler(int(params["reply_bytes"]))
        result.setData(data)
        result.type = 0
        result.status = 3
        response = Response()
        response.list = [result]
        return response

    def wrapperTestFunc(self, data, respData):
        return 0
