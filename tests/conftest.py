"""Shared test setup: where the template and its vendored runtime live, and how to run them."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Union

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
TEMPLATE = REPO / "{{cookiecutter.project_name}}"
RUNTIME_PARENT = TEMPLATE / "wrapper"  # the folder that contains the `aiges` package
REFERENCE = SHARED / "reference"

if str(RUNTIME_PARENT) not in sys.path:
    sys.path.insert(0, str(RUNTIME_PARENT))

# The tests' gRPC clients run in this process, which also starts plugins with subprocess. On Python 3.9
# that forks, and grpcio's fork handlers may restart its poller in the child before exec, where the
# epoll fd is already closed: the child aborts (grpc/grpc#43055). The tests never use gRPC across a fork.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")


def runtime_env(**extra: str) -> dict:
    """Environment for a subprocess that must import the template's runtime."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(RUNTIME_PARENT), env.get("PYTHONPATH", "")) if p)
    env.pop("AIGES_LOG_LEVEL", None)
    env.update(extra)
    return env


def aiges_cli(
    cwd: Union[str, Path], *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 300
) -> "subprocess.CompletedProcess[str]":
    """``python -m aiges <args>`` in ``cwd``, its output captured as text; the caller judges the exit status.

    ``env`` is the whole environment (``runtime_env()`` when not given); ``timeout`` only stops a hung run.
    """
    return subprocess.run(
        [sys.executable, "-m", "aiges", *args],
        cwd=str(cwd),
        env=runtime_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not beside this checkout")
    return REFERENCE
