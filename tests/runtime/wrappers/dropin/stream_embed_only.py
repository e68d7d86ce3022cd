# ruff: noqa  (written in the style of the vendor SDK's own stream examples on purpose)
# As in the vendor's examples/stream/mock/wrapper.py: SessionCreateResponse and callback come only
# from aiges_embed (the except branch lacks them) and are used in annotations and calls, so the file
# only imports where an aiges_embed module exists. It prints which module it got.
import json
import sys
try:
    from aiges_embed import ResponseData, Response, DataListNode, DataListCls, SessionCreateResponse, callback  # c++
except:
    from aiges.dto import Response, ResponseData, DataListNode, DataListCls
from aiges.sdk import WrapperBase, StringParamField, StringBodyField
from aiges.utils.log import log
from aiges.types import *

print("aiges_embed is", getattr(sys.modules.get("aiges_embed"), "__name__", None), file=sys.stderr)


class UserRequest(object):
    input1 = StringBodyField(key="text", value="embedded")
    params1 = StringParamField(key="p1", value="x")


class UserResponse(object):
    accept1 = StringBodyField(key="result")


class Wrapper(WrapperBase):
    serviceId = "embed_only"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(cls, config: {}) -> int:
        cls.sids = {}
        return 0

    def wrapperCreate(cls, params: {}, sid: str, persId: int = 0) -> SessionCreateResponse:
        s = SessionCreateResponse()
        s.handle = "handle-" + sid
        s.error_code = 0
        cls.sids[s.handle] = sid
        return s

    def wrapperWrite(cls, handle: str, req: DataListCls, sid: str) -> int:
        if req.list[0].status == DataEnd:
            res = Response()
            resd = ResponseData()
            resd.key = "result"
            resd.type = DataText
            resd.status = DataEnd
            resd.setData(json.dumps({"module": callback.__module__}).encode("utf-8"))
            res.list = [resd]
            callback(res, cls.sids[handle])
        return 0

    def wrapperDestroy(cls, handle: str) -> int:
        cls.sids.pop(handle, None)
        return 0

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run(stream=True)
