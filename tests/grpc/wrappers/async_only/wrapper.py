"""Implements only wrapperOnceExecAsync (CGO asyncMode style): results come through callback."""
import threading

from aiges.dto import Response, ResponseData, callback
from aiges.sdk import StringBodyField, WrapperBase


class UserRequest:
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "asynconly"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        return 0

    def wrapperOnceExecAsync(self, params, reqData, usrTag="", persId=0):
        if params.get("mode") == "refuse":
            return 9
        data = reqData.list[0].data

        def later():
            item = ResponseData()
            item.key = "out"
            item.setData(b"async:" + data)
            response = Response()
            response.list = [item]
            callback(response, usrTag)

        threading.Thread(target=later, daemon=True).start()
        return 0
