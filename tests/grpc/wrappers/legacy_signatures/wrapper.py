"""Older signatures seen in real wrappers (spec 1.2): 2-arg wrapperOnceExec, wrapperCreate taking
``userTag`` and returning a bare str, wrapperWrite without ``sid``, delivery with the vendor's
``aiges.callback.callback(resp, tag, sid)``."""
from aiges.callback import callback
from aiges.dto import Response, ResponseData
from aiges.sdk import StringBodyField, WrapperBase


class UserRequest:
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


def answer(data, status=3):
    item = ResponseData()
    item.key = "out"
    item.setData(data)
    item.status = status
    response = Response()
    response.list = [item]
    return response


class Wrapper(WrapperBase):
    serviceId = "legacy"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def __init__(self):  # takes none of the loader's schema arguments
        super().__init__()
        self.tags = {}

    def wrapperInit(self, config):
        return 0

    def wrapperOnceExec(self, params, reqData):
        return answer(b"two-args:" + reqData.list[0].data)

    def wrapperCreate(self, params, sid, userTag=""):
        handle = "legacy-" + sid
        self.tags[handle] = userTag
        return handle

    def wrapperWrite(self, handle, req):
        callback(answer(b"got:" + req.list[0].data, status=2), self.tags[handle], "")
        return 0

    def wrapperDestroy(self, handle):
        return 0
