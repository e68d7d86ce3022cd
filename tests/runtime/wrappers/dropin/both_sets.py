# ruff: noqa  (written in the style of published vendor-SDK wrappers on purpose)
# A wrapper that implements both the once and the session methods, as published plugins do; which
# one the loader uses is a deployment choice. MODE is copied into the class attribute by the tests
# ("" leaves it unset).
import json

from aiges.dto import DataListCls, Response, ResponseData, SessionCreateResponse, callback
from aiges.sdk import StringBodyField, WrapperBase
from aiges.types import *


class UserRequest(object):
    input1 = StringBodyField(key="text", value="both ways")


class UserResponse(object):
    accept1 = StringBodyField(key="result")


def _answer(text, status):
    res = Response()
    resd = ResponseData()
    resd.key = "result"
    resd.setDataType(DataText)
    resd.status = status
    resd.setData(json.dumps({"text": text}).encode("utf-8"))
    res.list = [resd]
    return res


class Wrapper(WrapperBase):
    serviceId = "both_sets"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config: {}) -> int:
        self.sids = {}
        return 0

    def wrapperOnceExec(self, params: {}, reqData: DataListCls, usrTag: str = "", persId: int = 0) -> Response:
        return _answer("once:" + reqData.get("text").data.decode("utf-8"), Once)

    def wrapperCreate(self, params: {}, sid: str, persId: int = 0) -> SessionCreateResponse:
        s = SessionCreateResponse()
        s.handle = "h-" + sid
        s.error_code = 0
        self.sids[s.handle] = sid
        return s

    def wrapperWrite(self, handle: str, req: DataListCls, sid: str) -> int:
        node = req.list[0]
        if node.status == DataEnd:
            callback(_answer("session", DataEnd), self.sids[handle])
        return 0

    def wrapperDestroy(self, handle):
        self.sids.pop(handle, None)
        return 0

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run()
