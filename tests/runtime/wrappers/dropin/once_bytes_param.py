# ruff: noqa  (written in the style of published vendor-SDK wrappers on purpose)
# A once wrapper whose params carry bytes values (`value=b"..."`), as published plugins do; one of
# them is an API key.
import json

from aiges.dto import DataListCls, Response, ResponseData
from aiges.sdk import StringBodyField, StringParamField, WrapperBase
from aiges.types import *



class UserRequest(object):
    input1 = StringBodyField(key="text", value=b"translate me")
    param1 = StringParamField(key="api_key", value=b"sk-live-9f8e7d6c5b4a3f2e1d0c", maxLength=64)
    param2 = StringParamField(key="lang", value=b"zh")


class UserResponse(object):
    accept1 = StringBodyField(key="result")


class Wrapper(WrapperBase):
    serviceId = "bytes_param"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config: {}) -> int:
        return 0

    def wrapperOnceExec(self, params: {}, reqData: DataListCls, usrTag: str = "", persId: int = 0) -> Response:
        res = Response()
        resd = ResponseData()
        resd.key = "result"
        resd.setDataType(DataText)
        resd.status = Once
        resd.setData(json.dumps({"lang": params["lang"], "keyed": params["api_key"].startswith("sk-")}).encode())
        res.list = [resd]
        return res

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run()
