# ruff: noqa  (written in the style of published vendor-SDK wrappers on purpose)
# A once wrapper that keeps its models in the vendor SDK's aiges.concurrent.fixpool.FixedPool and runs
# inference on an aiges.worker.Worker thread with an InferClass, as published plugins do.
import json

from aiges.concurrent.fixpool import FixedPool
from aiges.dto import DataListCls, Response, ResponseData
from aiges.sdk import StringBodyField, StringParamField, WrapperBase
from aiges.types import *
from aiges.worker import InferClass, Worker


class UserRequest(object):
    input1 = StringBodyField(key="text", value="count my words please")
    param1 = StringParamField(key="lang", value="en")


class UserResponse(object):
    accept1 = StringBodyField(key="result")


class WordCounter(InferClass):
    def predict(self, *args, **kwargs):
        req = kwargs["req"]
        return {"words": len(req.split()), "handle": self.handle}, False


class Wrapper(WrapperBase):
    serviceId = "worker_pool"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config: {}) -> int:
        self.pool = FixedPool()
        self.pool.set_capacity(2)
        for _ in range(2):
            worker = Worker(name="counter")
            worker.register_infer_class(WordCounter())
            ok, key = self.pool.add(worker)
            if not ok:
                return -1
            worker.setHandle(key)
            worker.start()
        self.keys = sorted(self.pool.pool)
        return 0

    def wrapperOnceExec(self, params: {}, reqData: DataListCls, usrTag: str = "", persId: int = 0) -> Response:
        worker = self.pool.get(self.keys[0])
        worker.in_q.put(reqData.get("text").data.decode("utf-8"))
        output = worker.out_q.get(timeout=10)
        res = Response()
        resd = ResponseData()
        resd.key = "result"
        resd.setDataType(DataText)
        resd.status = Once
        resd.setData(json.dumps(output).encode("utf-8"))
        res.list = [resd]
        return res

    def wrapperFini(cls) -> int:
        for key in list(cls.pool.pool):
            cls.pool.get(key).stop()
            cls.pool.remove(key)
        return 0

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run()
