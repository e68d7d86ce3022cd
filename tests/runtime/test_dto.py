"""DTOs behave like the loader's embedded module (spec 2.1, compatibility check 9)."""

import pytest
from aiges.dto import DataListCls, DataListNode, Response, ResponseData, SessionCreateResponse


def test_response_data_defaults():
    data = ResponseData()
    assert (data.key, data.data, data.len, data.type, data.status) == ("", b"", 0, 0, 3)


def test_set_data_sets_len():
    data = ResponseData()
    data.setData(b"abc")
    assert (data.data, data.len) == (b"abc", 3)


def test_set_data_type_rejects_unknown_types():
    with pytest.raises(ValueError, match="DataText"):
        ResponseData().setDataType(7)


def test_data_and_len_can_be_assigned_directly_as_in_the_official_docs():
    # deliberate fix: vendor 0.16.0 raised "can't set attribute" here (reference 08, direct_attr)
    data = ResponseData()
    data.len = 3
    data.data = b"abc"
    assert (data.data, data.len) == (b"abc", 3)


def test_constructor_honours_data_and_length():
    # deliberate fix: the vendor ignored both arguments
    assert ResponseData("k", b"hello").len == 5
    assert ResponseData("k", b"hello", 5, 2, 3).type == 2


def test_response_list_starts_empty_like_aiges_embed():
    # deliberate fix: vendor's local Response().list held one empty ResponseData
    assert Response().list == []


def test_response_err_sets_the_code_and_returns_the_response():
    response = Response()
    assert response.response_err(100) is response
    assert response.error_code == 100


def test_data_list_cls_always_has_a_list_and_get_finds_by_key():
    # deliberate fix: 0.16.0 left DataListCls().list unset
    assert DataListCls().list == []
    assert DataListCls().get("x") is None
    first = DataListNode("a", b"1")
    holder = DataListCls([first, DataListNode("a", b"2")])
    assert holder.get("a") is first
    assert first.len == 1 and first.status == 3 and first.get_data() == b"1"


def test_session_create_response_defaults():
    created = SessionCreateResponse()
    assert (created.handle, created.error_code) == ("", 0)


def test_dto_callback_and_grpc_callback_reach_the_same_sink():
    from aiges import callback as delivery
    from aiges import dto

    received = []
    previous = delivery.install_sink(lambda response, tag: received.append((tag, response)))
    try:
        response = Response()
        dto.callback(response, "sid-1")
        delivery.callback(response, "sid-2", "ignored-sid")
    finally:
        delivery.install_sink(previous)
    assert [tag for tag, _ in received] == ["sid-1", "sid-2"]


def test_without_a_sink_results_are_queued_as_the_vendor_did():
    from aiges import dto

    queue = dto.init_rq()
    dto.callback(Response(), "s")
    assert queue.get_nowait()[0] == "s"
