"""A once wrapper that takes a while (``params["sleep_ms"]``, default 20), like the 50 ms wrapper of the
loader measurements (spec 13.1): each answer echoes the input under key ``out``."""
import time

from aiges.dto import Response, ResponseData
from aiges.sdk import StringBodyField, StringParamField, WrapperBase


class UserRequest:
    sleep = StringParamField(key="sleep_ms", value="20")
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "slow"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        return 0

    def wrapperFini(self):
        return 0

    def wrapperError(self, ret):
        return "slow error %d" % ret

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        time.sleep(float(params.get("sleep_ms", "20")) / 1000.0)
        result = ResponseData()
        result.key = "out"
        result.setData(reqData.list[0].data)
        result.type = 0
        result.status = 3
        response = Response()
        response.list = [result]
        return response
