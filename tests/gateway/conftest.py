"""Fixtures of the gateway tests: a plugin written to a folder, served by a real ``python -m aiges gateway``."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from tests.conftest import runtime_env

ONCE_WRAPPER = """
import json
from aiges.dto import Response, ResponseData
from aiges.sdk import IntegerParamField, StringBodyField, StringParamField, WrapperBase

class Req:
    mode = StringParamField(key="mode", value="echo", enums=["echo", "raise"])
    n = IntegerParamField(key="n", value=3, minimum=0, maximum=10)
    t = StringBodyField(key="t", value=b"hello")

class Resp:
    out = StringBodyField(key="out")

class Wrapper(WrapperBase):
    serviceId = "gw_once"
    version = "v1"
    requestCls = Req()
    responseCls = Resp()

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        if params.get("mode") == "raise":
            raise RuntimeError("the model exploded")
        text = bytes(reqData.list[0].data).decode()
        answer = {"params": dict(params), "text": text.upper()}
        return Response(list=[ResponseData("out", json.dumps(answer).encode())])
"""

SESSION_WRAPPER = """
from aiges.dto import Response, ResponseData, callback
from aiges.sdk import StringBodyField, WrapperBase

class Req:
    t = StringBodyField(key="t", value=b"abc")

class Resp:
    echo = StringBodyField(key="echo")

class Wrapper(WrapperBase):
    serviceId = "gw_stream"
    version = "v2"
    requestCls = Req()
    responseCls = Resp()
    session_mode = "stream"

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        self.tags = getattr(self, "tags", {})
        self.tags["h-" + sid] = usrTag
        return "h-" + sid

    def wrapperWrite(self, handle, req, sid=""):
        node = req.list[0]
        if bytes(node.data) == b"boom":
            raise ValueError("bad frame")
        callback(Response(list=[ResponseData("echo", bytes(node.data).upper(), 0, 0, node.status)]),
                 self.tags[handle])
        return 0

    def wrapperDestroy(self, handle):
        return 0
"""


class Gateway:
    """A running gateway: its base URL, route, and what it printed at start."""

    def __init__(self, process: "subprocess.Popen[str]", base: str, route: str, banner: List[str]) -> None:
        self.process = process
        self.base = base
        self.route = route
        self.banner = banner

    @property
    def url(self) -> str:
        return self.base + self.route

    def post(self, body: Any, raw: bool = False) -> Tuple[int, Dict[str, Any]]:
        data = body if raw else json.dumps(body).encode()
        request = urllib.request.Request(self.url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def start_gateway(folder: Path, *args: str, env: Optional[Dict[str, str]] = None) -> Gateway:
    process = subprocess.Popen(
        [sys.executable, "-m", "aiges", "gateway", str(folder), "--port", "0", *args],
        cwd=str(folder),
        env=env or runtime_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    banner: List[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        banner.append(line.rstrip("\n"))
        if line.startswith("  (Ctrl-C stops"):
            break
    found = re.search(r"on (http://127\.0\.0\.1:\d+)(/\S+)", "\n".join(banner))
    if not found:
        process.kill()
        raise AssertionError("the gateway did not start:\n%s\n%s" % ("\n".join(banner), process.stderr.read()))
    return Gateway(process, found.group(1), found.group(2), banner)


def stop_gateway(gateway: Gateway) -> str:
    """SIGTERM (wrapperFini runs), then the stderr it wrote."""
    os.kill(gateway.process.pid, signal.SIGTERM)
    try:
        _, stderr = gateway.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        gateway.process.kill()
        _, stderr = gateway.process.communicate()
        raise AssertionError("the gateway did not stop within 30 s of SIGTERM:\n" + stderr) from None
    return stderr


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[str], Gateway]]:
    """``serve(wrapper_source)``: that wrapper in a folder of its own, served by a gateway for the test."""
    running: List[Gateway] = []

    def started(source: str) -> Gateway:
        folder = tmp_path / ("plugin%d" % len(running))
        folder.mkdir()
        (folder / "wrapper.py").write_text(textwrap.dedent(source))
        running.append(start_gateway(folder))
        return running[-1]

    yield started
    for gateway in running:
        if gateway.process.poll() is None:
            stop_gateway(gateway)


def once_body(**changes: Any) -> Dict[str, Any]:
    """A request the loader accepts for ONCE_WRAPPER; ``changes`` replace top-level parts."""
    body: Dict[str, Any] = {
        "header": {"appid": "123456", "status": 3},
        "parameter": {"gw_once": {"mode": "echo", "n": 3, "out": {"data_type": "text", "encoding": "utf8"}}},
        "payload": {"t": {"encoding": "utf8", "status": 3, "text": "aGVsbG8="}},
    }
    body.update(changes)
    return body
