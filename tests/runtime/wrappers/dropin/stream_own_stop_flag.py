# ruff: noqa  (written in the style of published vendor-SDK wrappers on purpose: star imports, bare except)
# A stream wrapper in the style of published vendor-SDK plugins: the worker thread keeps its own
# stop flag (`self.is_stopping = False` in __init__, `= True` in stop()), and the file ends with
# `m.run_stream()` for a local test. MODE picks a variant: "ok", or "crash" (the worker raises).
import json
import queue

from aiges.core.types import *

try:
    from aiges_embed import DataListCls, Response, ResponseData, SessionCreateResponse, callback
except:
    from aiges.dto import DataListCls, Response, ResponseData, SessionCreateResponse, callback
from aiges.sdk import StringBodyField, StringParamField, WrapperBase
from aiges.stream import StreamHandleThread
from aiges.utils.log import log

MODE = "ok"


class UserRequest(object):
    input1 = StringBodyField(key="text", value=b"hello stream")
    param1 = StringParamField(key="ctl", value="ok")


class UserResponse(object):
    accept1 = StringBodyField(key="result")


class MyReqDataThread(StreamHandleThread):
    def __init__(self, session_thread, in_q, out_q):
        super().__init__(session_thread, in_q, out_q)
        self.is_stopping = False
        self.frames = 0

    def stop(self):
        self.is_stopping = True

    def run(self):
        while not self.is_stopping:
            try:
                req = self.in_q.get(timeout=1)
            except queue.Empty:
                continue
            if MODE == "crash":
                raise KeyError("model_output")
            self.frames += 1
            node = req.list[0]
            if node.status != DataEnd:
                continue
            res = Response()
            resd = ResponseData()
            resd.key = "result"
            resd.status = DataEnd
            resd.type = DataText
            resd.setData(json.dumps({"frames": self.frames}).encode("utf-8"))
            res.list = [resd]
            self.session_thread.callback_fn(res, self.session_thread.sid)
            self.frames = 0
            self.session_thread.reset()


class Wrapper(WrapperBase):
    serviceId = "stream_stop_flag"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config: {}) -> int:
        log.info("Initializing ...")
        self.session.init_wrapper_config(config)
        self.session.init_handle_pool("thread", 2, MyReqDataThread)
        return 0

    def wrapperCreate(self, params: {}, sid: str, persId: int = 0) -> SessionCreateResponse:
        s = SessionCreateResponse()
        handle = self.session.get_idle_handle()
        if not handle:
            s.error_code = -1
            s.handle = ""
            return s
        _session = self.session.get_session(handle=handle)
        _session.setup_sid(sid)
        _session.setup_params(params)
        _session.setup_callback_fn(callback)
        s.handle = handle
        s.error_code = 0
        return s

    def wrapperWrite(self, handle: str, req: DataListCls, sid: str) -> int:
        _session = self.session.get_session(handle=handle)
        _session.in_q.put(req)
        return 0

    def wrapperDestroy(self, handle):
        return 0

    def wrapperFini(cls) -> int:
        return 0

    def wrapperError(cls, ret: int) -> str:
        return ""

    def wrapperTestFunc(cls, data: [], respData: []):
        pass


if __name__ == '__main__':
    m = Wrapper()
    m.run_stream()
