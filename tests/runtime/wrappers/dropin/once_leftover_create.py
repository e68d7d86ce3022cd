# ruff: noqa  (written in the style of published vendor-SDK wrappers on purpose)
# A once-mode wrapper that still carries the test wrapperCreate of its first draft (no Write, no
# Read), as published plugins do. It answers once requests only.
from aiges.dto import DataListCls, Response, ResponseData, SessionCreateResponse
from aiges.sdk import StringBodyField, StringParamField, WrapperBase
from aiges.types import *


class UserRequest(object):
    input1 = StringBodyField(key="text", value="hello")
    param1 = StringParamField(key="style", value="upper")


class UserResponse(object):
    accept1 = StringBodyField(key="result")


class Wrapper(WrapperBase):
    serviceId = "leftover_create"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config: {}) -> int:
        return 0

    def wrapperOnceExec(self, params: {}, reqData: DataListCls, usrTag: str = "", persId: int = 0) -> Response:
        text = reqData.get("text").data.decode("utf-8")
        res = Response()
        resd = ResponseData()
        resd.key = "result"
        resd.setDataType(DataText)
        resd.status = Once
        resd.setData(text.upper().encode("utf-8"))
        res.list = [resd]
        return res

    def wrapperCreate(self, params: {}, sid: str, persId: int = 0) -> SessionCreateResponse:
        # test code from the first draft: never used
        print("create called")
        s = SessionCreateResponse()
        s.handle = "test"
        s.error_code = 0
        return s

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run()
