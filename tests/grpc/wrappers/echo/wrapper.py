"""Test wrapper for the gRPC server: one behaviour per ``mode`` param (faults included).

Once: ``params["mode"]`` picks the answer. Sessions: ``params["create"]`` picks what wrapperCreate
returns, ``params["cb"]`` which callback delivers the echoed frames, ``params["type"]`` their type.
"""
import gc
import json
import os
import sys
import threading
import time

from aiges.callback import callback as grpc_callback
from aiges.core.types import DataEnd, DataOnce, DataText
from aiges.dto import Response, ResponseData, SessionCreateResponse
from aiges.dto import callback as dto_callback
from aiges.sdk import StringBodyField, StringParamField, WrapperBase


def held_tags():
    """Tags of the wire Request/Response messages anything in this process refers to: from any
    object the collector knows (a suspended generator's locals too) and from every thread's stack."""
    seen = set()

    def note(value):
        if type(value).__name__ in ("Request", "Response") and hasattr(value, "tag"):
            seen.add(value.tag)
        elif isinstance(value, tuple):
            for item in value:
                note(item)

    for container in gc.get_objects():
        for value in gc.get_referents(container):
            note(value)
    for frame in sys._current_frames().values():
        while frame is not None:
            for value in list(frame.f_locals.values()):
                note(value)
            frame = frame.f_back
    return seen


class UserRequest:
    mode = StringParamField(key="mode", value="ok")
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


def answer(data, status=DataOnce, key="out", data_type=DataText):
    item = ResponseData()
    item.key = key
    item.data = data
    item.len = 0  # deliberately wrong: the server recomputes it
    item.type = data_type
    item.status = status
    response = Response()
    response.list = [item]
    return response


def wait_for(path):
    for _ in range(6000):
        if os.path.exists(path):
            return
        time.sleep(0.01)


class Wrapper(WrapperBase):
    serviceId = "echo"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        self.config = dict(config)
        self.sessions = {}
        print("print from wrapperInit", flush=True)  # must not reach the loader's stdout
        if config.get("init") == "fail":
            return 7
        if config.get("init") == "raise":
            raise RuntimeError("init boom")
        if config.get("init") == "none":
            return None
        return 0

    def wrapperFini(self):
        marker = self.config.get("fini_marker")
        if marker:
            with open(marker, "w") as out:
                out.write("fini called")
        return 0

    def wrapperError(self, ret):
        return "echo error %d" % ret

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        mode = params.get("mode", "ok")
        first = reqData.list[0].data if reqData.list else b""
        if mode == "ok":
            return answer(first)
        if mode == "describe":
            return answer(json.dumps({
                "params_type": type(params).__name__, "params": params, "usrTag": usrTag, "persId": persId,
                "reqData_type": type(reqData).__name__, "cwd": os.getcwd(), "argv": sys.argv[1:],
                "nodes": [{"key": n.key, "len": n.len, "type": n.type, "status": n.status,
                           "data_type": type(n.data).__name__, "node_type": type(n).__name__} for n in reqData.list],
            }).encode("utf-8"))
        if mode == "raise":
            raise ValueError("boom")
        if mode == "none":
            return None
        if mode == "empty":
            response = Response()
            response.list = []
            return response
        if mode == "str":
            return answer("h\u00e9llo")
        if mode == "memoryview":
            return answer(memoryview(b"view-bytes"))
        if mode == "bytearray":
            return answer(bytearray(b"array-bytes"))
        if mode == "not_bytes":
            return answer(12345)
        if mode == "error_code":
            return Response().response_err(1234)
        if mode == "continue_status":
            return answer(first, status=1)
        if mode == "end_status":
            return answer(first, status=DataEnd)
        if mode == "gate":
            wait_for(params["gate"])
            return answer(b"gate opened")
        if mode == "exit":
            os._exit(3)
        if mode == "print":
            print("print from wrapperOnceExec", flush=True)
            return answer(first)
        if mode == "held":  # the tags of the wire messages this process still refers to
            return answer(" ".join(sorted(held_tags())).encode())
        if mode == "repeat":  # the input ``times`` times over (results larger than any request)
            return answer(first * int(params["times"]))
        if mode == "dict_item":
            response = Response()
            response.list = [{"key": "out", "data": first}]
            return response
        if mode == "mixed_items":
            response = answer(first)
            response.list.append(42)
            return response
        if mode == "list_is_str":
            response = Response()
            response.list = "out"
            return response
        return answer(("unknown mode %s" % mode).encode())

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        style = params.get("create", "object")
        if style == "fail":
            return SessionCreateResponse(handle="", error_code=42)
        if style == "raise":
            raise RuntimeError("create boom")
        if style == "none":
            return None
        handle = "h-" + sid
        self.sessions[handle] = {"sid": sid, "tag": usrTag, "params": dict(params)}
        return handle if style == "str" else SessionCreateResponse(handle=handle)

    def wrapperWrite(self, handle, req, sid=""):
        session = self.sessions[handle]
        params = session["params"]
        if params.get("write") == "fail":
            return 5
        if params.get("write") == "raise":
            raise RuntimeError("write boom")
        if params.get("write") == "none":
            return None
        data_type = int(params.get("type", "0"))
        frames = [(node.data, node.status) for node in req.list]
        how = params.get("cb", "dto")

        def deliver():
            for data, status in frames:
                repeated = data * int(params.get("times", "1"))  # larger results than any frame
                response = answer(repeated + b"|" + sid.encode(), status=status, data_type=data_type)
                if how == "dto":
                    dto_callback(response, session["sid"])
                elif how == "grpc":
                    grpc_callback(response, session["sid"], session["sid"])
                elif how == "handle":
                    dto_callback(response, handle)
                elif how == "error":
                    dto_callback(Response().response_err(77), session["sid"])
                elif how == "junk":
                    dto_callback(None, session["sid"])

        threading.Thread(target=deliver, daemon=True).start()
        return 0

    def wrapperDestroy(self, handle):
        self.sessions.pop(handle, None)
        return 0

    def wrapperTestFunc(self, data, respData):
        return 0
