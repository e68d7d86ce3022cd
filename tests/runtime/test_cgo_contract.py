"""What the loader's C wrapper needs from a plugin (spec 1.1, 8; compatibility check 11)."""

import sys
import threading

from aiges import embed
from aiges.dto import DataListCls, DataListNode, Response, ResponseData
from aiges.sdk import StringBodyField, WrapperBase

LOOKED_UP_BY_THE_C_WRAPPER = (
    "wrapperInit",
    "wrapperFini",
    "wrapperOnceExec",
    "wrapperOnceExecAsync",
    "wrapperError",
    "wrapperLoadRes",
    "wrapperUnloadRes",
    "wrapperCreate",
    "wrapperWrite",
    "wrapperRead",
    "wrapperDestroy",
    "wrapperTestFunc",
)


class Req:
    t = StringBodyField(key="t", value=b"x")


class Resp:
    out = StringBodyField(key="out")


class SyncOnly(WrapperBase):
    serviceId = "sync"
    version = "v1"
    requestCls = Req()
    responseCls = Resp()

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        return Response(list=[ResponseData("out", reqData.get("t").data.upper())])


def test_a_minimal_wrapper_has_every_attribute_the_c_wrapper_looks_up():
    # without wrapperTestFunc the loader aborts at start (spec 12); the vendor base class lacked it
    wrapper = SyncOnly()
    for name in LOOKED_UP_BY_THE_C_WRAPPER:
        assert callable(getattr(wrapper, name)), name


def test_the_c_wrapper_constructs_the_wrapper_without_arguments():
    assert SyncOnly().legacy is True


def test_async_once_works_through_the_callback_for_a_sync_wrapper():
    # asyncMode=true (the loader's default config) calls wrapperOnceExecAsync: it must deliver via callback
    from aiges.callback import install_sink

    arrived = threading.Event()
    received = []

    def sink(response, tag):
        received.append((tag, response))
        arrived.set()

    previous = install_sink(sink)
    try:
        request = DataListCls([DataListNode("t", b"abc")])
        assert SyncOnly().wrapperOnceExecAsync({"sid": "s1"}, request, "s1", 0) == 0
        assert arrived.wait(10)
    finally:
        install_sink(previous)
    tag, response = received[0]
    assert tag == "s1" and response.list[0].data == b"ABC"


def test_async_once_delivers_an_error_response_when_the_wrapper_raises():
    from aiges.callback import install_sink

    class Broken(SyncOnly):
        def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
            raise RuntimeError("model not loaded")

    arrived = threading.Event()
    received = []
    previous = install_sink(lambda response, tag: (received.append(response), arrived.set()))
    try:
        Broken().wrapperOnceExecAsync({}, DataListCls(), "s2", 0)
        assert arrived.wait(10)
    finally:
        install_sink(previous)
    assert received[0].error_code == -1


def test_inside_the_c_wrapper_async_results_go_to_aiges_embed_callback(monkeypatch):
    calls = []

    class FakeEmbedded:
        @staticmethod
        def callback(response, usr_tag):
            calls.append(usr_tag)
            return 0

    monkeypatch.setitem(sys.modules, "aiges_embed", FakeEmbedded)
    SyncOnly()._exec_and_deliver({}, DataListCls([DataListNode("t", b"a")]), "tag-9", 0)
    assert calls == ["tag-9"]


def test_pure_python_aiges_embed_exposes_what_wrappers_import():
    for name in (
        "ResponseData",
        "Response",
        "DataListNode",
        "DataListCls",
        "SessionCreateResponse",
        "callback",
        "callback_metric",
        "callback_trace",
    ):
        assert hasattr(embed, name), name
    assert embed.Response().list == []


def test_default_session_methods_report_instead_of_crashing():
    created = SyncOnly().wrapperCreate({}, "sid")
    assert created.handle == "" and created.error_code != 0
    assert SyncOnly().wrapperWrite("h", DataListCls()) != 0
    assert SyncOnly().wrapperRead("h").list == []
