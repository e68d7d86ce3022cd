"""The plugin API that spares every wrapper its plumbing: errors declared once, typed params, response
builders, a session table. Vendor-style code keeps working; these are additions."""

import logging
import subprocess
import sys
import textwrap

import pytest
from aiges.core.types import DataAudio, DataBegin, DataImage, DataOnce, DataText
from aiges.dto import DataListCls
from aiges.fields import to_wire_string
from aiges.sdk import (
    BooleanParamField,
    ErrorCodes,
    IntegerParamField,
    NumberParamField,
    ParamError,
    PluginError,
    SessionTable,
    StringBodyField,
    StringParamField,
    WrapperBase,
    audio_response,
    image_response,
    json_response,
    read_params,
    text_response,
)
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import runtime_env

from .test_localrun import run


class Errors(ErrorCodes):
    BAD_PARAM = 10001, "invalid parameter"
    NO_INPUT = 10002, "the request carries no input data"
    BUSY = 10003, "too many open sessions"
    NO_SESSION = 10004, "unknown session handle"


class UserRequest:
    top = IntegerParamField(key="top", minimum=1, maximum=50, value=5)
    ratio = NumberParamField(key="ratio", minimum=0.0, maximum=1.0, value=0.5)
    mode = StringParamField(key="mode", enums=["upper", "lower"], value="upper")
    name = StringParamField(key="name", minLength=2, maxLength=4, value="abc")
    strict = BooleanParamField(key="strict", value=True)
    text = StringBodyField(key="text", value=b"hi")


class UserResponse:
    accept_result = StringBodyField(key="result")


class Refusing(WrapperBase):
    serviceId = "refusing"
    requestCls = UserRequest()
    responseCls = UserResponse()
    errors = Errors

    def wrapperInit(self, config):
        raise PluginError(Errors.BAD_PARAM, "init")

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        raise PluginError(Errors.NO_INPUT, "nothing")

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        raise PluginError(Errors.BUSY)

    def wrapperWrite(self, handle, req, sid=""):
        raise PluginError(Errors.NO_SESSION, "handle %s" % handle)

    def wrapperRead(self, handle, sid=""):
        raise PluginError(Errors.NO_SESSION)

    def wrapperDestroy(self, handle):
        raise PluginError(4711)

    def wrapperFini(self):
        raise PluginError(Errors.BUSY)


# --- errors declared once ------------------------------------------------------------------------------


def test_an_error_table_member_is_its_code_and_carries_its_message():
    assert Errors.NO_INPUT == 10002 and Errors(10002) is Errors.NO_INPUT
    assert Errors.NO_INPUT.message == "the request carries no input data"
    assert str(Errors.BAD_PARAM) == "10001 invalid parameter"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.text = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.text += record.getMessage() + "\n"


def test_a_plugin_error_answers_with_the_shape_of_the_method_that_raised_it():
    # called directly, as the loader's C wrapper calls them: no server in between to catch anything
    from aiges.utils.log import log

    wrapper = Refusing()
    caplog = Lines()
    log.addHandler(caplog)
    assert wrapper.wrapperInit({}) == 10001
    assert wrapper.wrapperOnceExec({}, DataListCls([])).error_code == 10002
    created = wrapper.wrapperCreate({}, "sid")
    assert (created.handle, created.error_code) == ("", 10003)
    assert wrapper.wrapperWrite("h1", DataListCls([])) == 10004
    assert wrapper.wrapperRead("h1").error_code == 10004
    assert wrapper.wrapperDestroy("h1") == 4711
    assert wrapper.wrapperFini() == 10003
    assert "wrapperWrite refused with 10004 (unknown session handle): handle h1" in caplog.text
    assert "wrapperDestroy refused with 4711" in caplog.text
    log.removeHandler(caplog)


def test_wrapper_error_answers_from_the_declaration():
    assert Refusing().wrapperError(10002) == "the request carries no input data"
    assert Refusing().wrapperError(99) == "wrapper error 99"
    assert WrapperBase().wrapperError(30005) == "invalid parameter"  # the runtime's own default code


def test_the_guard_keeps_the_users_signature_for_the_hosts_flexible_calls():
    import inspect

    assert list(inspect.signature(Refusing.wrapperOnceExec).parameters) == [
        "self",
        "params",
        "reqData",
        "usrTag",
        "persId",
    ]
    assert Refusing.wrapperOnceExec.__name__ == "wrapperOnceExec"


def test_other_exceptions_are_not_swallowed_by_the_guard():
    class Crashing(WrapperBase):
        def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Crashing().wrapperOnceExec({}, DataListCls([]))


# --- typed params --------------------------------------------------------------------------------------


def test_params_are_parsed_from_the_loaders_strings_and_defaulted():
    options = read_params(
        UserRequest(), {"top": "6755399441055744p-50", "ratio": "0.25", "strict": "false", "sid": "x"}, Errors
    )
    assert (options.top, options.ratio, options.strict, options.mode, options.name) == (6, 0.25, False, "upper", "abc")
    assert options["top"] == 6 and dict(options)["mode"] == "upper"
    assert "sid" not in options  # only declared params
    assert repr(options).startswith("Params(top=6, ratio=0.25")
    with pytest.raises(AttributeError):
        options.top = 3


@pytest.mark.parametrize(
    "params, message",
    [
        ({"top": "51"}, "param 'top': 51 is outside 1..50"),
        ({"top": "2.5"}, "param 'top': '2.5' is not an integer"),
        ({"top": "many"}, "param 'top': 'many' is not a number"),
        ({"ratio": "NaN"}, "param 'ratio': 'NaN' is not a finite number"),
        ({"mode": "title"}, "param 'mode': 'title' is not one of 'upper', 'lower'"),
        ({"name": "a"}, "param 'name': length 1 is outside 2..4"),
        ({"strict": "maybe"}, "param 'strict': 'maybe' is not a boolean (true or false)"),
    ],
)
def test_a_param_breaking_its_declaration_is_a_param_error_naming_it(params, message):
    with pytest.raises(ParamError) as refused:
        read_params(UserRequest(), params, Errors)
    assert refused.value.code == 10001 and refused.value.detail == message


def test_without_an_error_table_the_runtime_code_for_bad_params_is_used():
    with pytest.raises(ParamError) as refused:
        read_params(UserRequest(), {"top": "0"})
    assert refused.value.code == 30005


def test_a_secret_looking_param_is_not_echoed_in_the_refusal():
    class Secret:
        api_key = StringParamField(key="api_key", enums=["on-file"], value="on-file")
        length = StringParamField(key="token", minLength=8, maxLength=64, value="12345678")

    for params in ({"api_key": "sk-123"}, {"token": "sk-123"}):
        with pytest.raises(ParamError) as refused:
            read_params(Secret(), params)
        assert "sk-123" not in str(refused.value)
    with pytest.raises(ParamError, match="not shown"):
        read_params(Secret(), {"api_key": "sk-123"})


def test_a_required_param_must_be_given():
    class Needs:
        lang = StringParamField(key="lang", required=True, value="")

    with pytest.raises(ParamError, match="param 'lang': is required"):
        read_params(Needs(), {"lang": ""})


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_an_integer_round_trips_through_every_wire_form(number):
    class Request:
        n = IntegerParamField(key="n", minimum=-(10**6), maximum=10**6, value=0)

    go_binary = "%dp%d" % (number * 2**20, -20)  # the form of Go's FormatFloat(f, 'b', ...)
    for wire in (to_wire_string(number), go_binary):
        assert read_params(Request(), {"n": wire}).n == number


@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_a_number_round_trips_through_its_wire_string(number):
    assert read_params(UserRequest(), {"ratio": to_wire_string(number)}).ratio == number


def test_boolean_fields_take_value_and_default_alike_but_not_both():
    assert BooleanParamField(key="a", value=True).test_value is True
    assert BooleanParamField(key="a", default=True).test_value is True
    assert BooleanParamField(key="a").test_value is False
    assert BooleanParamField(key="a", value=False, default=True).problems() == [
        "value=False and default=True disagree: give one of them"
    ]


def test_the_wrapper_reads_its_own_declarations():
    class Reading(WrapperBase):
        requestCls = UserRequest()
        errors = Errors

    assert Reading().read_params({"top": "7"}).top == 7


# --- response builders ---------------------------------------------------------------------------------


def test_builders_make_one_node_of_bytes_with_the_assigned_list():
    response = json_response(UserResponse.accept_result, {"词": 1}, status=DataBegin)
    (node,) = response.list
    assert (node.key, node.type, node.status) == ("result", DataText, DataBegin)
    assert node.data == '{"词": 1}'.encode() and node.len == len(node.data)
    assert text_response("t", "hé").list[0].data == "hé".encode()
    assert image_response("img", bytearray(b"\x89PNG")).list[0].type == DataImage
    assert audio_response("pcm", memoryview(b"\x00\x01")).list[0].data == b"\x00\x01"
    assert text_response("t", "x").list[0].status == DataOnce and audio_response("a", b"").list[0].type == DataAudio
    with pytest.raises(TypeError, match="must be bytes"):
        image_response("img", "not bytes")


def test_inside_the_c_wrapper_the_builders_and_the_sdk_use_aiges_embeds_classes(tmp_path):
    # a stand-in for the module libwrapper.so embeds: its own classes, which the C wrapper insists on
    (tmp_path / "aiges_embed.py").write_text(
        textwrap.dedent("""
        class ResponseData:
            def setData(self, data): self.data = data; self.len = len(data)
            def setDataType(self, kind): self.type = kind
        class Response:
            def __init__(self, code=0): self.list = []; self.error_code = code
            def response_err(self, code): return Response(code)
        class SessionCreateResponse:
            pass
        def callback(response, tag): return 0
    """)
    )
    script = textwrap.dedent("""
        import aiges_embed
        from aiges.sdk import Response, SessionCreateResponse, json_response, WrapperBase, PluginError
        assert Response is aiges_embed.Response and SessionCreateResponse is aiges_embed.SessionCreateResponse
        built = json_response("k", [1])
        assert type(built) is aiges_embed.Response and type(built.list[0]) is aiges_embed.ResponseData
        class W(WrapperBase):
            def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
                raise PluginError(7)
            def wrapperCreate(self, params, sid, persId=0, usrTag=""):
                raise PluginError(8)
        refused, created = W().wrapperOnceExec({}, None), W().wrapperCreate({}, "s")
        assert type(refused) is aiges_embed.Response and refused.error_code == 7
        assert type(created) is aiges_embed.SessionCreateResponse and created.error_code == 8
        print("embedded classes used")
    """)
    env = runtime_env()
    env["PYTHONPATH"] = str(tmp_path) + ":" + env["PYTHONPATH"]
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "embedded classes used"


# --- the session table ---------------------------------------------------------------------------------


def test_the_session_table_opens_finds_and_closes_with_the_plugins_codes():
    table = SessionTable(limit=1, errors=Errors)
    handle = table.open({"n": 1})
    assert table.get(handle) == {"n": 1} and handle in table and len(table) == 1
    with pytest.raises(PluginError) as full:
        table.open({})
    assert full.value.code == 10003
    assert table.close(handle) == {"n": 1} and table.close(handle) is None  # idempotent
    with pytest.raises(PluginError) as unknown:
        table.get(handle)
    assert unknown.value.code == 10004
    table.open(2)
    table.clear()
    assert len(table) == 0


def test_without_an_error_table_the_session_table_uses_the_runtime_codes():
    table = SessionTable(limit=1)
    table.open(None)
    with pytest.raises(PluginError) as full:
        table.open(None)
    assert full.value.code == 30006
    with pytest.raises(PluginError) as unknown:
        table.get("nope")
    assert unknown.value.code == 30007


def test_the_session_table_is_safe_under_concurrent_opens():
    import threading

    table = SessionTable(limit=50)
    handles, refused = [], []

    def open_some():
        for _ in range(20):
            try:
                handles.append(table.open(object()))
            except PluginError:
                refused.append(1)

    threads = [threading.Thread(target=open_some) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(handles) == 50 and len(set(handles)) == 50 and len(refused) == 50


# --- the local run ---------------------------------------------------------------------------------------


WRAPPER = """
from aiges.sdk import ErrorCodes, IntegerParamField, PluginError, StringBodyField, WrapperBase, text_response


class Errors(ErrorCodes):
    BAD_PARAM = 10001, "invalid parameter"
    TOO_MANY = 10009, "too many repeats"


class UserRequest:
    times = IntegerParamField(key="times", minimum=1, maximum=9, value=1)
    text = StringBodyField(key="text", value=b"hi")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "api"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()
    errors = Errors

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        options = self.read_params(params)
        if options.times > 3:
            raise PluginError(Errors.TOO_MANY, "asked for %d" % options.times)
        return text_response("out", bytes(reqData.get("text").data).decode() * options.times)
"""


@pytest.fixture
def api_project(tmp_path):
    (tmp_path / "wrapper.py").write_text(WRAPPER)
    return tmp_path


def test_the_local_run_reports_the_declared_code_and_message(api_project):
    assert run(api_project, "--param", "times=2").returncode == 0
    refused = run(api_project, "--param", "times=5")
    assert refused.returncode != 0
    assert "10009" in refused.stderr + refused.stdout and "too many repeats" in refused.stderr + refused.stdout
    bad = run(api_project, "--param", "times=x")
    assert "10001" in bad.stderr + bad.stdout and "param 'times'" in bad.stderr + bad.stdout


@pytest.mark.parametrize(
    "option, given, closest", [("--param", "tmes=2", "times"), ("--input", "txt=/dev/null", "text")]
)
def test_an_undeclared_name_on_the_command_line_names_the_closest_declared_one(api_project, option, given, closest):
    result = run(api_project, option, given)
    assert result.returncode == 2
    assert "(did you mean %r?)" % closest in result.stderr
    assert "Traceback" not in result.stderr


def test_the_closest_name_is_only_offered_when_one_is_close(api_project):
    result = run(api_project, "--param", "zzzzzz=1")
    assert result.returncode == 2 and "did you mean" not in result.stderr and "declared: times" in result.stderr
