"""When the wrapper crashes the process, the loader sees the stream end and starts a new plugin that
works; when the loader dies, the plugin does not outlive it."""

import os
import subprocess
import sys
import time

import fakehost
from conftest import HERE, RUNTIME_PARENT, plugin_env, text


def test_after_the_wrapper_kills_the_process_a_new_plugin_serves_again(wrapper_dir, spawn):
    folder = wrapper_dir("echo")
    first = spawn(folder)
    assert first.init({}) == 0
    try:  # os._exit(3) inside wrapperOnceExec; the unary reply may or may not leave first (the loader ignores it)
        first.once("crash", text(b"x"), {"mode": "exit"})
    except fakehost.grpc.RpcError:
        pass
    assert first.wait_exit(30) == 3
    first.router.done.wait(30)
    assert first.router.ended not in (None, "ok")  # the loader's communicate fails: it knows the plugin died

    second = spawn(folder)
    assert second.health() == "SERVING" and second.init({}) == 0
    assert second.exec_once("again", text(b"alive")).list[0].data == b"alive"


def test_after_a_kill_9_a_new_plugin_on_the_same_port_range_serves_again(wrapper_dir, spawn):
    folder = wrapper_dir("echo")
    first = spawn(folder, port_range=(23000, 23100))
    assert first.init({}) == 0
    first.proc.kill()
    first.wait_exit(30)
    second = spawn(folder, port_range=(23000, 23100))
    assert second.init({}) == 0
    assert second.exec_once("k9", text(b"ok")).ret == 0


HOST_SCRIPT = """
import sys
sys.path[:0] = [{runtime!r}, {here!r}]
import fakehost
plugin = fakehost.Plugin({command!r}, {cwd!r}, env={env!r}).start()
print(plugin.pid, flush=True)
sys.stdin.read()  # until killed
"""


def _gone(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().split(")")[-1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_the_plugin_exits_when_the_loader_dies(wrapper_dir):
    script = HOST_SCRIPT.format(
        runtime=str(RUNTIME_PARENT),
        here=str(HERE),
        command=fakehost.python_command(),
        cwd=str(wrapper_dir("echo")),
        env=plugin_env(),
    )
    host = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(host.stdout.readline())
        assert not _gone(pid)
        host.kill()  # SIGKILL: no cleanup, exactly what spec 10.2 item 26 is about
        host.wait(10)
        deadline = time.monotonic() + 30
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(pid)
    finally:
        if host.poll() is None:
            host.kill()
        if "pid" in locals() and not _gone(pid):
            os.kill(pid, 9)
