"""The loader's call order over real gRPC: communicate, init, schema, once, a session, shutdown."""

import json
import signal
import threading

import fakehost
import pytest
from aiges.grpc import wire
from conftest import text


def test_init_schema_once_session_and_shutdown_in_the_loaders_order(wrapper_dir, spawn, tmp_path):
    plugin = spawn(wrapper_dir("echo"))
    marker = tmp_path / "fini.txt"
    assert plugin.init({"log.level": "debug", "fini_marker": str(marker), "common.lic": "10"}) == 0

    schema = json.loads(plugin.schema("svcName"))
    assert schema["meta"]["serviceId"] == "echo" and schema["meta"]["route"] == "/v1/private/echo"
    assert set(schema) == {"meta", "schemainput", "schemaoutput"}
    assert "mode" in json.dumps(schema["schemainput"])  # the complete schema, not the vendor's empty one

    unary = plugin.once("sid-0001", text(b"hello"), {"mode": "ok"})
    assert unary.tag == "" and unary.ret == 0 and len(unary.list) == 0  # the answer comes on communicate
    result = plugin.router.final("sid-0001", 30)[-1]
    assert (result.tag, result.ret) == ("sid-0001", 0)
    assert [(i.key, i.data, i.len, i.type, i.status) for i in result.list] == [("out", b"hello", 5, 0, 3)]

    created = plugin.create("sid-0002", {"ctl": "ok", "type": "1"})
    assert (created.handle, created.err_code) == ("h-sid-0002", 0)
    assert (
        plugin.write(
            created.handle,
            [
                fakehost.node("audio", b"a", 1, 0),
                fakehost.node("audio", b"b", 1, 1),
                fakehost.node("audio", b"c", 1, 2),
            ],
        )
        == 0
    )
    frames = plugin.router.final("sid-0002", 30)
    assert [(m.tag, m.ret) for m in frames] == [("sid-0002", 0)] * 3
    assert [(i.data, i.type, i.status) for m in frames for i in m.list] == [
        (b"a|sid-0002", 1, 0),
        (b"b|sid-0002", 1, 1),
        (b"c|sid-0002", 1, 2),
    ]  # type preserved, sid filled in
    assert plugin.destroy(created.handle) == 0

    assert plugin.shutdown() == 0  # Shutdown -> wrapperFini -> clean exit
    assert marker.read_text() == "fini called"
    plugin.router.done.wait(10)
    assert plugin.router.ended == "ok"  # the stream ended normally: the Go loader fatals on a stream error


def test_the_wrapper_sees_plain_dicts_data_list_nodes_with_bytes_and_the_request_tag(echo):
    result = echo.exec_once(
        "sid-77",
        [fakehost.node("img", b"\x89PNG", 2, 3), fakehost.node("t", b"", 0, 0)],
        {"mode": "describe", "p1": "3"},
    )
    seen = json.loads(result.list[0].data)
    assert seen["params_type"] == "dict" and seen["params"] == {"mode": "describe", "p1": "3", "sid": "sid-77"}
    assert (seen["usrTag"], seen["persId"], seen["reqData_type"]) == ("sid-77", 0, "DataListCls")
    assert seen["nodes"] == [
        {"key": "img", "len": 4, "type": 2, "status": 3, "data_type": "bytes", "node_type": "DataListNode"},
        {"key": "t", "len": 0, "type": 0, "status": 0, "data_type": "bytes", "node_type": "DataListNode"},
    ]
    assert seen["argv"] == []


def test_arguments_after_the_options_are_the_wrappers_argv(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["--workers", "2", "--", "alpha", "--beta"])
    assert plugin.init({}) == 0
    seen = json.loads(plugin.exec_once("a1", text(b"x"), {"mode": "describe"}).list[0].data)
    assert seen["argv"] == ["alpha", "--beta"]


@pytest.mark.parametrize(
    "folder, config, code, logged",
    [
        ("import_error", {}, 30001, "a_module_that_does_not_exist"),
        ("bad_init", {}, 30002, "model file missing"),
        ("echo", {"init": "raise"}, 30002, "init boom"),
        ("echo", {"init": "fail"}, 30002, "echo error 7"),
        ("echo", {"init": "none"}, 30002, "must return an int"),
    ],
)
def test_init_failures_answer_the_vendor_codes_and_say_why(wrapper_dir, spawn, folder, config, code, logged):
    plugin = spawn(wrapper_dir(folder))
    assert plugin.init(config) == code
    assert logged in plugin.stderr()
    # Later calls still answer (the Go loader exits on a failed init, a test host may not).
    json.loads(plugin.schema())
    assert plugin.exec_once("after", text(b"x")).ret == 30001
    assert plugin.create("s").err_code == 30001


def test_a_schema_that_cannot_be_built_is_answered_with_minimal_valid_json(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("bad_schema"))
    assert plugin.init({}) == 0
    schema = json.loads(plugin.schema("svcName"))
    assert schema["meta"]["serviceId"] == "badschema" and schema["meta"]["route"] == "/v2/private/badschema"
    assert set(schema) == {"meta", "schemainput", "schemaoutput"}
    assert "no output field" in plugin.stderr()
    assert plugin.exec_once("s1", text(b"x")).list[0].data == b"still works"


def test_log_level_comes_from_the_loader_config(wrapper_dir, spawn, echo):
    quiet = spawn(wrapper_dir("echo"))
    assert quiet.init({"log.level": "error"}) == 0
    quiet.exec_once("q1", text(b"x"), {"mode": "none"})
    assert "answered with ret" in quiet.stderr()  # errors are still logged
    assert "wrapperInit succeeded" not in quiet.stderr()
    assert "wrapperInit succeeded" in echo.stderr()  # the echo fixture initialises with log.level=debug


def test_the_go_plugin_services_exist_and_end_cleanly_at_shutdown(echo):
    ends = {}

    def follow(name, call):
        try:
            for _ in call:
                pass
            ends[name] = "ok"
        except fakehost.grpc.RpcError as error:
            ends[name] = error.code().name

    stdio_spec = wire.service("plugin.GRPCStdio")["StreamStdio"]
    stdio = echo.channel.unary_stream(
        stdio_spec.path,
        request_serializer=stdio_spec.request.SerializeToString,
        response_deserializer=stdio_spec.response.FromString,
    )
    broker_spec = wire.service("plugin.GRPCBroker")["StartStream"]
    broker = echo.channel.stream_stream(
        broker_spec.path,
        request_serializer=broker_spec.request.SerializeToString,
        response_deserializer=broker_spec.response.FromString,
    )
    watch_spec = wire.service("grpc.health.v1.Health")["Watch"]
    watch = echo.channel.unary_stream(
        watch_spec.path,
        request_serializer=watch_spec.request.SerializeToString,
        response_deserializer=watch_spec.response.FromString,
    )
    statuses = []
    threads = [
        threading.Thread(target=follow, args=("stdio", stdio(wire.message("google.protobuf.Empty")()))),
        threading.Thread(target=follow, args=("broker", broker(iter(threading.Event().wait, 1)))),
        threading.Thread(
            target=lambda: statuses.extend(
                m.status for m in watch(wire.message("grpc.health.v1.HealthCheckRequest")(service="plugin"))
            )
        ),
    ]
    for thread in threads:
        thread.start()
    assert echo.health() == "SERVING"
    assert echo.shutdown() == 0
    for thread in threads:
        thread.join(15)
    assert ends == {"stdio": "ok", "broker": "ok"}  # present (not UNIMPLEMENTED) and closed normally
    assert statuses[0] == 1 and statuses[-1] == 2  # SERVING, then NOT_SERVING


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_cleanly_through_wrapper_fini(wrapper_dir, spawn, tmp_path, signum):
    plugin = spawn(wrapper_dir("echo"))
    marker = tmp_path / "fini.txt"
    assert plugin.init({"fini_marker": str(marker)}) == 0
    plugin.proc.send_signal(signum)
    assert plugin.wait_exit(10) == 0
    assert marker.read_text() == "fini called"
    assert "stopping: received %s" % signal.Signals(signum).name in plugin.stderr()


def test_the_wrapper_folder_can_be_named_instead_of_being_the_working_directory(wrapper_dir, spawn, tmp_path):
    folder = wrapper_dir("echo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plugin = spawn(elsewhere, args=["--wrapper", str(folder)])
    assert plugin.init({}) == 0
    seen = json.loads(plugin.exec_once("w1", text(b"x"), {"mode": "describe"}).list[0].data)
    assert seen["cwd"] == str(folder)  # relative paths in wrapper code resolve as in the image
