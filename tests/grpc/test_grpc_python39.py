"""``python -m aiges.serve`` on Python 3.9, the Python of the official images.

Uses the interpreter named by ``AIGES_TEST_PY39``, or this one when it is 3.9, or a 3.9 found on
the machine; skipped unless that interpreter has grpcio and protobuf.
"""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import text

CANDIDATES = [
    os.environ.get("AIGES_TEST_PY39", ""),
    sys.executable if sys.version_info[:2] == (3, 9) else "",
    shutil.which("python3.9") or "",
    "/root/.pyenv/versions/3.9.18/bin/python",
]
PROBE = "import sys, grpc, google.protobuf; assert sys.version_info[:2] == (3, 9)"


def python39() -> str:
    for candidate in CANDIDATES:
        if not candidate:
            continue
        if subprocess.run([candidate, "-c", PROBE], capture_output=True).returncode == 0:
            return candidate
    pytest.skip("no Python 3.9 with grpcio and protobuf (set AIGES_TEST_PY39)")
    return ""


def test_serves_on_python_3_9(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), python=python39())
    assert plugin.health() == "SERVING"
    assert plugin.init({}) == 0
    assert plugin.exec_once("py39", text(b"3.9")).list[0].data == b"3.9"
    handle = plugin.create("s39", {"cb": "grpc"}).handle
    assert plugin.write(handle, text(b"f")) == 0
    assert plugin.router.final("s39", 30)[-1].list[0].data == b"f|s39"
    assert plugin.shutdown() == 0
