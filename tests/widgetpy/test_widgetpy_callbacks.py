"""Results and reports a wrapper pushes to the loader's CallbackService, on both servers, and when it fails."""

import signal

from aiges.widgetpy import messages
from fakeloader import FakeLoader
from widgetpy_support import *  # noqa: F403 - its fixtures (a conftest here would shadow tests/grpc's)
from widgetpy_support import WRAPPERS, need_vendor


def msg(name, **fields):
    return messages.message(name)(**fields).SerializeToString()


def parse(name, data):
    return messages.message(name).FromString(data)


def session_pushes(which, folder_with, running, scratch):
    folder = folder_with(WRAPPERS / "async_wrapper.py")
    with FakeLoader(str(scratch / ("%s-cb.sock" % which))) as loader:
        plugin = running(which, folder, args=["--callback-sock", loader.path])
        answers = [
            plugin.call("Init").data,
            plugin.call("Create", msg("CreateRequest", usr_tag="sid-as", params={"sid": "sid-as"})).data,
            plugin.call(
                "Write", msg("WriteRequest", handle="sid-as", data_list=[{"key": "text", "data": b"one two"}])
            ).data,
            plugin.call(
                "Write",
                msg("WriteRequest", handle="sid-as", data_list=[{"key": "text", "data": b"three", "status": 2}]),
            ).data,
        ]
        received = loader.wait_for(3)
        answers += [
            plugin.call("Read", msg("ReadRequest", handle="sid-as")).data,
            plugin.call("Destroy", msg("DestroyRequest", handle="sid-as")).data,
        ]
    plugin.stop()
    return answers, [(r.rpc, r.request) for r in received]


def test_a_session_pushed_from_a_wrapper_thread_reaches_the_loader_as_from_the_vendors_server(
    folder_with, running, scratch
):
    """pyaiges 0.2.0's async pattern (G3): one AsyncCallback per word, CONTINUE then END, desc seq."""
    need_vendor()
    ours = session_pushes("ours", folder_with, running, scratch)
    vendor = session_pushes("vendor", folder_with, running, scratch)
    assert ours == vendor
    pushed = [parse("AsyncCallbackRequest", request) for _, request in ours[1]]
    assert [(p.usr_tag, p.data_list[0].data, p.data_list[0].status, dict(p.data_list[0].desc)) for p in pushed] == [
        ("sid-as", b"ONE", 1, {"seq": "0"}),
        ("sid-as", b"TWO", 1, {"seq": "1"}),
        ("sid-as", b"THREE", 2, {"seq": "2"}),
    ]


def test_a_large_pushed_result_arrives_whole(folder_with, running, scratch):
    """3 MiB through our own HTTP/2 client: the loader's flow-control windows are honoured."""
    with FakeLoader(str(scratch / "cb.sock")) as loader:
        plugin = running("ours", folder_with(WRAPPERS / "async_wrapper.py"), args=["--callback-sock", loader.path])
        answer = parse(
            "ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="big", params={"size": "3145728"})).data
        )
        [received] = loader.wait_for(1)
    assert answer.data_list[0].data == b"0"
    assert parse("AsyncCallbackRequest", received.request).data_list[0].data == b"z" * 3145728


def test_a_loader_that_went_away_fails_the_callback_not_the_call(folder_with, running, scratch):
    """The vendor's helpers raised grpc.RpcError into the wrapper; ours log it and answer -1."""
    loader = FakeLoader(str(scratch / "cb.sock")).__enter__()
    plugin = running("ours", folder_with(WRAPPERS / "probe_wrapper.py"), args=["--callback-sock", loader.path])
    loader.__exit__()
    answer = parse(
        "ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="t", params={"mode": "callbacks"})).data
    )
    assert (answer.err_code, answer.data_list[0].data) == (0, b"[-1, -1, -1, -1, -1, -1, -1, -1]")
    assert plugin.stop(signal.SIGTERM) == 0
    assert "MeterCustom to the loader's callback socket" in plugin.stderr


def test_a_restarted_loader_is_reached_again(folder_with, running, scratch):
    """The callback connection is made again by the next call after the loader's end went away."""
    path = scratch / "cb.sock"
    plugin = None
    for round_ in range(2):
        if path.exists():
            path.unlink()
        with FakeLoader(str(path)) as loader:
            if plugin is None:
                plugin = running(
                    "ours", folder_with(WRAPPERS / "probe_wrapper.py"), args=["--callback-sock", str(path)]
                )
            request = msg("ExecRequest", usr_tag="r%d" % round_, params={"mode": "callbacks"})
            answer = parse("ExecResponse", plugin.call("Exec", request).data)
            assert answer.data_list[0].data == b"[0, 0, 0, 0, 0, 0, 0, 0]", round_
            assert len(loader.wait_for(8)) == 8
