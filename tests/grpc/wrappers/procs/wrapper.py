"""Test wrapper for ``aiges.serve --processes N``: every answer says which process gave it.

Once: ``params["mode"]``: "pid" answers ``<pid>``, "exit" ends the process (``os._exit(3)``;
with ``params["pid"]`` only that process, the others answer their pid), "segfault" likewise with a
SIGSEGV in native code, "spin"
computes for ``params["ms"]`` milliseconds in pure Python first. Sessions: handles are numbered per
process (``session1`` in each: the server must tell them apart), each write delivers
``<pid>:<frames so far>`` by callback under the sid. wrapperFini writes ``<fini_dir>/<pid>``;
config ``init = "fail"`` makes wrapperInit answer 7.
"""
import ctypes
import itertools
import os
import sys
import threading
import time

from aiges.dto import Response, ResponseData, callback
from aiges.sdk import StringBodyField, StringParamField, WrapperBase


class UserRequest:
    mode = StringParamField(key="mode", value="pid")
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


def answer(data):
    item = ResponseData()
    item.key = "out"
    item.setData(data)
    response = Response()
    response.list = [item]
    return response


class Wrapper(WrapperBase):
    serviceId = "procs"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        self.config = dict(config)
        if config.get("init") == "fail":
            return 7
        if os.path.exists(config.get("fail_while", "")):  # a replacement's wrapperInit fails while it exists
            return 7
        self.sessions = {}
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()
        # a line in pieces, as an unbuffered print writes it: both processes do this at once
        sys.stdout.write("print from wrapperInit in ")
        sys.stdout.flush()
        time.sleep(0.2)
        print(os.getpid(), flush=True)
        os.write(2, b"fd 2 line from wrapperInit in %d\n" % os.getpid())  # as C code writes
        return 0

    def wrapperFini(self):
        folder = self.config.get("fini_dir")
        if folder:
            with open(os.path.join(folder, str(os.getpid())), "w") as out:
                out.write("fini called")
        return 0

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        mode = params.get("mode", "pid")
        mine = params.get("pid", str(os.getpid())) == str(os.getpid())
        if mode == "exit" and mine:
            os._exit(3)
        if mode == "segfault" and mine:
            ctypes.string_at(0)  # reads address 0: SIGSEGV
        if mode == "spin":
            deadline = time.perf_counter() + int(params.get("ms", "5")) / 1000.0
            while time.perf_counter() < deadline:
                pass
        return answer(str(os.getpid()).encode())

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        with self.lock:
            handle = "session%d" % next(self.numbers)
        self.sessions[handle] = {"sid": sid, "frames": 0}
        return handle

    def wrapperWrite(self, handle, req, sid=""):
        session = self.sessions.get(handle)
        if session is None:
            return 10
        session["frames"] += len(req.list)
        callback(answer(("%d:%d" % (os.getpid(), session["frames"])).encode()), session["sid"])
        return 0

    def wrapperDestroy(self, handle):
        self.sessions.pop(handle, None)
        return 0
