"""A wrapper written against the plugin API, served by ``aiges.serve``: a PluginError raised in any loader
method answers the loader with its declared code (never the -1 / 30003 of an unexpected exception), the
declared message is logged, and typed params refuse what breaks their declaration with ``BAD_PARAM``."""

import json

import fakehost
import pytest
from conftest import text

TRANSPORTS = ["h2", "grpcio"]


@pytest.fixture(params=TRANSPORTS)
def plugin(request, wrapper_dir, spawn):
    started = spawn(wrapper_dir("declared_errors"), AIGES_TRANSPORT=request.param)
    assert started.init({"max_sessions": "1"}) == 0, started.stderr()
    return started


def test_typed_params_arrive_as_the_loader_sends_them(plugin):
    # the loader sends every param as a string, numbers even in Go's %b form (3 = 6755399441055744p-51)
    result = plugin.exec_once("typed", text(b"ab"), {"times": "6755399441055744p-51", "shout": "true", "mode": "json"})
    assert result.ret == 0
    assert json.loads(result.list[0].data) == {"text": "ABABAB", "times": 3}


def test_defaults_apply_when_params_are_absent(plugin):
    result = plugin.exec_once("defaults", text(b"ab"))
    assert result.ret == 0 and result.list[0].data == b"ab"


@pytest.mark.parametrize(
    "params, named",
    [
        ({"times": "9"}, "param 'times': 9 is outside 1..5"),
        ({"times": "2.5"}, "param 'times': '2.5' is not an integer"),
        ({"shout": "maybe"}, "param 'shout': 'maybe' is not a boolean"),
        ({"mode": "yaml"}, "param 'mode': 'yaml' is not one of 'plain', 'json'"),
    ],
)
def test_a_param_breaking_its_declaration_answers_bad_param(plugin, params, named):
    result = plugin.exec_once("bad", text(b"ab"), params)
    assert result.ret == 10001
    assert named in plugin.stderr() and "invalid parameter" in plugin.stderr()
    assert plugin.exec_once("after", text(b"ok")).list[0].data == b"ok"  # and the plugin goes on


def test_a_plugin_error_in_once_answers_its_code(plugin):
    result = plugin.exec_once("empty", [fakehost.node("other", b"x")])
    assert result.ret == 10002
    assert (
        "wrapperOnceExec refused with 10002 (the request carries no input data): no node named text" in plugin.stderr()
    )
    assert "Traceback" not in plugin.stderr()  # an expected refusal, not a crash


def test_session_refusals_come_from_the_session_table(plugin):
    first = plugin.create("s1", {"times": "2"})
    assert first.err_code == 0 and first.handle
    assert plugin.create("s2").err_code == 10003  # max_sessions = 1: BUSY
    assert plugin.write("no-such-handle", text(b"x")) == 10004  # NO_SESSION
    assert plugin.write(first.handle, [fakehost.node("other", b"x")]) == 10002
    assert plugin.write(first.handle, text(b"hi")) == 0
    assert plugin.router.next("s1", 10)[1].list[0].data == b"hihi"
    assert plugin.destroy(first.handle) == 0
    assert plugin.create("s3").err_code == 0  # closing freed the place


def test_a_plugin_error_in_init_is_a_failed_init_with_its_code_logged(wrapper_dir, spawn):
    started = spawn(wrapper_dir("declared_errors"))
    assert started.init({"refuse": "yes"}) == 30002  # the protocol's USER_INIT_ERROR for any non-zero init
    assert "wrapperInit refused with 10005 (invalid init config): refuse=yes was asked for" in started.stderr()
