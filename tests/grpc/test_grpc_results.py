"""What leaves on ``communicate`` is checked as the local run checks it, and within the message limit.

A result the loader cannot use (garbage in ``Response.list``) or one larger than ``--max-message-mb``
is an error answer for its own request (ret 30003, the reason in the log); the stream and every
later result go on normally, on both transports."""

import fakehost
import pytest
from conftest import text

TRANSPORTS = ["h2", "grpcio"]
USER_EXEC_ERROR = 30003
MB = 1024 * 1024


@pytest.fixture(params=TRANSPORTS)
def limited(request, wrapper_dir, spawn):
    """The echo wrapper with --max-message-mb 1, initialised, on each transport."""
    plugin = spawn(wrapper_dir("echo"), args=["--max-message-mb", "1"], AIGES_TRANSPORT=request.param)
    assert plugin.init({}) == 0
    return plugin


def test_a_result_over_the_limit_is_an_error_for_that_request_and_later_results_arrive(limited):
    chunk = b"x" * (400 * 1024)
    too_big = limited.exec_once("big", text(chunk), {"mode": "repeat", "times": "3"})  # 1.2 MB out of 400 KB in
    assert too_big.ret == USER_EXEC_ERROR
    assert b"more than the largest message allowed" in too_big.list[0].data
    for index in range(5):
        tag = "after-%d" % index
        assert limited.exec_once(tag, text(chunk), {"mode": "repeat", "times": "2"}).list[0].data == chunk * 2
    assert limited.router.ended is None  # communicate is still open
    assert "the result is 1228" in limited.stderr()  # 3 x 400 KB of data plus the message's framing


def test_a_session_result_over_the_limit_is_an_error_for_its_frame_and_the_session_goes_on(limited):
    handle = limited.create("s-big", {"times": "3"}).handle
    assert handle
    assert limited.write(handle, [fakehost.node("audio", b"a" * (400 * 1024), 1, 1)]) == 0  # 1.2 MB out
    too_big = limited.router.next("s-big", 10)[1]
    assert too_big.ret == USER_EXEC_ERROR and b"more than the largest message allowed" in too_big.list[0].data
    assert limited.write(handle, [fakehost.node("audio", b"b", 1, 2)]) == 0
    last = limited.router.next("s-big", 10)[1]
    assert last.ret == 0 and last.list[0].data == b"bbb|s-big"
    assert limited.destroy(handle) == 0


def test_a_result_just_under_the_limit_passes(limited):
    data = b"y" * (MB - 64)  # the rest of the message (tag, key, framing) still fits
    assert limited.exec_once("edge", text(data[: MB // 2]), {"mode": "ok"}).ret == 0
    result = limited.exec_once("edge2", text(data[: (MB - 64) // 2]), {"mode": "repeat", "times": "2"})
    assert result.ret == 0 and len(result.list[0].data) == 2 * ((MB - 64) // 2)


def test_a_request_over_the_limit_is_refused_and_the_plugin_goes_on(limited):
    with pytest.raises(fakehost.grpc.RpcError) as refused:
        limited.once("too-big", text(b"x" * (2 * MB)))
    assert refused.value.code() == fakehost.grpc.StatusCode.RESOURCE_EXHAUSTED
    assert limited.exec_once("small", text(b"ok")).list[0].data == b"ok"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode,offender", [("dict_item", "dict"), ("mixed_items", "int"), ("list_is_str", "str")])
def test_a_response_list_holding_something_other_than_response_data_is_a_bad_return_value(
    wrapper_dir, spawn, transport, mode, offender
):
    plugin = spawn(wrapper_dir("echo"), AIGES_TRANSPORT=transport)
    assert plugin.init({}) == 0
    result = plugin.exec_once(mode, text(b"data"), {"mode": mode})
    assert result.ret == USER_EXEC_ERROR
    assert ("is %s, not a ResponseData" % offender).encode() in result.list[0].data
    assert "is %s, not a ResponseData" % offender in plugin.stderr()
    assert plugin.exec_once("fine", text(b"ok")).list[0].data == b"ok"
