# ruff: noqa  (written in the style of published vendor-SDK wrappers on purpose)
# A once wrapper whose sample paths are computed from the file's location or written as the image's
# absolute paths, as published plugins do.
import json
import os
import sys

from aiges.dto import DataListCls, Response, ResponseData
from aiges.sdk import ImageBodyField, StringBodyField, StringParamField, WrapperBase
from aiges.types import *

current_path = os.path.dirname(os.path.abspath(__file__))
sys.path.append(current_path)


class UserRequest(object):
    input1 = ImageBodyField(key="img", path=os.path.join(os.path.dirname(__file__), "test_data/a.png"))
    input2 = ImageBodyField(key="img2", path=os.path.join(current_path, "test_data", "b.png"))
    input3 = ImageBodyField(key="img3", path="/home/aiges/test_data/c.png")
    input4 = ImageBodyField(key="img4", path="/home/wrapper/test_data/d.png")
    param1 = StringParamField(key="mode", value="fast")


class UserResponse(object):
    accept1 = StringBodyField(key="result")


class Wrapper(WrapperBase):
    serviceId = "file_paths"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config: {}) -> int:
        return 0

    def wrapperOnceExec(self, params: {}, reqData: DataListCls, usrTag: str = "", persId: int = 0) -> Response:
        sizes = {node.key: len(node.data) for node in reqData.list}
        res = Response()
        resd = ResponseData()
        resd.key = "result"
        resd.setDataType(DataText)
        resd.status = Once
        resd.setData(json.dumps(sizes, sort_keys=True).encode("utf-8"))
        res.list = [resd]
        return res

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run()
