"""``python3 -m aiges.probe``, the liveness probe of deploy/k8s: serving means the plugin process runs
the rendered pythonPluginCmd *and* the loader answers ``GET /ping`` on its HTTP port.

Real parts: a real process started the way the loader starts the plugin (``bash -c "<cmd>"``), a
real HTTP server on loopback standing in for the loader's, the probe run as the kubelet runs it (a
fresh interpreter, exit status and one line of output).
"""

import http.server
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Iterator, Tuple

import pytest
from aiges import probe

RUNTIME_PARENT = Path(__file__).resolve().parents[2] / "{{cookiecutter.project_name}}" / "wrapper"


class Loader(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # the http.server interface
        code = self.status if self.path == "/ping" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loader() -> Iterator[Tuple[http.server.HTTPServer, int]]:
    handler = type("Handler", (Loader,), {"status": 200})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def plugin_command() -> Iterator[str]:
    """A unique long-running command, started as the loader starts pythonPluginCmd.

    Two commands, so bash stays the plugin's parent process (``bash -c <cmd>`` is what runs).
    """
    command = "sleep 300.%d; true" % (uuid.uuid4().int % 10**9)
    process = subprocess.Popen(["bash", "-c", command])
    try:
        yield command
    finally:
        process.kill()
        process.wait()


def write_config(folder: Path, port: int, command: str = "") -> Path:
    lines = ["[aiges]"]
    if command:
        lines.append("pythonPluginCmd = %s" % _toml_string(command))
    lines += ["[wrapper]", 'http_listen = "0.0.0.0:%d"' % port, ""]
    path = folder / "aiges.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _toml_string(text: str) -> str:
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def run_probe(config: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(RUNTIME_PARENT))
    return subprocess.run(
        [sys.executable, "-m", "aiges.probe", "--config", str(config), "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_a_running_plugin_and_an_answering_loader_are_serving(tmp_path, loader, plugin_command):
    done = run_probe(write_config(tmp_path, loader[1], plugin_command))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "serving: plugin process, GET /ping on %d" % loader[1]


def test_a_dead_plugin_fails_even_while_the_loader_answers(tmp_path, loader):
    command = "sleep 300.%d; true" % (uuid.uuid4().int % 10**9)  # never started
    done = run_probe(write_config(tmp_path, loader[1], command))
    assert done.returncode == 1
    assert "no plugin process runs pythonPluginCmd" in done.stdout


def test_a_loader_that_does_not_listen_fails(tmp_path, plugin_command):
    server = http.server.HTTPServer(("127.0.0.1", 0), Loader)
    port = server.server_address[1]
    server.server_close()  # nothing listens there now
    done = run_probe(write_config(tmp_path, port, plugin_command))
    assert done.returncode == 1
    assert "the loader does not answer GET /ping on port %d" % port in done.stdout


def test_a_loader_answering_with_an_error_fails(tmp_path, loader, plugin_command):
    server, port = loader
    server.RequestHandlerClass.status = 503
    done = run_probe(write_config(tmp_path, port, plugin_command))
    assert done.returncode == 1 and "HTTP 503" in done.stdout


def test_cgo_mode_has_no_plugin_process_to_check(tmp_path, loader):
    done = run_probe(write_config(tmp_path, loader[1]))
    assert done.returncode == 0 and done.stdout.strip() == "serving: GET /ping on %d" % loader[1]


def test_a_missing_or_broken_config_fails_with_its_name(tmp_path):
    done = run_probe(tmp_path / "absent.toml")
    assert done.returncode == 1 and "cannot read" in done.stdout and "absent.toml" in done.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text("[aiges\n", encoding="utf-8")
    done = run_probe(broken)
    assert done.returncode == 1 and "broken.toml" in done.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["bash", "-c", "python3 -c 'from aiges.serve import run; run()' --workers 4"],
        ["/bin/bash", "-c", "python3 -c 'from aiges.serve import run; run()' --workers 4"],
        ["python3", "-c", "from aiges.serve import run; run()", "--workers", "4"],  # bash exec'd the command
    ],
)
def test_the_plugin_is_recognised_before_and_after_bash_replaced_itself(tmp_path, argv):
    proc = tmp_path / "proc"
    (proc / "4242").mkdir(parents=True)
    (proc / "4242" / "cmdline").write_bytes(b"\0".join(part.encode() for part in argv) + b"\0")
    (proc / "self").mkdir()
    assert probe.plugin_running("python3 -c 'from aiges.serve import run; run()' --workers 4", str(proc))
    assert not probe.plugin_running("python3 -c 'from aiges.serve import run; run()'", str(proc))


def test_bash_exec_form_is_found_in_real_processes():
    """For a lone simple command bash replaces itself with it (a comment is dropped): still found."""
    command = "sleep 301.%d # the plugin" % (uuid.uuid4().int % 10**9)
    process = subprocess.Popen(["bash", "-c", command])
    try:
        assert _eventually(lambda: probe.plugin_running(command))
    finally:
        process.kill()
        process.wait()


def _eventually(condition, attempts: int = 200) -> bool:
    event = threading.Event()
    for _ in range(attempts):
        if condition():
            return True
        event.wait(0.01)  # the child may not have exec'd yet; bounded polling, no timing assertion
    return False
