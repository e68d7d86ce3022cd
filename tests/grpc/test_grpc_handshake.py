"""Start-up as go-plugin requires: the magic cookie, the handshake line as the first and only stdout
output, with ``--listen tcp`` a loopback port from PLUGIN_MIN_PORT..PLUGIN_MAX_PORT, health, and both
entry points. The default unix socket: test_grpc_listen.py."""

import socket
import subprocess
import sys

import fakehost
import pytest
from conftest import plugin_env


def run_serve(folder, *args, **env):
    return subprocess.run(
        [sys.executable, "-m", "aiges.serve", *args],
        cwd=str(folder),
        env=plugin_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_the_magic_cookie_it_explains_how_it_is_meant_to_be_run(wrapper_dir):
    done = run_serve(wrapper_dir("echo"))
    assert done.returncode != 0
    assert done.stdout == ""  # never anything a loader could mistake for a handshake
    assert "meant to be started by the loader" in done.stderr
    assert "BASIC_PLUGIN=hello python -m aiges.serve" in done.stderr
    assert "python -m aiges run" in done.stderr


def test_a_loader_speaking_another_plugin_protocol_version_is_refused(wrapper_dir):
    done = run_serve(wrapper_dir("echo"), BASIC_PLUGIN="hello", PLUGIN_PROTOCOL_VERSIONS="2,3")
    assert done.returncode != 0 and done.stdout == ""
    assert "protocol version" in done.stderr


def test_help_needs_no_cookie(wrapper_dir):
    done = run_serve(wrapper_dir("echo"), "--help")
    assert done.returncode == 0
    assert "--workers" in done.stdout and "--max-message-mb" in done.stdout and "--port" in done.stdout


def test_the_first_stdout_line_is_the_handshake_and_health_is_serving(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), AIGES_LISTEN="tcp")
    assert plugin.handshake.startswith("1|1|tcp|127.0.0.1:") and plugin.handshake.endswith("|grpc")
    assert plugin.health("plugin") == "SERVING"
    assert plugin.health("") == "SERVING"
    with pytest.raises(fakehost.grpc.RpcError) as unknown:
        plugin.health("something-else")
    assert unknown.value.code() == fakehost.grpc.StatusCode.NOT_FOUND


def test_the_port_comes_from_the_loader_range_and_skips_busy_ports(wrapper_dir, spawn):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    first = busy.getsockname()[1]
    try:
        plugin = spawn(wrapper_dir("echo"), port_range=(first, first + 20), AIGES_LISTEN="tcp")
        port = int(plugin.address.rsplit(":", 1)[1])
        assert plugin.address.startswith("127.0.0.1:")
        assert first < port <= first + 20
        assert plugin.health() == "SERVING"
    finally:
        busy.close()


def test_a_fixed_port_option_and_a_full_range_fail_clearly(wrapper_dir, spawn):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        done = run_serve(
            wrapper_dir("echo"),
            "--listen",
            "tcp",
            BASIC_PLUGIN="hello",
            PLUGIN_MIN_PORT=str(port),
            PLUGIN_MAX_PORT=str(port),
        )
        assert done.returncode != 0 and done.stdout == ""
        assert "no free port" in done.stderr
    finally:
        busy.close()
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    wanted = free.getsockname()[1]
    free.close()
    plugin = spawn(wrapper_dir("echo"), args=["--port", str(wanted)])
    assert plugin.address == "127.0.0.1:%d" % wanted


def test_it_listens_on_loopback_only(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["--listen=tcp"])
    port = int(plugin.address.rsplit(":", 1)[1])
    listening = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as table:
            listening += [line.split()[1] for line in table.readlines()[1:] if line.split()[3] == "0A"]
    mine = [address for address in listening if address.endswith(":%04X" % port)]
    loopback = ("0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000")
    assert mine and all(address.split(":")[0] in loopback for address in mine), mine


def test_prints_from_the_wrapper_never_reach_the_loaders_stdout(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"))
    assert plugin.init({}) == 0
    assert plugin.exec_once("p1", [fakehost.node("text", b"x")], {"mode": "print"}).ret == 0
    plugin.shutdown()
    assert plugin.stdout_after == []  # nothing after the handshake line
    assert "print from wrapperInit" in plugin.stderr()
    assert "print from wrapperOnceExec" in plugin.stderr()


def test_python_m_aiges_serve_through_the_command_registry(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), module="aiges", args=["serve", "--workers", "3"])
    assert plugin.health() == "SERVING"
    assert plugin.init({}) == 0
    assert plugin.exec_once("r1", [fakehost.node("text", b"via registry")]).list[0].data == b"via registry"
    assert "3 worker(s)" in plugin.stderr()


def test_the_vendor_command_line_flags_are_accepted(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["-c", "-w", "2"])
    assert plugin.health() == "SERVING"


def test_the_command_rendered_into_aiges_toml_starts_the_server_without_importing_the_heavy_parts_first(wrapper_dir):
    from aiges.tools.render.options import PLUGIN_CMD

    assert PLUGIN_CMD.startswith("python3 ")  # the interpreter the Dockerfile installs requirements with
    command = fakehost.shlex.quote(sys.executable) + PLUGIN_CMD[len("python3") :] + " -w 3"  # options go after it
    plugin = fakehost.Plugin(command, str(wrapper_dir("echo")), env=plugin_env(AIGES_LOG_LEVEL="debug"))
    try:
        plugin.start().connect().open_communicate()
        assert plugin.health() == "SERVING" and plugin.init({}) == 0
        assert plugin.exec_once("rendered", [fakehost.node("text", b"ok")]).list[0].data == b"ok"
        assert "3 worker(s)" in plugin.stderr()
    finally:
        plugin.close()


@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_the_handshake_is_printed_before_grpc_protobuf_or_the_wrapper_are_imported(wrapper_dir, network):
    """The loader waits for the handshake: nothing slow may come before it (the built-in transport's
    aiges.serve binds with _socket; with --transport grpcio, grpcio binds after its import)."""
    probe = (
        "import sys\n"
        "before = set(sys.modules)  # what the interpreter (and its site, .pth files) loaded already\n"
        "import aiges.serve as s\n"
        "early = s._announce_early([])\n"
        "heavy = [m for m in ('grpc', 'google.protobuf', 'socket', 'argparse', 'typing', 'threading', 'wrapper')"
        " if m in sys.modules and m not in before]\n"
        "sys.stderr.write('heavy=%r\\n' % heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=str(wrapper_dir("echo")),
        env=plugin_env(
            BASIC_PLUGIN="hello",
            PLUGIN_MIN_PORT="10000",
            PLUGIN_MAX_PORT="25000",
            AIGES_TRANSPORT="h2",
            AIGES_LISTEN=network,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.startswith({"tcp": "1|1|tcp|127.0.0.1:", "unix": "1|1|unix|/"}[network]), done.stderr
    assert "heavy=[]" in done.stderr


@pytest.mark.parametrize("bad", [["--bogus"], ["--workers", "many"]], ids=["unknown option", "bad value"])
def test_a_bad_command_line_is_reported_before_any_handshake(wrapper_dir, bad):
    done = run_serve(wrapper_dir("echo"), *bad, BASIC_PLUGIN="hello", AIGES_TRANSPORT="h2")
    assert done.returncode == 2 and done.stdout == ""  # the loader never sees a port it cannot use
    assert "usage:" in done.stderr


def test_an_abbreviated_option_means_what_argparse_says(wrapper_dir, spawn):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        wanted = probe.getsockname()[1]
    plugin = spawn(wrapper_dir("echo"), args=["--po", str(wanted)], AIGES_TRANSPORT="h2")
    assert plugin.address == "127.0.0.1:%d" % wanted and plugin.health() == "SERVING"


def test_the_early_start_up_reads_every_option_as_argparse_does(monkeypatch):
    import argparse

    monkeypatch.setenv("AIGES_TRANSPORT", "h2")
    from aiges import serve

    parser = argparse.ArgumentParser()
    serve.configure(parser)
    options = {flag for action in parser._actions for flag in action.option_strings}
    assert options - set(serve._EARLY_OPTIONS) == {"-h", "--help", "--transport"}  # these go to argparse first
    assert serve._early_port(["--port=10001", "-w", "3", "--", "--port", "9"]) == (True, 10001, "tcp")
    assert serve._early_port(["-w", "3", "--", "--port", "9"]) == (True, None, "unix")
    assert serve._early_port(["--listen", "tcp"]) == (True, None, "tcp")
    assert serve._early_port(["--listen", "unix", "--port", "1"])[0] is False  # argparse's start-up reports it
