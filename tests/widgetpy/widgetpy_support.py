"""WidgetPy plugins started the way the loader starts them, ours and the vendor's (the oracle).

``python3 -m python_wrapper.grpc_server --module M --sock PATH ...`` resolves to our package when the template's
wrapper folder is on ``PYTHONPATH`` and to the vendor's ``aiges-wrapper`` (a test dependency only) when it is
not. Calls go over grpcio with raw bytes, so a test sees exactly what each server sent.

This folder has no ``__init__.py`` and no conftest.py: tests/grpc's modules ``from conftest import ...``, and a
second rootless conftest would take that name when both folders run in one pytest session. The tests import the
helpers by name and the fixtures with ``from widgetpy_support import *`` (``__all__``: the fixtures).
"""

import importlib.metadata
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence

import grpc
import pytest

__all__ = ["folder_with", "running", "scratch"]  # the fixtures, for the tests' star import

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RUNTIME_PARENT = REPO / "{{cookiecutter.project_name}}" / "wrapper"
WRAPPERS = HERE / "wrappers"
REFERENCE = REPO.parent / "shared" / "reference" / "widgetpy"
READY = "AIGES_PY_READY "
SERVICE = "/aiges.wrapper.WrapperService/"
BIG = 512 * 1024 * 1024
for _path in (str(RUNTIME_PARENT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)


def vendor_version() -> Optional[str]:
    try:
        return importlib.metadata.version("aiges-wrapper")
    except importlib.metadata.PackageNotFoundError:
        return None


def need_vendor() -> None:
    """The oracle: skipped loudly without it, a failure under CI."""
    if vendor_version() != "0.1.0":
        if os.environ.get("CI") == "true":
            pytest.fail("aiges-wrapper==0.1.0 (the test group's oracle) is not installed")
        pytest.skip("aiges-wrapper==0.1.0 is not installed (pip install aiges-wrapper==0.1.0): no oracle")


def vendor_example(name: str = "echo_wrapper.py") -> Path:
    need_vendor()
    import python_wrapper as vendor_or_ours  # noqa: F401 - located, never used

    for entry in sys.path:
        candidate = Path(entry) / "python_wrapper" / "examples" / name
        if candidate.is_file():
            return candidate
    pytest.fail("the vendor package has no examples/%s" % name)


class Answer(NamedTuple):
    code: str  # "OK", "UNIMPLEMENTED", ...
    details: str
    data: bytes


class Plugin:
    """One server process; ``which`` is "ours" or "vendor"."""

    def __init__(self, which: str, folder: Path, sock: str, process: subprocess.Popen, lines: "queue.Queue[str]"):
        self.which = which
        self.folder = folder
        self.sock = sock
        self.process = process
        self.lines = lines
        self.stdout: List[str] = []
        self.stderr = ""
        target = "unix:" + os.path.join(str(folder), sock)  # a relative --sock is relative to the server's cwd
        options = [("grpc.max_receive_message_length", BIG), ("grpc.max_send_message_length", BIG)]
        self.channel = grpc.insecure_channel(target, options=options)

    def call(self, rpc: str, request: bytes = b"", timeout: float = 30.0) -> Answer:
        path = rpc if rpc.startswith("/") else SERVICE + rpc
        method = self.channel.unary_unary(path, request_serializer=None, response_deserializer=None)
        try:
            return Answer("OK", "", method(request, timeout=timeout))
        except grpc.RpcError as error:
            return Answer(error.code().name, error.details() or "", b"")

    def wait(self, timeout: float = 60.0) -> int:
        """Its exit status, once it exits by itself."""
        return self.stop(None, timeout)

    def stop(self, signum: Optional[int] = signal.SIGTERM, timeout: float = 30.0) -> int:
        self.channel.close()
        if signum is not None and self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            _, self.stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()
        while not self.lines.empty():
            line = self.lines.get()
            if line is not None:
                self.stdout.append(line)
        return self.process.returncode


def plugin_env(which: str, **extra: str) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIGES_", "PROBE_"))}
    env.pop("PYTHONPATH", None)
    if which == "ours":
        env["PYTHONPATH"] = str(RUNTIME_PARENT)
    env.update(extra)
    return env


def _pump(stream, lines: "queue.Queue") -> None:
    for line in iter(stream.readline, ""):
        lines.put(line.rstrip("\n"))
    lines.put(None)


def start(
    which: str,
    folder: Path,
    module: str = "wrapper",
    args: Sequence[str] = (),
    env: Optional[Dict[str, str]] = None,
    sock: Optional[str] = None,
    timeout: float = 60.0,
    wait: bool = True,
) -> Plugin:
    """Start a server in ``folder`` (its cwd, as the loader's working directory) and wait for its readiness line."""
    sock = sock or str(folder / ("%s.sock" % which))
    command = [sys.executable, "-m", "python_wrapper.grpc_server", "--module", module, "--sock", sock, *args]
    process = subprocess.Popen(
        command,
        cwd=str(folder),
        env=env if env is not None else plugin_env(which),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    plugin = Plugin(which, folder, sock, process, lines)
    if not wait:
        return plugin
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            plugin.stop(signal.SIGKILL)
            raise AssertionError("%s server: no readiness line within %.0f s" % (which, timeout)) from None
        if line is None:
            code = plugin.stop()
            raise AssertionError("%s server exited (%s) before readiness:\n%s" % (which, code, plugin.stderr))
        plugin.stdout.append(line)
        if line.startswith(READY):
            return plugin


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A short directory (unix socket paths have at most 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="wp-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def folder_with(scratch: Path):
    """``folder_with(source, name="wrapper.py")``: a fresh working directory holding that file as the module."""
    made = {"count": 0}

    def make(source: Path, name: str = "wrapper.py") -> Path:
        made["count"] += 1
        target = scratch / ("w%d" % made["count"])
        target.mkdir()
        shutil.copyfile(source, target / name)
        return target

    return make


@pytest.fixture
def running():
    """``running(which, folder, ...)`` starts a server that is stopped at the end of the test."""
    started: List[Plugin] = []

    def launch(*args, **kwargs) -> Plugin:
        plugin = start(*args, **kwargs)
        started.append(plugin)
        return plugin

    yield launch
    for plugin in started:
        if plugin.process.poll() is None:
            plugin.stop(signal.SIGKILL)
