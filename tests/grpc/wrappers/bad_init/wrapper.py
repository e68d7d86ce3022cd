"""wrapperInit fails: the server must answer Ret 30002."""
from aiges.sdk import StringBodyField, WrapperBase


class UserRequest:
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "badinit"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        return 3

    def wrapperError(self, ret):
        return "model file missing"
