"""Wire compatibility checked from the other side: the vendor's own fake loader (reference
harness/fake_host.py, with the vendor's protoc-generated stubs and grpcio-health-checking) drives
our server. Runs in the vendor SDK's virtualenv (``benchmarks/.venv-vendor``, shared with the
benchmark and made on first use) or the interpreter named by ``AIGES_VENDOR_PYTHON``."""

import os
import re
import shlex
import subprocess
import sys
from typing import List

import pytest
from conftest import REPO, RUNTIME_PARENT, tiny_png

sys.path.insert(0, str(REPO / "benchmarks"))
import vendor_env  # the benchmark's maker of the vendor venv (benchmarks/ is not a package)

PROBE = "import aiges.aiges_inner.aiges_inner_pb2, grpc_health.v1.health_pb2"


def vendor_python() -> str:
    """The vendor SDK's interpreter: ``$AIGES_VENDOR_PYTHON``, or the benchmark's venv, made here if missing
    (the vendor's packages are test dependencies). Under CI a venv that cannot be made fails the test."""
    venv = REPO / "benchmarks" / ".venv-vendor"
    for candidate in (os.environ.get("AIGES_VENDOR_PYTHON", ""), str(venv / "bin" / "python")):
        if candidate and os.path.exists(candidate) and _has_vendor_packages(candidate):
            return candidate
    problems: List[str] = []
    made = vendor_env.ensure(venv, problems)
    if made and _has_vendor_packages(made):
        return made
    reason = "cannot make the vendor SDK's virtualenv: %s" % ("; ".join(problems) or "its packages do not import")
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
    return ""


def _has_vendor_packages(python: str) -> bool:
    return subprocess.run([python, "-c", PROBE], capture_output=True, cwd="/").returncode == 0


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
