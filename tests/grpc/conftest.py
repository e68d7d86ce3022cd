"""Fixtures for the gRPC plugin tests: wrapper folders and plugins started the way the loader does.

This folder deliberately has no ``__init__.py``: with pytest's default import mode an
``__init__.py`` here would make it the package ``grpc`` and hide the grpcio library.
"""

import os
import struct
import sys
import zlib
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RUNTIME_PARENT = REPO / "{{cookiecutter.project_name}}" / "wrapper"
HARNESS = REPO.parent / "shared" / "reference" / "harness"
WRAPPERS = HERE / "wrappers"
for _path in (str(RUNTIME_PARENT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import fakehost  # noqa: E402


def tiny_png() -> bytes:
    """A valid 1x1 PNG, made here so no binary file lives in the repository."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def plugin_env(**extra: str) -> Dict[str, str]:
    """The loader's environment for the plugin, with the template's runtime importable."""
    env = dict(os.environ)
    for name in ("AIGES_LOG_LEVEL", "AIGES_WORKERS", "AIGES_PROCESSES", "AIGES_MAX_MESSAGE_MB", "PYTHONPATH"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(RUNTIME_PARENT)
    env.update(extra)
    return env


@pytest.fixture
def wrapper_dir(tmp_path: Path) -> Callable[[str], Path]:
    """``make("echo")`` copies tests/grpc/wrappers/echo; ``make("/abs/file.py")`` installs that file as
    wrapper.py (the vendor harness wrappers, unchanged). Both get ``test_data/test.png``."""

    def make(source: str) -> Path:
        origin = Path(source)
        name = origin.stem if origin.suffix == ".py" else source
        target = tmp_path / name
        counter = 1
        while target.exists():
            counter += 1
            target = tmp_path / ("%s-%d" % (name, counter))
        (target / "test_data").mkdir(parents=True)
        wrapper = origin if origin.suffix == ".py" else WRAPPERS / source / "wrapper.py"
        (target / "wrapper.py").write_bytes(wrapper.read_bytes())
        (target / "test_data" / "test.png").write_bytes(tiny_png())
        return target

    return make


@pytest.fixture
def harness() -> Path:
    if not HARNESS.is_dir():
        pytest.skip("../shared/reference/harness is not beside this checkout")
    return HARNESS


@pytest.fixture
def spawn() -> Iterator[Callable[..., fakehost.Plugin]]:
    """``spawn(folder, args=(), python=..., connect=True, **env)`` -> a started plugin (closed afterwards).
    ``prefix`` goes before the command line (e.g. ``taskset -c 0``)."""
    started: List[fakehost.Plugin] = []

    def start(
        folder: Path,
        args: Sequence[str] = (),
        python: str = sys.executable,
        connect: bool = True,
        port_range: Optional[Tuple[int, int]] = (10000, 25000),
        cookie: bool = True,
        module: str = "aiges.serve",
        prefix: str = "",
        **env: str,
    ) -> fakehost.Plugin:
        command = (prefix + " " if prefix else "") + fakehost.python_command(python, module, args)
        plugin = fakehost.Plugin(command, str(folder), env=plugin_env(**env), port_range=port_range, cookie=cookie)
        started.append(plugin)
        plugin.start()
        if connect:
            plugin.connect()
            plugin.open_communicate()
        return plugin

    yield start
    for plugin in started:
        plugin.close()


@pytest.fixture
def echo(wrapper_dir: Callable[[str], Path], spawn: Callable[..., fakehost.Plugin]) -> fakehost.Plugin:
    """The echo wrapper, initialised (what most behaviour tests talk to)."""
    plugin = spawn(wrapper_dir("echo"))
    assert plugin.init({"log.level": "debug"}) == 0, plugin.stderr()
    return plugin


def text(data: bytes) -> List[fakehost.RequestData]:
    return [fakehost.node("text", data)]
