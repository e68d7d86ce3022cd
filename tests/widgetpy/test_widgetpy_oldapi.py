"""The old ``Wrapper`` API over WidgetPy (the mapping of docs/explanation/widgetpy.md), with a fake loader."""

from aiges.widgetpy import messages
from fakeloader import FakeLoader
from widgetpy_support import *  # noqa: F403 - its fixtures (a conftest here would shadow tests/grpc's)
from widgetpy_support import WRAPPERS


def msg(name, **fields):
    return messages.message(name)(**fields).SerializeToString()


def parse(name, data):
    return messages.message(name).FromString(data)


def test_once_results_codes_and_messages(folder_with, running):
    plugin = running("ours", folder_with(WRAPPERS / "legacy_wrapper.py"))
    assert parse("VersionResponse", plugin.call("Version").data).version == "v7"
    early = parse("ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="t0")).data)
    assert (early.err_code, early.err_msg) == (30001, "Exec called before a successful Init")
    assert plugin.call("Init", msg("InitRequest", cfg={"a": "1"})).data == b""
    text = {"key": "text", "data": b"hi", "status": 3, "desc": {"encoding": "utf8"}}
    done = parse(
        "ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="t1", data_list=[text], psr_ids=[9])).data
    )
    assert [(item.key, item.data, item.status) for item in done.data_list] == [("echo", b"hi pers=9", 3)]
    assert done.err_code == 0
    missing = parse("ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="t2")).data)
    assert (missing.err_code, missing.err_msg, list(missing.data_list)) == (
        1002,
        "the request carries no input data",
        [],
    )
    raised = parse("ExecResponse", plugin.call("Exec", msg("ExecRequest", params={"mode": "raise"})).data)
    assert (raised.err_code, raised.err_msg) == (-1, "exec boom")
    assert plugin.stop() == 0
    assert "ValueError: exec boom" in plugin.stderr  # logged with its traceback


def test_metering_tracing_and_pushed_session_results_reach_the_loader(folder_with, running, scratch):
    folder = folder_with(WRAPPERS / "legacy_wrapper.py")
    with FakeLoader(str(scratch / "cb.sock"), {"TraceLog": 1}) as loader:
        plugin = running("ours", folder, args=["--callback-sock", loader.path])
        plugin.call("Init")
        codes = parse(
            "ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="t-m", params={"mode": "services"})).data
        )
        assert codes.data_list[0].data == b"[0, 1]"
        created = parse("CreateResponse", plugin.call("Create", msg("CreateRequest", usr_tag="s1")).data)
        assert created.handle == "h-s1"
        frame = {"key": "text", "data": b"ab", "status": 2}
        assert plugin.call("Write", msg("WriteRequest", handle="h-s1", data_list=[frame])).data == b""
        received = loader.wait_for(3)
        assert parse("ReadResponse", plugin.call("Read", msg("ReadRequest", handle="h-s1")).data).data_list == []
        assert plugin.call("Destroy", msg("DestroyRequest", handle="h-s1")).data == b""
    assert [(r.rpc, r.request) for r in received[:2]] == [
        ("MeterCustom", msg("MeterCustomRequest", handle="t-m", key="mkey", count=3)),
        ("TraceLog", msg("TraceLogRequest", handle="t-m", key="tk", value="tv")),
    ]
    pushed = parse("AsyncCallbackRequest", received[2].request)
    assert pushed.usr_tag == "s1"
    assert [(item.key, item.data, item.status) for item in pushed.data_list] == [("part", b"AB", 2)]


def test_without_a_callback_socket_session_results_wait_for_read(folder_with, running):
    plugin = running("ours", folder_with(WRAPPERS / "legacy_wrapper.py"))
    plugin.call("Init")
    handle = parse(
        "CreateResponse", plugin.call("Create", msg("CreateRequest", usr_tag="s2", params={"sid": "sid-2"})).data
    ).handle
    assert handle == "h-sid-2"
    for data, status in ((b"one", 1), (b"two", 2)):
        plugin.call(
            "Write", msg("WriteRequest", handle=handle, data_list=[{"key": "text", "data": data, "status": status}])
        )
    read = parse("ReadResponse", plugin.call("Read", msg("ReadRequest", handle=handle)).data)
    assert [(item.data, item.status) for item in read.data_list] == [(b"ONE", 1), (b"TWO", 2)]
    assert parse("ReadResponse", plugin.call("Read", msg("ReadRequest", handle=handle)).data).data_list == []


def test_an_async_only_wrapper_answers_at_once_and_pushes_its_result(folder_with, running, scratch):
    """wrapperOnceExecAsync (CGO asyncMode style): Exec answers empty, the result goes to AsyncCallback."""
    folder = folder_with(WRAPPERS.parent.parent / "grpc" / "wrappers" / "async_only" / "wrapper.py")
    with FakeLoader(str(scratch / "cb.sock")) as loader:
        plugin = running("ours", folder, args=["--callback-sock", loader.path])
        plugin.call("Init")
        text = {"key": "text", "data": b"hi", "status": 3}
        assert plugin.call("Exec", msg("ExecRequest", usr_tag="t-a", data_list=[text])).data == b""
        refused = parse(
            "ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="t-r", params={"mode": "refuse"})).data
        )
        [received] = loader.wait_for(1)
    assert refused.err_code == 9
    pushed = parse("AsyncCallbackRequest", received.request)
    assert (received.rpc, pushed.usr_tag, pushed.err_code) == ("AsyncCallback", "t-a", 0)
    assert [(item.key, item.data, item.status) for item in pushed.data_list] == [("out", b"async:hi", 3)]
