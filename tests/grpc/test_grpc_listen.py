"""Where the plugin listens: by default a unix socket in a fresh directory only the plugin's user can
enter, announced as ``1|1|unix|<path>|grpc`` and removed when the plugin stops, however it stops.
``--listen tcp`` (or AIGES_LISTEN=tcp) keeps the loopback port (test_grpc_handshake.py)."""

import os
import signal
import stat
import subprocess
import sys
import time

import fakehost
import pytest
from conftest import HERE, RUNTIME_PARENT, plugin_env, text

TRANSPORTS = ["h2", "grpcio"]


def socket_dir(plugin):
    return os.path.dirname(plugin.address)


def gone_within(path, seconds=10.0):
    deadline = time.monotonic() + seconds
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not os.path.exists(path)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_by_default_it_listens_on_a_unix_socket_in_a_directory_only_its_user_can_enter(wrapper_dir, spawn, transport):
    plugin = spawn(wrapper_dir("echo"), AIGES_TRANSPORT=transport)
    assert plugin.network == "unix" and plugin.handshake == "1|1|unix|%s|grpc" % plugin.address
    directory = os.lstat(socket_dir(plugin))
    assert stat.S_ISDIR(directory.st_mode) and stat.S_IMODE(directory.st_mode) == 0o700
    assert directory.st_uid == os.getuid()
    assert stat.S_ISSOCK(os.lstat(plugin.address).st_mode)
    assert stat.S_IMODE(os.lstat(plugin.address).st_mode) & 0o077 == 0
    assert plugin.init({}) == 0
    assert plugin.exec_once("u1", text(b"over a unix socket")).list[0].data == b"over a unix socket"


def test_each_start_gets_a_new_directory(wrapper_dir, spawn):
    folder = wrapper_dir("echo")
    first, second = spawn(folder), spawn(folder)
    assert socket_dir(first) != socket_dir(second)


def test_the_directory_is_made_under_a_private_xdg_runtime_dir(wrapper_dir, spawn, tmp_path):
    private = tmp_path / "run"
    private.mkdir(mode=0o700)
    plugin = spawn(wrapper_dir("echo"), XDG_RUNTIME_DIR=str(private))
    assert os.path.dirname(socket_dir(plugin)) == str(private)


def test_an_xdg_runtime_dir_others_can_enter_is_not_used(wrapper_dir, spawn, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    plugin = spawn(wrapper_dir("echo"), XDG_RUNTIME_DIR=str(shared), TMPDIR=str(tmp_path))
    assert os.path.dirname(socket_dir(plugin)) == str(tmp_path)
    assert plugin.health() == "SERVING"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_directory_is_removed_after_shutdown(wrapper_dir, spawn, transport):
    plugin = spawn(wrapper_dir("echo"), AIGES_TRANSPORT=transport)
    assert plugin.init({}) == 0
    assert plugin.shutdown() == 0
    assert not os.path.exists(socket_dir(plugin))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_sigterm_right_after_the_handshake_is_a_clean_stop(wrapper_dir, spawn, transport):
    """A host may stop the plugin as soon as it has read the handshake, before the server has set up
    its own signal handlers (go-plugin's Kill does): exit status 0 and no socket directory left."""
    plugin = spawn(wrapper_dir("echo"), connect=False, AIGES_TRANSPORT=transport)
    os.kill(plugin.pid, signal.SIGTERM)
    assert plugin.wait_exit(5) == 0
    assert not os.path.exists(socket_dir(plugin))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_directory_is_removed_after_sigterm(wrapper_dir, spawn, transport):
    plugin = spawn(wrapper_dir("echo"), AIGES_TRANSPORT=transport)
    os.kill(plugin.pid, signal.SIGTERM)
    assert plugin.wait_exit(5) == 0
    assert not os.path.exists(socket_dir(plugin))


HOST_SCRIPT = """
import sys
sys.path[:0] = [{runtime!r}, {here!r}]
import fakehost
plugin = fakehost.Plugin({command!r}, {cwd!r}, env={env!r}).start()
print(plugin.address, flush=True)
sys.stdin.read()  # until killed
"""


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_directory_is_removed_when_the_loader_dies(wrapper_dir, transport):
    script = HOST_SCRIPT.format(
        runtime=str(RUNTIME_PARENT),
        here=str(HERE),
        command=fakehost.python_command(),
        cwd=str(wrapper_dir("echo")),
        env=plugin_env(AIGES_TRANSPORT=transport),
    )
    host = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        path = host.stdout.readline().strip()
        assert os.path.exists(path)
        host.kill()  # SIGKILL: the loader's end of the plugin's stdout closes, nobody calls Shutdown
        host.wait(10)
        assert gone_within(os.path.dirname(path), 30)
    finally:
        if host.poll() is None:
            host.kill()


def test_the_directory_is_removed_when_the_runtime_cannot_start(wrapper_dir, tmp_path):
    """The early start-up made the socket before the rest failed to load: nothing is left behind."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['google'] = None\nfrom aiges.serve import run; sys.exit(run())",
        ],
        cwd=str(wrapper_dir("echo")),
        capture_output=True,
        text=True,
        timeout=60,
        env=plugin_env(BASIC_PLUGIN="hello", TMPDIR=str(runtime), AIGES_TRANSPORT="h2"),
    )
    assert done.returncode == 2 and done.stdout.startswith("1|1|unix|" + str(runtime)), done.stderr
    assert "needs protobuf" in done.stderr
    assert os.listdir(str(runtime)) == []


def test_a_port_with_a_unix_socket_is_a_command_line_error(wrapper_dir):
    done = subprocess.run(
        [sys.executable, "-m", "aiges.serve", "--listen", "unix", "--port", "5000"],
        cwd=str(wrapper_dir("echo")),
        capture_output=True,
        text=True,
        timeout=60,
        env=plugin_env(BASIC_PLUGIN="hello"),
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "--port 5000 needs --listen tcp" in done.stderr


def test_a_port_alone_means_tcp(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["--port", "0"])
    assert plugin.network == "tcp" and plugin.address.startswith("127.0.0.1:")


def test_the_help_names_the_listen_choices(wrapper_dir):
    done = subprocess.run(
        [sys.executable, "-m", "aiges.serve", "--help"],
        cwd=str(wrapper_dir("echo")),
        capture_output=True,
        text=True,
        timeout=60,
        env=plugin_env(),
    )
    assert "--listen {unix,tcp}" in done.stdout and "AIGES_LISTEN" in done.stdout
