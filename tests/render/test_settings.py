"""``[tool.aiges]`` settings, the modes derived from wrapper.py, and how values reach the loader."""

import math

import pytest
from aiges.errors import DeclarationError
from aiges.tools.render.aiges_toml import loader_async_mode
from aiges.tools.render.options import KNOWN_KEYS, Settings, load_settings, settings_from_table
from aiges.tools.render.pipeline import locate, render
from aiges.tools.render.values import decode, encode, loader_string

from .consistency import tomllib


def documents(root):
    rendered = {output.path: output.data for output in render(locate(str(root))).outputs}
    return {name: tomllib.loads(rendered[name].decode("utf-8")) for name in ("aiges.toml", "xtest.toml")}


def test_missing_file_or_section_means_defaults(tmp_path):
    assert load_settings(str(tmp_path)) == Settings()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_settings(str(tmp_path)) == Settings()


def test_every_key_is_documented_in_the_module():
    import aiges.tools.render.options as module

    for key in KNOWN_KEYS:
        assert "    %s = " % key in module.__doc__


def test_every_setting_reaches_the_files(project):
    root = project(
        "stream_audio",
        "grpc",
        settings="\n".join(
            [
                'service_section = "asr"',
                "port = 6000",
                'http_listen = "127.0.0.1:8080"',
                'log_level = "debug"',
                'plugin_cmd = "python3 -m aiges.serve -w 4"',
                'header_pass = ["sid", "appid"]',
                "real_time_result = false",
                "fc_max = 40",
                "fc_ttl = 8000",
                "fc_roll = 2000",
                "workers = 4",
                "xtest_timeout = 3000",
                'xtest_appid = "abc"',
                "legacy_schema = true",
                "k8s = false",
                "",
            ]
        ),
    )
    found = documents(root)
    aiges, xtest = found["aiges.toml"], found["xtest.toml"]
    assert aiges["asr"] == {"finder": 0, "host": "0.0.0.0", "port": 6000} and "svcName" not in aiges  # noqa: S104
    assert aiges["wrapper"]["http_listen"] == "127.0.0.1:8080" and aiges["wrapper"]["log.level"] == "debug"
    assert aiges["log"]["level"] == "debug" and xtest["log"]["level"] == "debug"
    assert aiges["aiges"]["pythonPluginCmd"] == "python3 -m aiges.serve -w 4 --workers 4"
    assert aiges["aiges"]["headerPass"] == "sid;appid" and aiges["aiges"]["realTimeRlt"] is False
    assert aiges["fc"]["max"] == aiges["fc"]["best"] == 40
    assert aiges["fc"]["ttl"] == 8000 and aiges["fc"]["roll"] == 2000
    assert xtest["xtest"]["taddrs"] == "AIservice@127.0.0.1:6000"
    assert xtest["svcMode"]["timeout"] == 3000 and xtest["header"] == {"appid": "abc"}
    assert "schema.legacy.json" in [output.path for output in render(locate(str(root))).outputs]


def test_empty_header_pass_is_left_out(project):
    assert "headerPass" not in documents(project("once_text", settings="header_pass = []\n"))["aiges.toml"]["aiges"]


def test_default_admission_is_not_the_loaders_refusing_max_1(project):
    fc = documents(project("once_text"))["aiges.toml"]["fc"]
    assert fc["max"] == fc["best"] == 100 and fc["ttl"] == 10000 and fc["roll"] == 5000


def test_the_plugin_command_names_the_dockerfiles_interpreter_and_the_workers(project):
    assert documents(project("once_text"))["aiges.toml"]["aiges"]["pythonPluginCmd"] == (
        "python3 -c 'from aiges.serve import run; run()'"
    )
    command = documents(project("once_text", settings="workers = 3\n"))["aiges.toml"]["aiges"]["pythonPluginCmd"]
    assert command == "python3 -c 'from aiges.serve import run; run()' --workers 3"


def test_process_workers_reach_the_plugin_command_in_grpc_mode(project):
    both = documents(project("once_text", settings="workers = 4\nprocesses = 2\n"))["aiges.toml"]["aiges"]
    assert both["pythonPluginCmd"] == "python3 -c 'from aiges.serve import run; run()' --workers 4 --processes 2"
    one = documents(project("once_text", settings="processes = 1\n"))["aiges.toml"]["aiges"]
    assert one["pythonPluginCmd"] == "python3 -c 'from aiges.serve import run; run()'"  # in the server's process


def test_process_workers_are_refused_in_cgo_mode_naming_the_file_and_the_key(project):
    with pytest.raises(DeclarationError) as caught:
        render(locate(str(project("once_text", "cgo", settings="processes = 2\n"))))
    message = str(caught.value)
    assert "pyproject.toml" in message and '[tool.aiges] processes needs plugin_mode = "grpc"' in message
    assert "(got 2)" in message


def test_a_session_ttl_that_starves_sessions_is_an_error(project):
    from aiges.errors import DeclarationErrors

    root = project("stream_audio", settings="fc_max = 4\nfc_ttl = 60000\n")
    with pytest.raises(DeclarationErrors) as caught:
        render(locate(str(root)))
    message = str(caught.value)
    assert "pyproject.toml" in message and "admits at most 0.06 new sessions per second" in message
    assert "raise fc_max or lower fc_ttl" in message
    # the same [fc] is fine for a once plugin: its licences come back right after each answer
    assert documents(project("once_text", settings="fc_max = 4\nfc_ttl = 60000\n"))["aiges.toml"]["fc"]["max"] == 4


@pytest.mark.parametrize(
    "table, words",
    [
        ({"plugin_mod": "grpc"}, "unknown key 'plugin_mod'"),
        ({"plugin_mode": "python"}, "plugin_mode must be one of grpc, cgo"),
        ({"port": "5090"}, "port must be an integer"),
        ({"port": True}, "port must be an integer"),
        ({"port": 70000}, "port must be between 1 and 65535"),
        ({"service_section": "aiges"}, "service_section must be a plain name"),
        ({"service_section": "svc name"}, "service_section must be a plain name"),
        ({"http_listen": "1888"}, "http_listen must look like"),
        ({"log_level": "verbose"}, "log_level must be one of debug, info, warn, error"),
        ({"header_pass": "sid"}, "header_pass must be a list"),
        ({"header_pass": ["a;b"]}, "header_pass must be a list of header names"),
        ({"fc_max": 0}, "fc_max must be at least 1"),
        ({"fc_ttl": 0}, "fc_ttl must be a positive number of milliseconds"),
        ({"fc_roll": -5}, "fc_roll must be a positive number of milliseconds"),
        ({"workers": -1}, "workers must be 0 (the server's default) or more"),
        ({"workers": 8, "fc_max": 4}, "workers must not exceed fc_max: the loader must admit at least"),
        ({"processes": 0}, "processes must be 1 (the wrapper runs in the server's process) or more"),
        ({"processes": "2"}, "processes must be an integer"),
        ({"processes": 8, "fc_max": 4}, "processes must not exceed fc_max"),
        ({"processes": 2, "plugin_mode": "cgo"}, 'processes needs plugin_mode = "grpc"'),
        ({"concurrency": 4}, "concurrency is no longer a setting: it set only the loader's admission ([fc].max)"),
        ({"xtest_timeout": -1}, "xtest_timeout must be a positive number"),
        ({"legacy_schema": "yes"}, "legacy_schema must be a boolean"),
    ],
)
def test_bad_settings_are_named(table, words):
    with pytest.raises(DeclarationError) as caught:
        settings_from_table(table, source="pyproject.toml")
    assert str(caught.value).startswith("pyproject.toml: [tool.aiges] ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "fixture, session, asynchronous",
    [
        ("once_text", False, False),  # sync once: the CGO loader calls wrapperOnceExec
        ("once_image", False, False),
        ("all_fields", False, True),  # implements wrapperOnceExecAsync
        ("stream_audio", True, True),  # session results come through the callback
    ],
)
def test_session_and_async_modes_are_derived_from_the_methods(project, fixture, session, asynchronous):
    for mode in ("grpc", "cgo"):
        found = documents(project(fixture, mode))
        assert found["aiges.toml"]["aiges"]["sessMode"] is session
        assert found["aiges.toml"]["aiges"]["asyncMode"] is asynchronous
        assert found["xtest.toml"]["svcMode"]["sessMode"] == int(session)


def test_async_mode_rule():
    class Declared:
        def __init__(self, methods):
            self.methods = frozenset(methods)
            self.is_session = bool({"wrapperCreate", "wrapperWrite"} & self.methods)
            self.is_async = "wrapperOnceExecAsync" in self.methods

    assert loader_async_mode(Declared(["wrapperOnceExec"])) is False
    assert loader_async_mode(Declared(["wrapperOnceExec", "wrapperOnceExecAsync"])) is True
    assert loader_async_mode(Declared(["wrapperCreate", "wrapperWrite", "wrapperRead"])) is True


def test_audio_in_a_session_is_sent_in_40ms_frames(project):
    audio = documents(project("stream_audio"))["xtest.toml"]["payload_audio"]
    assert (audio["sliceOn"], audio["sliceSize"], audio["interval"]) == (1, 16000 * 2 * 40 // 1000, 40)
    once = documents(project("all_fields"))["xtest.toml"]["payload_tone"]
    assert (once["sliceOn"], once["sliceSize"]) == (0, 8000 * 2 * 1 * 40 // 1000)


@pytest.mark.parametrize(
    "value, text",
    [
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (-3, "-3"),
        (3.0, "3"),
        (0.5, "0.5"),
        (-0.25, "-0.25"),
        (1e-7, "0.0000001"),
        (2.0**70, "1180591620717411300000"),
        (1e21, "1000000000000000000000"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
        ("中文", "中文"),
        ("", ""),
    ],
)
def test_config_values_are_the_strings_the_loader_passes(value, text):
    assert loader_string(value) == text  # Go strconv: FormatBool, Itoa, FormatFloat(v, 'f', -1, 64)


def test_config_reaches_the_wrapper_section_as_strings(project):
    wrapper = documents(project("all_fields"))["aiges.toml"]["wrapper"]
    assert wrapper == {
        "http_listen": "0.0.0.0:1888",
        "log.level": "info",
        "big": "1180591620717411300000",
        "name": "every_field",
        "negative": "-3",
        "on": "true",
        "path": "/a b/c",
        "ratio": "0.0000001",
    }


@pytest.mark.parametrize(
    "value",
    [
        b"\x00\xffbytes",
        ("a", 1),
        {"k": [1, {"n": None}]},
        {1: "int key"},
        {"a", "b"},
        [1.5, True, None, "x"],
        float("inf"),
    ],
)
def test_import_fallback_transport_keeps_values(value):
    import json

    assert decode(json.loads(json.dumps(encode(value)))) == value
