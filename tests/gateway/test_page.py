"""The page at ``/`` is built from the schema document (schema.json), and the command warns when schema.json is
missing, invalid or stale (then the page follows the schema of the wrapper being served)."""

import json
import subprocess
import sys
import textwrap
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from aiges.declarations import Declarations, from_wrapper_class
from aiges.schema import gateway_schema
from aiges.schema.gateway import sample_request
from aiges.tools.gateway import page

from tests.conftest import runtime_env
from tests.gateway.conftest import ONCE_WRAPPER, start_gateway, stop_gateway

TYPED_WRAPPER = """
from aiges.dto import Response, ResponseData
from aiges.sdk import (BooleanParamField, ImageBodyField, IntegerParamField, NumberParamField, StringBodyField,
                       StringParamField, WrapperBase)

class Req:
    voice = StringParamField(key="voice", value="ben", enums=["anna", "ben"], description="who speaks")
    name = StringParamField(key="name", value="ada", maxLength=16, title="Name", description="up to 16 letters")
    speed = IntegerParamField(key="speed", value=5, minimum=1, maximum=9, description="how fast")
    level = IntegerParamField(key="level", value=2, minimum=1, maximum=3, enums=[1, 2, 3])
    gain = NumberParamField(key="gain", value=0.5, minimum=0, maximum=2.5)
    loud = BooleanParamField(key="loud", default=True, description="shout it")
    quiet = BooleanParamField(key="quiet")
    t = StringBodyField(key="t", value=b"sample text", description="what to say")
    picture = ImageBodyField(key="picture", path="PICTURE", encoding="png")

class Resp:
    out = StringBodyField(key="out")

class Wrapper(WrapperBase):
    serviceId = "gw_typed"
    version = "v3"
    requestCls = Req()
    responseCls = Resp()

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        return Response(list=[ResponseData("out", b"{}")])
"""


class Elements(HTMLParser):
    """Every element with an id (its tag and attributes), the options of each select, and the text of hints."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: Dict[str, Tuple[str, Dict[str, Optional[str]]]] = {}
        self.options: Dict[str, List[Tuple[str, bool]]] = {}
        self.text: Dict[str, str] = {}
        self.select: Optional[str] = None
        self.open: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.by_id[attributes["id"] or ""] = (tag, attributes)
            self.text[attributes["id"] or ""] = ""
            if tag not in ("input",):
                self.open.append(attributes["id"] or "")
        if tag == "select":
            self.select = attributes.get("id")
            self.options[self.select or ""] = []
        if tag == "option" and self.select:
            self.options[self.select].append((attributes.get("value") or "", "selected" in attributes))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        if self.open and self.by_id[self.open[-1]][0] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for element in self.open:
            self.text[element] += data


def parse(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    return elements


def typed_declarations(tmp_path: Path) -> Declarations:
    picture = tmp_path / "sample.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    namespace: Dict[str, Any] = {}
    exec(TYPED_WRAPPER.replace("PICTURE", str(picture)), namespace)  # noqa: S102 - the test's own wrapper
    return from_wrapper_class(namespace["Wrapper"]).validate(check_samples=True)


def rendered(schema: Dict[str, Any], declarations: Declarations) -> Elements:
    return parse(page.render(schema, declarations.meta.route, False, sample_request(declarations)))


def test_each_param_type_gets_the_control_its_schema_property_describes(tmp_path):
    declarations = typed_declarations(tmp_path)
    elements = rendered(gateway_schema(declarations), declarations)
    assert elements.by_id["param-voice"][0] == "select"
    assert elements.options["param-voice"] == [("anna", False), ("ben", True)]  # enum options, defaultVal selected
    assert elements.options["param-level"] == [("1", False), ("2", True), ("3", False)]
    assert elements.by_id["param-level"][1]["data-kind"] == "integer"
    name = elements.by_id["param-name"][1]
    assert (name["type"], name["maxlength"], name["value"]) == ("text", "16", "ada")
    speed = elements.by_id["param-speed"][1]
    assert (speed["type"], speed["min"], speed["max"], speed["step"], speed["value"]) == ("number", "1", "9", "1", "5")
    gain = elements.by_id["param-gain"][1]
    assert (gain["min"], gain["max"], gain["step"], gain["value"], gain["data-kind"]) == (
        "0",
        "2.5",
        "any",
        "0.5",
        "number",
    )
    assert elements.by_id["param-loud"][1]["type"] == "checkbox" and "checked" in elements.by_id["param-loud"][1]
    assert "checked" not in elements.by_id["param-quiet"][1]
    assert elements.text["hint-param-voice"] == "who speaks"  # descriptions as hints
    assert elements.text["hint-param-speed"] == "how fast" and elements.text["hint-param-loud"] == "shout it"
    assert elements.text["hint-param-name"] == "up to 16 letters"
    assert "hint-param-gain" not in elements.by_id  # no description, no hint
    assert elements.by_id["input-t"][0] == "textarea" and elements.text["input-t"] == "sample text"
    assert elements.text["hint-input-t"] == "what to say"
    assert elements.by_id["input-picture"][1]["type"] == "file"
    assert elements.by_id["input-picture"][1]["accept"] == "image/*"
    assert "param-out" not in elements.by_id  # outputs are not params: the request names them
    assert elements.by_id["param-voice"][1]["data-param"] == "voice"


def test_the_page_follows_the_document_it_is_given_not_the_declarations(tmp_path):
    declarations = typed_declarations(tmp_path)
    schema = gateway_schema(declarations)
    section = schema["schemainput"]["properties"]["parameter"]["properties"]["gw_typed"]["properties"]
    section["speed"].update(maximum=7, defaultVal=6, description="edited")
    section["voice"]["enum"].append("cleo")
    section["name"]["maxLength"] = 4
    schema["meta"]["gw_typed"]["input"]["t"]["dataType"] = "audio"
    elements = rendered(schema, declarations)
    assert elements.by_id["param-speed"][1]["max"] == "7" and elements.by_id["param-speed"][1]["value"] == "6"
    assert elements.text["hint-param-speed"] == "edited"
    assert [value for value, _ in elements.options["param-voice"]] == ["anna", "ben", "cleo"]
    assert elements.by_id["param-name"][1]["maxlength"] == "4"
    assert elements.by_id["input-t"][1]["accept"] == "audio/*"


def test_an_enum_without_a_default_starts_unset_so_the_request_leaves_it_out(tmp_path):
    """Preselecting the first option would send a value the person never chose; the empty one sends none."""
    declarations = typed_declarations(tmp_path)
    schema = gateway_schema(declarations)
    section = schema["schemainput"]["properties"]["parameter"]["properties"]["gw_typed"]["properties"]
    del section["voice"]["defaultVal"]
    elements = rendered(schema, declarations)
    assert elements.options["param-voice"] == [("", True), ("anna", False), ("ben", False)]
    assert elements.options["param-level"] == [("1", False), ("2", True), ("3", False)]  # a default: no empty option


def test_the_outputs_are_named_in_the_requests_parameter_section(tmp_path):
    declarations = typed_declarations(tmp_path)
    html = page.render(gateway_schema(declarations), declarations.meta.route, False, sample_request(declarations))
    config = json.loads(html.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["outputs"] == {"out": {"encoding": "utf8", "data_type": "text", "compress": "raw", "format": "plain"}}
    assert config["serviceId"] == "gw_typed" and 'data-output-name="out"' in html


def test_a_schema_json_equal_to_the_fresh_one_is_used_without_a_warning(tmp_path):
    declarations = typed_declarations(tmp_path)
    fresh = gateway_schema(declarations)
    (tmp_path / "schema.json").write_text(json.dumps(fresh, indent=4))
    assert page.page_schema(str(tmp_path), fresh) == (fresh, None)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "schema.json is missing"),
        ('{\n  "meta": {\n    "serviceId": ,\n', "schema.json is not valid JSON (line 3: "),
        ('{"meta": {}}', "schema.json is stale"),
    ],
)
def test_a_missing_invalid_or_stale_schema_json_gives_the_fresh_one_and_a_warning(tmp_path, content, expected):
    declarations = typed_declarations(tmp_path)
    fresh = gateway_schema(declarations)
    if content is not None:
        (tmp_path / "schema.json").write_text(content)
    schema, warning = page.page_schema(str(tmp_path), fresh)
    assert schema == fresh
    assert warning is not None and expected in warning and "`python -m aiges render`" in warning
    assert str(tmp_path / "schema.json") in warning  # below another directory: the full path


def _render(folder: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "aiges", "render", "--quiet"],
        cwd=str(folder),
        env=runtime_env(),
        check=True,
        capture_output=True,
        text=True,
    )


def _page_and_stderr(folder: Path) -> Tuple[Elements, List[str]]:
    gateway = start_gateway(folder)
    try:
        with urllib.request.urlopen(gateway.base + "/", timeout=30) as response:  # noqa: S310 - loopback
            html = response.read().decode()
    finally:
        stderr = stop_gateway(gateway)
    return parse(html), [line for line in stderr.splitlines() if "schema.json" in line]


def test_the_gateway_warns_about_a_stale_schema_json_and_serves_the_fresh_schema(tmp_path):
    (tmp_path / "wrapper.py").write_text(textwrap.dedent(ONCE_WRAPPER))
    _render(tmp_path)
    elements, warnings = _page_and_stderr(tmp_path)
    assert warnings == [] and elements.by_id["param-n"][1]["max"] == "10"  # schema.json up to date: no warning
    schema_file = tmp_path / "schema.json"
    schema = json.loads(schema_file.read_text())
    schema["schemainput"]["properties"]["parameter"]["properties"]["gw_once"]["properties"]["n"]["maximum"] = 99
    schema_file.write_text(json.dumps(schema, indent=4))  # edited by hand: not what the wrapper accepts
    (tmp_path / "wrapper.py").write_text(
        textwrap.dedent(ONCE_WRAPPER).replace('"echo", "raise"]', '"echo", "raise", "shout"]')
    )
    elements, warnings = _page_and_stderr(tmp_path)
    assert warnings == [
        "python -m aiges gateway: warning: schema.json is stale (it differs from the schema of the "
        "wrapper being served); the page follows the current declarations instead; run "
        "`python -m aiges render` to update it"
    ]
    assert elements.by_id["param-n"][1]["max"] == "10"  # the fresh schema, not the edited file
    assert [value for value, _ in elements.options["param-mode"]] == ["echo", "raise", "shout"]
    _render(tmp_path)
    assert _page_and_stderr(tmp_path)[1] == []


def test_the_gateway_warns_about_a_missing_schema_json(tmp_path):
    (tmp_path / "wrapper.py").write_text(textwrap.dedent(ONCE_WRAPPER))
    elements, warnings = _page_and_stderr(tmp_path)
    assert warnings == [
        "python -m aiges gateway: warning: schema.json is missing; the page follows the current "
        "declarations instead; run `python -m aiges render` to write it"
    ]
    assert elements.options["param-mode"] == [("echo", True), ("raise", False)]


def test_the_gateway_names_the_line_of_a_schema_json_that_is_not_json(tmp_path):
    (tmp_path / "wrapper.py").write_text(textwrap.dedent(ONCE_WRAPPER))
    (tmp_path / "schema.json").write_text('{\n    "meta": {\n        "serviceId": "gw_once",,\n')
    elements, warnings = _page_and_stderr(tmp_path)
    assert len(warnings) == 1
    assert warnings[0].startswith("python -m aiges gateway: warning: schema.json is not valid JSON (line 3: ")
    assert warnings[0].endswith("run `python -m aiges render` to rewrite it")
    assert elements.by_id["param-n"][1]["max"] == "10"
