"""Results belong to the loader: the first ``communicate`` stream owns them until it ends, a second
client is refused and gets nothing, ``GRPCController.Shutdown`` is honoured only from the owner's
connection, and on TCP another local user can neither take results nor stop the plugin."""

import json
import os
import queue
import subprocess
import sys

import fakehost
import pytest
from conftest import RUNTIME_PARENT, plugin_env, text

TRANSPORTS = ["h2", "grpcio"]
DENIED = fakehost.grpc.StatusCode.PERMISSION_DENIED


def started(spawn, folder, transport, **env):
    plugin = spawn(folder, AIGES_TRANSPORT=transport, **env)
    assert plugin.init({}) == 0, plugin.stderr()
    return plugin


def second_connection(plugin):
    """Another client: its own channel, hence its own connection."""
    channel = plugin.new_channel()
    fakehost.grpc.channel_ready_future(channel).result(timeout=10)
    return channel


def open_communicate(channel):
    spec = fakehost.wire.service("aiges.WrapperService")["communicate"]
    stream = channel.stream_stream(
        spec.path, request_serializer=spec.request.SerializeToString, response_deserializer=spec.response.FromString
    )
    router = fakehost.Router()
    call = stream(router.requests())
    fakehost.threading.Thread(target=router.run, args=(call,), daemon=True).start()
    return router, call


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_second_communicate_is_refused_and_the_owner_still_gets_every_result(wrapper_dir, spawn, transport):
    plugin = started(spawn, wrapper_dir("echo"), transport)
    channel = second_connection(plugin)
    try:
        stranger, _ = open_communicate(channel)
        assert stranger.done.wait(10)
        assert stranger.ended == "PERMISSION_DENIED"
        for index in range(20):
            tag = "r%d" % index
            plugin.once(tag, text(b"n%d" % index), channel=channel)  # requests from anyone: results to the owner
            assert plugin.router.final(tag, 10)[-1].list[0].data == b"n%d" % index
        with pytest.raises(queue.Empty):
            stranger.next("r0", 0.2)
    finally:
        channel.close()
    assert "refused a second communicate stream" in plugin.stderr()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_second_communicate_on_the_owners_own_connection_is_refused_too(wrapper_dir, spawn, transport):
    plugin = started(spawn, wrapper_dir("echo"), transport)
    again, _ = open_communicate(plugin.channel)
    assert again.done.wait(10) and again.ended == "PERMISSION_DENIED"
    assert plugin.exec_once("still", text(b"mine")).list[0].data == b"mine"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_when_the_owner_ends_the_next_stream_owns_the_results_and_gets_those_that_waited(wrapper_dir, spawn, transport):
    plugin = started(spawn, wrapper_dir("echo"), transport)
    plugin.channel.close()  # the owner's connection goes away
    plugin.router.done.wait(10)
    channel = second_connection(plugin)
    try:
        plugin.once("waited", text(b"kept"), channel=channel)  # produced while nobody owns the results
        router, _ = open_communicate(channel)
        assert router.final("waited", 10)[-1].list[0].data == b"kept"
    finally:
        channel.close()


def shutdown(plugin, channel):
    plugin.call(
        "plugin.GRPCController", "Shutdown", fakehost.wire.message("plugin.Empty")(), timeout=5, channel=channel
    )


@pytest.mark.parametrize("transport,listen", [("h2", "unix"), ("h2", "tcp"), ("grpcio", "tcp")])
def test_shutdown_from_another_connection_is_refused_and_from_the_owners_honoured(
    wrapper_dir, spawn, transport, listen
):
    plugin = started(spawn, wrapper_dir("echo"), transport, AIGES_LISTEN=listen)
    channel = second_connection(plugin)
    try:
        with pytest.raises(fakehost.grpc.RpcError) as refused:
            shutdown(plugin, channel)
        assert refused.value.code() == DENIED
    finally:
        channel.close()
    assert plugin.health() == "SERVING"
    assert plugin.exec_once("alive", text(b"yes")).list[0].data == b"yes"
    shutdown(plugin, plugin.channel)
    assert plugin.wait_exit(5) == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_shutdown_before_any_host_owns_the_results_is_honoured(wrapper_dir, spawn, transport):
    plugin = spawn(wrapper_dir("echo"), AIGES_TRANSPORT=transport, connect=False)
    plugin.connect()
    shutdown(plugin, plugin.channel)
    assert plugin.wait_exit(5) == 0


STRANGER = """
import json, os, sys
sys.path[:0] = {paths!r}
import fakehost, grpc  # everything is imported first: the interpreter's files may be unreadable for nobody
from aiges.grpc import wire
empty = wire.message("plugin.Empty")
once = fakehost.Request(tag="loaders-tag", params={{"sid": "loaders-tag"}}, list=[fakehost.node("text", b"forged")])
health = wire.message("grpc.health.v1.HealthCheckRequest")(service="plugin")
os.setgid(65534)
os.setgroups([])
os.setuid(65534)  # nobody: another local user
channel = grpc.insecure_channel({target!r})
grpc.channel_ready_future(channel).result(timeout=10)
found = {{}}
spec = wire.service("aiges.WrapperService")["communicate"]
stream = channel.stream_stream(spec.path, request_serializer=spec.request.SerializeToString,
                               response_deserializer=spec.response.FromString)
try:
    for message in stream(iter(())):
        found["communicate"] = "got " + message.tag
        break
except grpc.RpcError as error:
    found["communicate"] = error.code().name
try:
    spec = wire.service("plugin.GRPCController")["Shutdown"]
    channel.unary_unary(spec.path, request_serializer=spec.request.SerializeToString,
                        response_deserializer=spec.response.FromString)(empty(), timeout=5)
    found["shutdown"] = "OK"
except grpc.RpcError as error:
    found["shutdown"] = error.code().name
def unary(service, method, request):
    spec = wire.service(service)[method]
    try:
        channel.unary_unary(spec.path, request_serializer=spec.request.SerializeToString,
                            response_deserializer=spec.response.FromString)(request, timeout=5)
        return "OK"
    except grpc.RpcError as error:
        return error.code().name
found["once"] = unary("aiges.WrapperService", "wrapperOnceExec", once)  # a result under the loader's tag
found["health"] = unary("grpc.health.v1.Health", "Check", health)
print(json.dumps(found))
"""


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another user")
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_on_tcp_another_local_user_can_neither_take_results_nor_stop_the_plugin_nor_call_it(
    wrapper_dir, spawn, transport
):
    plugin = spawn(wrapper_dir("echo"), AIGES_TRANSPORT=transport, AIGES_LISTEN="tcp", connect=False)
    plugin.connect()  # the loader has connected but not yet opened communicate: the stranger is first
    paths = [str(RUNTIME_PARENT), os.path.dirname(fakehost.__file__)] + [p for p in sys.path if "site-packages" in p]
    done = subprocess.run(
        [sys.executable, "-c", STRANGER.format(paths=paths, target=plugin.target)],
        capture_output=True,
        text=True,
        timeout=60,
        env=plugin_env(),
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "communicate": "PERMISSION_DENIED",
        "shutdown": "PERMISSION_DENIED",
        "once": "PERMISSION_DENIED",
        "health": "PERMISSION_DENIED",
    }
    router = plugin.open_communicate()  # the loader still owns the results
    assert plugin.init({}) == 0
    assert plugin.exec_once("mine", text(b"ok")).list[0].data == b"ok"
    with pytest.raises(queue.Empty):
        router.next("loaders-tag", 0.5)  # nothing forged arrived
    assert "refused a call from user 65534" in plugin.stderr()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another user")
def test_on_a_unix_socket_another_local_user_cannot_even_connect(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"))
    probe = (
        "import os, socket\nos.setgid(65534)\nos.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n    s.connect(%r)\n    print('connected')\nexcept OSError as e:\n    print(e.errno)\n" % plugin.address
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, cwd="/")
    assert done.stdout.strip() == "13", done.stdout + done.stderr  # EACCES: the directory is 0700
