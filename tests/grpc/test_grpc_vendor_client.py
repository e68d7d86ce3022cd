"""Wire compatibility checked from the other side: the vendor's own fake loader (reference
harness/fake_host.py, with the vendor's protoc-generated stubs and grpcio-health-checking) drives
our server. Needs the vendor SDK's virtualenv, as created by ``benchmarks/grpc_bench.py``
(``benchmarks/.venv-vendor``) or named by ``AIGES_VENDOR_PYTHON``; skipped without it."""

import os
import re
import shlex
import subprocess
import sys

import pytest
from conftest import REPO, RUNTIME_PARENT, tiny_png

PROBE = "import aiges.aiges_inner.aiges_inner_pb2, grpc_health.v1.health_pb2"


def vendor_python() -> str:
    default = str(REPO / "benchmarks" / ".venv-vendor" / "bin" / "python")
    for candidate in (os.environ.get("AIGES_VENDOR_PYTHON", ""), default):
        if (
            candidate
            and os.path.exists(candidate)
            and subprocess.run([candidate, "-c", PROBE], capture_output=True, cwd="/").returncode == 0
        ):
            return candidate
    pytest.skip("no vendor SDK virtualenv (run benchmarks/grpc_bench.py once, or set AIGES_VENDOR_PYTHON)")
    return ""


def test_the_vendor_fake_host_talks_to_our_server(harness, wrapper_dir, tmp_path):
    folder = wrapper_dir("echo")
    ours = "env PYTHONPATH=%s %s" % (shlex.quote(str(RUNTIME_PARENT)), shlex.quote(sys.executable))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYCMD"] = ours  # fake_host.py runs "$PYCMD -m aiges.serve"
    env["AIGES_LISTEN"] = "tcp"  # the harness dials the handshake's address as host:port (no unix: scheme)
    done = subprocess.run(
        [vendor_python(), str(harness / "fake_host.py"), str(folder), "all"],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(r"handshake line on stdout: '1\|1\|tcp\|127\.0\.0\.1:\d+\|grpc\\n'", out)
    assert "health Check(service='plugin') -> SERVING" in out
    assert ">>> wrapperInit -> \n" in out  # Ret{ret: 0} prints as nothing
    assert '"serviceId\\": \\"echo\\"' in out  # the schema, as JSON text
    png = len(tiny_png())  # the image the harness sent, echoed back under key "out" with status Once
    assert "communicate stream got: tag='sid-0001' ret=0 list=[('out', %d, 0, 3, b'\\x89PNG" % png in out
    assert '>>> wrapperCreate -> handle: "h-sid-0002"' in out
    assert "communicate stream got: tag='sid-0002' ret=0 list=[('out', %d, 0, 2, b'\\x89PNG" % (png + 9) in out
    assert "RpcError" not in out
