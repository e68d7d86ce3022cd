"""No request ever hangs: every bad answer becomes a prompt Response on communicate, and a slow wrapper
holds only its own worker, never the streams, the health checks or the other workers."""

import shutil

import fakehost
import pytest
from conftest import text


@pytest.mark.parametrize(
    "mode, code, message",
    [
        ("raise", 30003, "raised ValueError: boom"),
        ("none", 30003, "returned None; return a Response"),
        ("empty", 30003, "returned a Response with an empty list"),
        ("not_bytes", 30003, "response key 'out': data is int"),
        ("error_code", 1234, "echo error 1234"),  # the wrapper's own code and its wrapperError text
    ],
)
def test_failed_once_requests_answer_at_once_with_a_code_and_a_message(echo, mode, code, message):
    result = echo.exec_once("f-" + mode, text(b"x"), {"mode": mode})
    assert (result.tag, result.ret) == ("f-" + mode, code)
    assert [item.key for item in result.list] == ["error"]
    assert result.list[0].data.decode().startswith("wrapperOnceExec: " + message)
    # The Go loader ignores the list when ret != 0, so the message is in its log (our stderr) too.
    assert "wrapperOnceExec for tag 'f-%s' answered with ret %d: %s" % (mode, code, message) in echo.stderr()


@pytest.mark.parametrize(
    "mode, data", [("str", "h\u00e9llo".encode()), ("memoryview", b"view-bytes"), ("bytearray", b"array-bytes")]
)
def test_non_bytes_data_is_converted_and_len_recomputed(echo, mode, data):
    result = echo.exec_once("c-" + mode, text(b"x"), {"mode": mode})
    assert result.ret == 0
    assert [(i.data, i.len) for i in result.list] == [(data, len(data))]


def test_a_once_answer_without_a_final_status_still_ends_the_request(echo):
    assert echo.exec_once("st1", text(b"x"), {"mode": "continue_status"}).list[0].status == 3
    assert echo.exec_once("st2", text(b"x"), {"mode": "end_status"}).list[0].status == 2


@pytest.mark.parametrize(
    "params, code", [({"create": "fail"}, 42), ({"create": "raise"}, 30003), ({"create": "none"}, 30003)]
)
def test_failed_session_creation_answers_an_error_code_without_a_handle(echo, params, code):
    created = echo.create("bad-create", params)
    assert (created.handle, created.err_code) == ("", code)


@pytest.mark.parametrize(
    "params, code", [({"write": "fail"}, 5), ({"write": "raise"}, 30003), ({"write": "none"}, 30003)]
)
def test_failed_writes_answer_their_code(echo, params, code):
    handle = echo.create("bad-write", params).handle
    assert echo.write(handle, text(b"x")) == code
    assert echo.destroy(handle) == 0


@pytest.mark.parametrize("how, code", [("error", 77), ("junk", 30003)])
def test_bad_session_callbacks_end_the_session_with_an_error(echo, how, code):
    handle = echo.create("bad-cb-" + how, {"cb": how}).handle
    assert echo.write(handle, [fakehost.node("t", b"x", 0, 2)]) == 0
    result = echo.router.final("bad-cb-" + how, 30)[-1]
    assert result.ret == code


@pytest.mark.parametrize("how", ["dto", "grpc", "handle"])
def test_session_results_reach_the_loader_under_its_tag_whichever_callback_the_wrapper_uses(echo, how):
    handle = echo.create("sid-" + how, {"cb": how}, tag="tag-" + how).handle  # tag differs from sid on purpose
    assert echo.write(handle, [fakehost.node("t", b"x", 0, 2)]) == 0
    result = echo.router.final("tag-" + how, 30)[-1]
    assert (result.tag, result.ret, result.list[0].data) == ("tag-" + how, 0, b"x|sid-" + how.encode())
    assert echo.destroy(handle) == 0


def test_a_str_handle_from_wrapper_create_works(echo):
    created = echo.create("sid-str", {"create": "str"})
    assert (created.handle, created.err_code) == ("h-sid-str", 0)
    assert echo.write(created.handle, [fakehost.node("t", b"s", 0, 2)]) == 0
    assert echo.router.final("sid-str", 30)[-1].list[0].data == b"s|sid-str"


def test_a_slow_wrapper_holds_only_its_own_worker(wrapper_dir, spawn, tmp_path):
    plugin = spawn(wrapper_dir("echo"), args=["--workers", "2"])
    assert plugin.init({}) == 0
    gate = tmp_path / "gate"
    plugin.once("slow", text(b"x"), {"mode": "gate", "gate": str(gate)})  # answers at once, result pending
    for index in range(5):
        assert plugin.exec_once("quick-%d" % index, text(b"q%d" % index)).list[0].data == b"q%d" % index
    assert plugin.health() == "SERVING"
    assert plugin.router.queue_for("slow").empty()  # still working: the others were not held up by it
    gate.write_text("open")
    assert plugin.router.final("slow", 60)[-1].list[0].data == b"gate opened"


def test_one_worker_on_one_cpu_still_serves_streams_health_and_results(wrapper_dir, spawn, tmp_path):
    # The vendor server deadlocked here: communicate held the only thread of a 1-CPU pool.
    one_cpu = "taskset -c 0" if shutil.which("taskset") else ""
    plugin = spawn(wrapper_dir("echo"), args=["--workers", "1"], prefix=one_cpu)
    assert plugin.init({}) == 0
    gate = tmp_path / "gate1"
    plugin.once("held", text(b"x"), {"mode": "gate", "gate": str(gate)})
    assert plugin.health() == "SERVING"  # the only worker is busy; the server is not
    plugin.once("queued", text(b"after"))
    gate.write_text("open")
    assert plugin.router.final("held", 60)[-1].list[0].data == b"gate opened"
    assert plugin.router.final("queued", 60)[-1].list[0].data == b"after"


def test_results_produced_before_communicate_is_opened_are_delivered_when_it_opens(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), connect=False)
    plugin.connect()
    assert plugin.init({}) == 0
    plugin.once("early", text(b"kept"))
    router = plugin.open_communicate()
    assert router.final("early", 30)[-1].list[0].data == b"kept"


def test_big_payloads_pass_both_ways(echo):
    payload = bytes(range(256)) * (40 * 1024 * 4)  # 40 MB: far above gRPC's 4 MB default
    result = echo.exec_once("big", text(payload), timeout=120)
    assert result.ret == 0 and result.list[0].len == len(payload) and result.list[0].data == payload


def test_the_message_size_limit_is_configurable(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["--max-message-mb", "1"])
    assert plugin.init({}) == 0
    with pytest.raises(fakehost.grpc.RpcError) as refused:
        plugin.once("too-big", text(b"x" * (2 * 1024 * 1024)))
    assert refused.value.code() == fakehost.grpc.StatusCode.RESOURCE_EXHAUSTED
    assert plugin.exec_once("small", text(b"ok")).ret == 0
