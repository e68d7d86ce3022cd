"""Every host-call arity of spec 1.2 reaches the method with what it accepts (compatibility check 8)."""

import pytest
from aiges.calling import arguments_for, call_flexibly, session_handle
from aiges.dto import SessionCreateResponse

ONCE = [("params", {"p": "1"}), ("reqData", "REQ"), ("usrTag", "sid-1"), ("persId", 7)]
CREATE = [("params", {"p": "1"}), ("sid", "sid-1"), ("persId", 0), ("usrTag", "tag-1")]
WRITE = [("handle", "h"), ("reqData", "REQ"), ("sid", "sid-1")]


class Calls:
    def once2(self, params, reqData):
        return (params, reqData)

    def once3(self, params, reqData, usrTag):
        return (params, reqData, usrTag)

    def once4(self, params, reqData, usrTag="", persId=0):
        return (params, reqData, usrTag, persId)

    def once_template(self, params, reqData, usrTag="", persId=0, *args):
        return (params, reqData, usrTag, persId, args)

    def once_persid_third(self, params, reqData, persId=0):
        return (params, reqData, persId)

    def once_sid_third(self, params, reqData, sid):
        return sid

    def create_mnist(self, params, sid, persId=0):
        return (params, sid, persId)

    def create_vendor_base(self, params, sid, persId=0, usrTag=""):
        return usrTag

    def create_user_tag(self, params, sid, persId=0, usrTag="", userTag=""):
        return (usrTag, userTag)

    def create_keyword_only(self, params, sid, *, userTag=""):
        return userTag

    def write2(self, handle, req):
        return (handle, req)

    def write3(self, handle, req, sid):
        return (handle, req, sid)


calls = Calls()


@pytest.mark.parametrize(
    "method, expected",
    [
        (calls.once2, ({"p": "1"}, "REQ")),
        (calls.once3, ({"p": "1"}, "REQ", "sid-1")),
        (calls.once4, ({"p": "1"}, "REQ", "sid-1", 7)),
        (calls.once_template, ({"p": "1"}, "REQ", "sid-1", 7, ())),
        (calls.once_persid_third, ({"p": "1"}, "REQ", 7)),  # the C wrapper's 4-arg call would put usrTag here
        (calls.once_sid_third, "sid-1"),  # usrTag is the sid in practice (spec 1.6)
    ],
)
def test_once_exec_signatures_seen_in_real_wrappers(method, expected):
    assert call_flexibly(method, ONCE) == expected


@pytest.mark.parametrize(
    "method, expected",
    [
        (calls.create_mnist, ({"p": "1"}, "sid-1", 0)),
        (calls.create_vendor_base, "tag-1"),
        (calls.create_user_tag, ("tag-1", "tag-1")),  # the vendor server passed userTag=, its base class usrTag
        (calls.create_keyword_only, "tag-1"),
    ],
)
def test_create_signatures(method, expected):
    assert call_flexibly(method, CREATE) == expected


def test_write_with_and_without_sid():
    assert call_flexibly(calls.write2, WRITE) == ("h", "REQ")
    assert call_flexibly(calls.write3, WRITE) == ("h", "REQ", "sid-1")


def test_a_required_parameter_the_loader_cannot_fill_is_a_clear_error():
    def needs_more(params, reqData, usrTag, persId, extra):
        return None

    with pytest.raises(TypeError, match="needs an argument 'extra'"):
        arguments_for(needs_more, ONCE)


def test_plain_functions_and_lambdas_work():
    assert call_flexibly(lambda params, reqData: reqData, ONCE) == "REQ"


@pytest.mark.parametrize(
    "result, expected",
    [
        ("handle-1", ("handle-1", 0)),
        (SessionCreateResponse("handle-2", 0), ("handle-2", 0)),
        (SessionCreateResponse("", 5), ("", 5)),
        (None, ("", -1)),
        ("", ("", -1)),
    ],
)
def test_create_may_return_a_str_or_a_session_create_response(result, expected):
    assert session_handle(result) == expected
