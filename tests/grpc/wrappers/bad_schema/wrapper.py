"""Declarations the schema builder rejects (no accept field): the schema RPC must still answer JSON."""
from aiges.dto import Response, ResponseData
from aiges.sdk import StringBodyField, WrapperBase


class UserRequest:
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    pass


class Wrapper(WrapperBase):
    serviceId = "badschema"
    version = "v2"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        return 0

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        item = ResponseData()
        item.key = "out"
        item.setData(b"still works")
        response = Response()
        response.list = [item]
        return response
