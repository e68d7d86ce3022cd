"""Properties over random wrappers: valid declarations always render consistent files; invalid ones
never change a file on disk.

Each example writes a complete wrapper.py (every field class, random bounds, enums, defaults,
samples, init config, once or session, sync or async) into a fresh project and renders it.
"""

import argparse
import contextlib
import io
import keyword
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Tuple

from aiges.tools.render.commands import RENDER
from aiges.tools.render.pipeline import locate, render
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .consistency import assert_consistent
from .support import snapshot

KEY = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
# the template's service_id rule (helpers/rules.py), which render applies too
SERVICE_ID = st.from_regex(r"[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,3}){0,2}", fullmatch=True).filter(
    lambda value: not keyword.iskeyword(value)
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SCALAR = st.one_of(
    TEXT, st.integers(-(10**6), 10**6), st.booleans(), st.floats(allow_nan=False, allow_infinity=False, width=64)
)
PROPERTIES = settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
Call = Tuple[str, Dict[str, Any]]  # (field class, constructor arguments)


@st.composite
def string_param(draw, key: str) -> Call:
    low = draw(st.integers(0, 3))
    high = draw(st.integers(max(low, 1), 30))
    required = draw(st.booleans())
    within = st.text(st.characters(blacklist_categories=("Cs",)), min_size=max(low, int(required)), max_size=high)
    kwargs: Dict[str, Any] = {"key": key, "minLength": low, "maxLength": high, "required": required}
    if draw(st.booleans()):
        kwargs["enums"] = draw(st.lists(within, min_size=1, max_size=4, unique=True))
        kwargs["value"] = draw(st.sampled_from(kwargs["enums"]))
    else:
        kwargs["value"] = draw(within)
    return "StringParamField", kwargs


@st.composite
def numeric_param(draw, key: str) -> Call:
    integer = draw(st.booleans())
    if integer:
        low = draw(st.integers(-(10**6), 10**6))
        high = draw(st.integers(low, low + 10**6))
        inside = st.integers(low, high)
    else:
        low = draw(st.floats(-1e6, 1e6))
        high = draw(st.floats(low, low + 1e6))
        inside = st.floats(low, high)
    kwargs: Dict[str, Any] = {
        "key": key,
        "minimum": low,
        "maximum": high,
        "value": draw(inside),
        "required": draw(st.booleans()),
    }
    if draw(st.booleans()):
        kwargs["enums"] = sorted({kwargs["value"], *draw(st.lists(inside, max_size=3))})
    return ("IntegerParamField" if integer else "NumberParamField"), kwargs


@st.composite
def param(draw, key: str) -> Call:
    kind = draw(st.sampled_from(["string", "numeric", "boolean"]))
    if kind == "boolean":
        return "BooleanParamField", {"key": key, "default": draw(st.booleans()), "title": draw(TEXT)}
    return draw(string_param(key) if kind == "string" else numeric_param(key))


@st.composite
def body(draw, key: str, as_input: bool) -> Call:
    kind = draw(
        st.sampled_from(["StringBodyField", "JsonBodyField", "ImageBodyField", "AudioBodyField", "VideoBodyField"])
    )
    kwargs: Dict[str, Any] = {"key": key, "description": draw(TEXT)}
    if kind == "StringBodyField":
        kwargs.update(encoding=draw(st.sampled_from(["utf8", "gbk"])), compress=draw(st.sampled_from(["raw", "gzip"])))
        if as_input:
            kwargs["value"] = draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30))
    elif kind == "JsonBodyField" and as_input:
        kwargs["value"] = draw(st.dictionaries(KEY, st.integers(), max_size=3))
    elif kind == "ImageBodyField":
        kwargs["encoding"] = draw(st.lists(st.sampled_from(["png", "jpg", "bmp"]), min_size=1, unique=True))
    elif kind == "AudioBodyField":
        kwargs.update(
            sample_rate=draw(st.sampled_from([8000, 16000, 48000])),
            channels=draw(st.integers(1, 2)),
            bit_depth=draw(st.sampled_from([8, 16])),
        )
    elif kind == "VideoBodyField":
        kwargs["frame_rate"] = draw(st.integers(1, 60))
    if as_input and kind in ("ImageBodyField", "AudioBodyField", "VideoBodyField"):
        kwargs["path"] = "test_data/%s.bin" % key
    return kind, kwargs


@st.composite
def declarations(draw) -> Dict[str, Any]:
    request_keys = draw(st.lists(KEY, min_size=1, max_size=7, unique=True))
    inputs = draw(st.integers(1, len(request_keys)))
    input_keys, param_keys = request_keys[:inputs], request_keys[inputs:]
    accept_keys = draw(st.lists(KEY.filter(lambda key: key not in param_keys), min_size=1, max_size=3, unique=True))
    return {
        "service_id": draw(SERVICE_ID),
        "version": draw(st.from_regex(r"v[0-9]{1,2}(\.[0-9])?", fullmatch=True)),
        "params": [draw(param(key)) for key in param_keys],
        "inputs": [draw(body(key, as_input=True)) for key in input_keys],
        "accepts": [draw(body(key, as_input=False)) for key in accept_keys],
        "config": draw(st.dictionaries(KEY.filter(lambda key: key != "http_listen"), SCALAR, max_size=4)),
        "session": draw(st.booleans()),
        "async": draw(st.booleans()),
        "plugin_mode": draw(st.sampled_from(["grpc", "cgo"])),
        "samples": {key: draw(st.binary(min_size=1, max_size=64)) for key in input_keys},
    }


def wrapper_source(model: Dict[str, Any], extra_request: List[str] = ()) -> str:
    def call(cls: str, kwargs: Dict[str, Any]) -> str:
        return "%s(%s)" % (cls, ", ".join("%s=%r" % item for item in kwargs.items()))

    lines = ["from aiges.sdk import *", "", "", "class UserRequest:"]
    lines += ["    f%d = %s" % (index, call(*item)) for index, item in enumerate(model["params"] + model["inputs"])]
    lines += ["    " + line for line in extra_request]
    lines += ["", "", "class UserResponse:"]
    lines += ["    accept%d = %s" % (index, call(*item)) for index, item in enumerate(model["accepts"])]
    lines += [
        "",
        "",
        "class Wrapper(WrapperBase):",
        "    serviceId = %r" % model["service_id"],
        "    version = %r" % model["version"],
        "    config = %r" % model["config"],
        "    requestCls = UserRequest()",
        "    responseCls = UserResponse()",
        "",
        "    def wrapperOnceExec(self, params, reqData, usrTag='', persId=0):",
        "        return None",
    ]
    if model["session"]:
        lines += [
            "",
            "    def wrapperCreate(self, params, sid, persId=0):",
            "        return 'handle'",
            "",
            "    def wrapperWrite(self, handle, req, sid=''):",
            "        return 0",
        ]
    if model["async"]:
        lines += ["", "    def wrapperOnceExecAsync(self, params, reqData, usrTag='', persId=0):", "        return 0"]
    return "\n".join(lines) + "\n"


def write_project(root: Path, model: Dict[str, Any], extra_request: List[str] = ()) -> Path:
    (root / "wrapper" / "test_data").mkdir(parents=True, exist_ok=True)
    for key, data in model["samples"].items():
        (root / "wrapper" / "test_data" / ("%s.bin" % key)).write_bytes(data)
    (root / "wrapper" / "wrapper.py").write_text(wrapper_source(model, extra_request), encoding="utf-8")
    (root / "pyproject.toml").write_text('[tool.aiges]\nplugin_mode = "%s"\n' % model["plugin_mode"], encoding="utf-8")
    return root


def run_render_cli(root: Path) -> Tuple[int, str]:
    parser = argparse.ArgumentParser()
    RENDER.configure(parser)
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = RENDER.main(parser.parse_args(["--project", str(root), "--quiet"]))
    return status, errors.getvalue()


@PROPERTIES
@given(declarations())
def test_valid_declarations_always_render_valid_consistent_files(model):
    with tempfile.TemporaryDirectory() as folder:
        root = write_project(Path(folder), model)
        assert run_render_cli(root) == (0, "")
        assert render(locate(str(root))).reading.how == "static"
        assert_consistent(root, plugin_mode=model["plugin_mode"])
        assert run_render_cli(root) == (0, "")  # idempotent


BREAKAGES = {
    "enum_excludes_default": ["broken = StringParamField(key='zz_broken', enums=['a', 'b'], value='c')"],
    "duplicate_key": ["broken = StringParamField(key=%(input)r)"],
    "missing_sample": ["broken = ImageBodyField(key='zz_broken', path='test_data/none.png')"],
    "unknown_field_class": ["broken = FooBodyField(key='zz_broken')"],
    "syntax_error": ["broken = StringParamField(key='zz_broken'"],
    "wrong_value_type": ["broken = IntegerParamField(key='zz_broken', value='three')"],
    "value_outside_bounds": ["broken = NumberParamField(key='zz_broken', minimum=0, maximum=1, value=2)"],
}


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(declarations(), st.sampled_from(sorted(BREAKAGES)))
def test_invalid_declarations_never_change_a_file(model, breakage):
    with tempfile.TemporaryDirectory() as folder:
        root = write_project(Path(folder), model)
        assert run_render_cli(root)[0] == 0
        extra = [line % {"input": model["inputs"][0][1]["key"]} for line in BREAKAGES[breakage]]
        write_project(root, model, extra)
        before = snapshot(root)
        status, errors = run_render_cli(root)
        assert status == 1 and "no file was written" in errors
        assert [line for line in errors.splitlines() if line.startswith("error: ")]
        assert snapshot(root) == before
        assert not [name for name in os.listdir(str(root)) if name.endswith(".tmp")]


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(declarations())
def test_static_and_import_readers_render_identical_bytes(model):
    with tempfile.TemporaryDirectory() as folder:
        root = write_project(Path(folder), model)
        static = render(locate(str(root)))
        imported = render(locate(str(root)), force_import=True)
        assert (static.reading.how, imported.reading.how) == ("static", "import")
        assert static.outputs == imported.outputs
