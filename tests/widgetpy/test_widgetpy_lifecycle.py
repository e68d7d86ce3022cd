"""How our WidgetPy server starts, listens, logs and stops (shared/spec/widgetpy.md section 1, and our fixes)."""

import os
import signal
import stat

import pytest
from widgetpy_support import *  # noqa: F403 - its fixtures (a conftest here would shadow tests/grpc's)
from widgetpy_support import READY, WRAPPERS, plugin_env, start


def probe(folder_with):
    return folder_with(WRAPPERS / "probe_wrapper.py")


def test_the_readiness_line_names_the_socket_as_given(folder_with, running):
    folder = probe(folder_with)
    plugin = running("ours", folder, sock="rel.sock")
    assert plugin.stdout == [READY + "unix:rel.sock"]
    assert plugin.call("Version").code == "OK"


def test_the_socket_lives_in_a_private_directory_behind_the_path(folder_with, running):
    plugin = running("ours", probe(folder_with))
    assert os.path.islink(plugin.sock)
    target = os.readlink(plugin.sock)
    assert stat.S_ISSOCK(os.stat(target).st_mode)
    assert stat.S_IMODE(os.stat(os.path.dirname(target)).st_mode) == 0o700
    assert plugin.stop() == 0
    assert not os.path.lexists(plugin.sock) and not os.path.exists(os.path.dirname(target))


def test_a_stale_socket_is_replaced_but_another_file_is_refused(folder_with, running):
    folder = probe(folder_with)
    first = running("ours", folder)
    first.stop(signal.SIGKILL)  # leaves its link behind
    assert os.path.islink(first.sock)
    assert running("ours", folder, sock=first.sock).call("Version").code == "OK"
    (folder / "plain.sock").write_text("mine")
    refused = start("ours", folder, sock=str(folder / "plain.sock"), wait=False)
    assert refused.wait() == 1
    assert "something other than a socket" in refused.stderr
    assert (folder / "plain.sock").read_text() == "mine"


@pytest.mark.parametrize("attempt", range(5))
def test_sigterm_right_after_the_readiness_line_stops_cleanly(folder_with, attempt):
    """The vendor's server installs its handlers after printing the line and died of the signal 1-2 times in 20."""
    plugin = start("ours", probe(folder_with))
    assert plugin.stop(signal.SIGTERM) == 0
    assert not os.path.lexists(plugin.sock)


def test_start_up_failures_exit_1_without_a_readiness_line(folder_with, scratch):
    folder = probe(folder_with)
    cases = [
        (["--module", "json"], "no python_wrapper.WrapperBase subclass and no old-API Wrapper class found in json"),
        (["--class", "Nope"], "class 'Nope' not found in wrapper"),
        (["--sock", "/nonexistent-dir/x.sock"], "the directory /nonexistent-dir does not exist"),
        (["--sock", "/tmp/" + "x" * 120], "a unix socket path has at most 107"),
    ]
    for args, message in cases:
        module = args[1] if args[0] == "--module" else "wrapper"
        extra = [] if args[0] == "--module" else args
        sock = args[1] if args[0] == "--sock" else None
        plugin = start("ours", folder, module=module, args=[] if sock else extra, sock=sock, wait=False)
        assert plugin.wait() == 1, (args, plugin.stderr)
        assert not [line for line in plugin.stdout if line.startswith(READY)]
        assert message in plugin.stderr, (args, plugin.stderr)


def test_prints_and_failures_are_logged_on_stderr_and_stdout_stays_the_loaders(folder_with, running):
    """The vendor's server logged nothing for a raising version(); ours logs it, and prints go to stderr."""
    plugin = running(
        "ours", folder_with(WRAPPERS / "noisy_wrapper.py"), env=plugin_env("ours", PROBE_VERSION_RAISE="1")
    )
    assert plugin.call("Init").code == "OK"
    assert plugin.call("Version").code == "OK"
    assert plugin.stop() == 0
    assert plugin.stdout == [READY + "unix:" + plugin.sock]
    assert "printed by init" in plugin.stderr
    assert "version boom" in plugin.stderr


def test_an_absent_callback_socket_is_reported_and_does_not_hold_start_up(folder_with, running, scratch):
    plugin = running("ours", probe(folder_with), args=["--callback-sock", str(scratch / "absent.sock")])
    assert plugin.call("Version").code == "OK"
    assert plugin.stop() == 0
    assert "cannot connect to the loader's callback socket" in plugin.stderr


def test_without_protobuf_the_server_says_what_to_install(folder_with, scratch):
    """protobuf is its one dependency (no grpcio): its absence is one clear line and exit status 2."""
    blocker = scratch / "no-protobuf" / "google" / "protobuf"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('protobuf is not installed here')\n")
    env = plugin_env("ours")
    env["PYTHONPATH"] = "%s:%s" % (scratch / "no-protobuf", env["PYTHONPATH"])
    plugin = start("ours", probe(folder_with), env=env, wait=False)
    assert plugin.wait() == 2
    assert "needs protobuf (pip install protobuf)" in plugin.stderr
    assert not plugin.stdout
