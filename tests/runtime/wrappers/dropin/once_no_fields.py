# ruff: noqa  (written in the style of published production wrappers on purpose)
# A production-style once wrapper: no UserRequest/UserResponse, only the wrapper methods. It echoes
# the size and type of every input and the params it got.
import json

from aiges.dto import DataListCls, Response, ResponseData
from aiges.sdk import WrapperBase
from aiges.types import *


class Wrapper(WrapperBase):
    serviceId = "no_fields"
    version = "v1"

    def wrapperInit(self, config: {}) -> int:
        return 0

    def wrapperOnceExec(self, params: {}, reqData: DataListCls, usrTag: str = "", persId: int = 0) -> Response:
        seen = {node.key: [len(node.data), node.type] for node in reqData.list}
        res = Response()
        resd = ResponseData()
        resd.key = "answer"
        resd.setDataType(DataText)
        resd.status = Once
        resd.setData(json.dumps({"inputs": seen, "params": dict(params)}, sort_keys=True).encode("utf-8"))
        res.list = [resd]
        return res

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run()
