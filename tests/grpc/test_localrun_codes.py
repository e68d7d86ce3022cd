"""The local run's gRPC emulation reports the ret the real server answers, not a code of its own.

Each failing wrapper runs twice: under ``python -m aiges run`` (gRPC emulation, the default) and
under ``aiges.serve`` behind the fake host. The ret the local run names must be the server's, and
the local run must show what the HTTP client then gets from the loader (spec 13.4: always
``{"code":10910,"message":"errr;code=<ret>"}``; the wrapper's text only reaches the log).
"""

import re
import subprocess
from pathlib import Path

import fakehost
import pytest
from conftest import plugin_env

from tests.conftest import aiges_cli

SERVED = re.compile(r"aiges\.serve answers this request with ret (-?\d+)")


def failing_local_run(folder: Path) -> "subprocess.CompletedProcess[str]":
    """``python -m aiges run`` in ``folder``, which must fail (exit 1)."""
    local = aiges_cli(folder, "run", "--no-output", env=plugin_env())
    assert local.returncode == 1, local.stderr
    return local


@pytest.mark.parametrize("mode", ["raise", "none", "empty", "err", "not_bytes"])
def test_the_local_run_names_the_ret_the_server_answers(harness, wrapper_dir, spawn, mode, tmp_path):
    folder = wrapper_dir(str(harness / "edge_wrapper.py"))
    source = (folder / "wrapper.py").read_text(encoding="utf-8")
    if mode == "not_bytes":  # a data value the wire cannot carry at all
        source = source.replace(
            'elif MODE == "raise":',
            'elif MODE == "not_bytes":\n            d = ResponseData()\n'
            '            d.key = "out"\n            d.data = 12345\n            d.type = 0\n'
            "            d.status = 3\n            r = Response()\n            r.list = [d]\n"
            '            return r\n        elif MODE == "raise":',
            1,
        )
    lines = [("MODE = %r" % mode) if line.startswith("MODE =") else line for line in source.splitlines()]
    (folder / "wrapper.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    local = failing_local_run(folder)
    assert "grpc emulation" in local.stderr
    found = SERVED.search(local.stderr)
    assert found, local.stderr
    reported = int(found.group(1))

    plugin = spawn(folder)
    assert plugin.init({}) == 0, plugin.stderr()
    answer = plugin.exec_once("same", [fakehost.node("img", b"\x89PNG\r\n\x1a\n" + bytes(64), type_=2)])
    assert answer.ret != 0 and reported == answer.ret
    assert '{"code":10910,"message":"errr;code=%d"}' % reported in local.stderr
    assert "code -1" not in local.stderr and "called with -1" not in local.stdout


ASYNC_WRAPPER = """
from aiges.sdk import StringBodyField, WrapperBase


class UserRequest:
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "async_fail"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        return 0

    def wrapperFini(self):
        return 0

    def wrapperOnceExecAsync(self, params, reqData, usrTag="", persId=0):
        return OUTCOME()
"""


@pytest.mark.parametrize("outcome, ret", [("lambda: 1 / 0", 30003), ("lambda: 7", 7), ("lambda: None", 30003)])
def test_the_async_path_reports_the_servers_ret_too(tmp_path, spawn, outcome, ret):
    folder = tmp_path / "async"
    folder.mkdir()
    (folder / "wrapper.py").write_text("OUTCOME = %s\n%s" % (outcome, ASYNC_WRAPPER), encoding="utf-8")
    local = failing_local_run(folder)
    found = SERVED.search(local.stderr)
    assert found and int(found.group(1)) == ret, local.stderr
    plugin = spawn(folder)
    assert plugin.init({}) == 0, plugin.stderr()
    assert plugin.exec_once("same", [fakehost.node("text", b"hi")]).ret == ret


SESSION_WRAPPER = """
from aiges.dto import SessionCreateResponse
from aiges.sdk import StringBodyField, WrapperBase


class UserRequest:
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "session_fail"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()
    session_mode = "stream"

    def wrapperInit(self, config):
        return 0

    def wrapperFini(self):
        return 0

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        return CREATE(sid)

    def wrapperWrite(self, handle, reqData, sid=""):
        return WRITE()

    def wrapperDestroy(self, handle):
        return 0

    def wrapperError(self, ret):
        return "failure %d" % ret


def handle(sid):
    answer = SessionCreateResponse()
    answer.handle = "h-" + sid
    answer.error_code = 0
    return answer


def refused(sid):
    answer = SessionCreateResponse()
    answer.handle = ""
    answer.error_code = 7
    return answer
"""

SESSION_SERVED = re.compile(r"aiges\.serve answers this (wrapperCreate|wrapperWrite) with err_code (-?\d+)")


@pytest.mark.parametrize(
    "create, write, phase, code",
    [
        ("lambda sid: 1 / 0", "lambda: 0", "wrapperCreate", 30003),
        ("refused", "lambda: 0", "wrapperCreate", 7),
        ("lambda sid: ''", "lambda: 0", "wrapperCreate", 30003),
        ("handle", "lambda: 1 / 0", "wrapperWrite", 30003),
        ("handle", "lambda: 5", "wrapperWrite", 5),
        ("handle", "lambda: 'ok'", "wrapperWrite", 30003),
    ],
)
def test_a_failing_session_reports_the_err_code_the_server_answers(tmp_path, spawn, create, write, phase, code):
    folder = tmp_path / "session"
    folder.mkdir()
    source = SESSION_WRAPPER + "\n\nCREATE = %s\nWRITE = %s\n" % (create, write)
    (folder / "wrapper.py").write_text(source, encoding="utf-8")
    local = failing_local_run(folder)
    found = SESSION_SERVED.search(local.stderr)
    assert found and found.groups() == (phase, str(code)), local.stderr
    assert "called with -1" not in local.stdout and "error -1" not in local.stderr

    plugin = spawn(folder)
    assert plugin.init({}) == 0, plugin.stderr()
    created = plugin.create("s1")
    if phase == "wrapperCreate":
        assert created.err_code == code
        return
    assert created.err_code == 0
    assert plugin.write(created.handle, [fakehost.node("text", b"hi")]) == code
