"""Test wrapper for the logs a user sees: every once request logs or prints what ``params["mode"]`` says.

Each message carries the request's ``tag`` (``params["sid"]``), so a test can find exactly its lines.
"""
import json
import logging
import os
import subprocess
import sys
import traceback
import warnings

from aiges.core.types import DataOnce, DataText
from aiges.dto import Response, ResponseData
from aiges.sdk import StringBodyField, StringParamField, WrapperBase
from aiges.utils.log import getFileLogger, log

own = logging.getLogger("wrapper.model")


class UserRequest:
    mode = StringParamField(key="mode", value="print")
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


def answer(data):
    item = ResponseData()
    item.key, item.data, item.len, item.type, item.status = "out", data, len(data), DataText, DataOnce
    response = Response()
    response.list = [item]
    return response


class Wrapper(WrapperBase):
    serviceId = "noisy"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        print("noisy init print", flush=True)
        log.info("noisy init info")
        return 0

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        mode, tag = params.get("mode", "print"), params.get("sid", usrTag)
        if mode == "log_error":
            log.error("wrapper log.error %s", tag)
        elif mode == "file_logger":
            getFileLogger("wrapper").error("file logger error %s", tag)
        elif mode == "getlogger_warning":
            own.warning("getLogger warning %s", tag)
        elif mode == "getlogger_info":
            own.info("getLogger info %s", tag)
        elif mode == "print":
            print("wrapper print %s" % tag)
        elif mode == "stderr":
            sys.stderr.write("wrapper stderr %s\n" % tag)
        elif mode == "print_traceback":
            try:
                raise KeyError("printed " + tag)
            except KeyError:
                traceback.print_exc()
        elif mode == "warning":
            warnings.warn("wrapper warning %s" % tag, UserWarning, stacklevel=1)
        elif mode == "hostile_json":
            print(json.dumps({"@message": 123, "@level": "error", "tag": tag}))
            sys.stderr.write(json.dumps({"@message": "m", "@level": 7, "tag": tag}) + "\n")
            sys.stderr.write(json.dumps({"@message": "t", "@level": "info", "@timestamp": 5, "tag": tag}) + "\n")
            sys.stderr.flush()
            os.write(2, (json.dumps({"@message": None, "tag": tag}) + "\n").encode())
        elif mode == "long_line":
            print("long %s " % tag + "x" * 100000 + " end-of-long %s" % tag)
        elif mode == "newlines":
            log.error("first line %s\nsecond line %s\n{\"@message\": 1}", tag, tag)
        elif mode == "fd_write":
            os.write(1, ("fd1 %s\n" % tag).encode())
            os.write(2, ("fd2 %s\n" % tag).encode())
        elif mode == "child":
            subprocess.run([sys.executable, "-c", "import sys; print('child out %s'); "
                            "sys.stderr.write('child err %s\\n')" % (tag, tag)], check=True)
        elif mode == "prefixed":
            print("[WARN] prefixed warn %s" % tag)
        elif mode == "reconfigure":
            sys.stdout.reconfigure(encoding="utf-8")
            print("after reconfigure %s" % tag)
        elif mode == "segfault":
            import ctypes
            ctypes.string_at(0)
        elif mode == "raise":
            raise ValueError("noisy boom %s" % tag)
        return answer(b"done " + tag.encode())
