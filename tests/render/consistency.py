"""The rules that tie schema.json, aiges.toml and xtest.toml together, checked on files on disk."""

import json
import re
from pathlib import Path
from typing import Any, Dict

import jsonschema

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

from aiges.schema.gateway import sample_request
from aiges.tools.render.reading import read_declarations

SERVICE_LINE = re.compile(r"^# Service: serviceId=(\S*) version=(\S*) route=(\S*) sub=(\S*)$", re.M)


def load(root: Path) -> Dict[str, Any]:
    texts = {name: (root / name).read_bytes() for name in ("schema.json", "aiges.toml", "xtest.toml")}
    for name, data in texts.items():
        assert data.endswith(b"\n") and not data.endswith(b"\n\n"), name + " must end with exactly one newline"
        assert b"\r" not in data, name + " must use LF line ends"
    return {
        "texts": {name: data.decode("utf-8") for name, data in texts.items()},
        "schema": json.loads(texts["schema.json"]),
        "aiges": tomllib.loads(texts["aiges.toml"].decode("utf-8")),
        "xtest": tomllib.loads(texts["xtest.toml"].decode("utf-8")),
    }


def wire_to_typed(text: str, json_type: str) -> Any:
    """A [parameter] string as the gateway would type it under the param's schema."""
    if json_type == "boolean":
        assert text in ("true", "false"), text
        return text == "true"
    if json_type == "integer":
        return int(text)
    if json_type == "number":
        return float(text)
    return text


def assert_consistent(root: Path, service_section: str = "svcName", plugin_mode: str = "grpc") -> None:
    files = load(root)
    schema, aiges, xtest = files["schema"], files["aiges"], files["xtest"]
    meta = schema["meta"]
    service_id = meta["serviceId"]

    # schema.json is a pair of valid Draft-7 schemas, and a request built from the test values passes
    for part in ("schemainput", "schemaoutput"):
        jsonschema.Draft7Validator.check_schema(schema[part])
    declarations = read_declarations(str(root / "wrapper" / "wrapper.py")).declarations
    jsonschema.Draft7Validator(schema["schemainput"]).validate(sample_request(declarations))

    # one service across the three files
    expected = (service_id, meta["version"], meta["route"], meta["sub"])
    for name in ("aiges.toml", "xtest.toml"):
        assert SERVICE_LINE.findall(files["texts"][name]) == [expected], name
    assert xtest["svcMode"]["svcId"] == service_id
    assert xtest["svcMode"]["sub"] == aiges["aiges"]["sub"] == meta["sub"]
    assert meta["route"] and meta["service"] == [service_id]

    # every input and output of the schema is an xtest section of the same name and type
    inputs, accepts = meta[service_id]["input"], meta[service_id]["accept"]
    assert list(schema["schemainput"]["properties"]["payload"]["properties"]) == list(inputs)
    assert list(schema["schemaoutput"]["properties"]["payload"]["properties"]) == list(accepts)
    payload_sections = xtest["data"]["payload"].split(";")
    expect_sections = xtest["data"]["expect"].split(";")
    assert [xtest[section]["name"] for section in payload_sections] == list(inputs)
    assert [xtest[section]["name"] for section in expect_sections] == list(accepts)
    for sections, declared, side in (
        (payload_sections, inputs, "schemainput"),
        (expect_sections, accepts, "schemaoutput"),
    ):
        blocks = schema[side]["properties"]["payload"]["properties"]
        for section in sections:
            entry = xtest[section]
            assert entry["type"] == declared[entry["name"]]["dataType"]
            attributes = dict(item.split("=", 1) for item in entry["describe"].split(";"))
            assert attributes["encoding"] in blocks[entry["name"]]["properties"]["encoding"]["enum"]
    for section in payload_sections:
        entry = xtest[section]
        assert entry["interval"] > 0 and entry["sliceSize"] > 0 and entry["sliceOn"] in (0, 1)
        sample = root / "wrapper" / entry["inputSrc"]
        assert not Path(entry["inputSrc"]).is_absolute() and ".." not in Path(entry["inputSrc"]).parts
        assert sample.is_file() and sample.stat().st_size > 0, entry["inputSrc"]

    # every xtest param is declared, and its test value satisfies the param's own schema
    section = schema["schemainput"]["properties"]["parameter"]["properties"][service_id]["properties"]
    for key, text in xtest["parameter"].items():
        assert isinstance(text, str) and text != ""
        jsonschema.validate(wire_to_typed(text, section[key]["type"]), section[key])
    for field in declarations.params:
        if field.wire_value() != "":
            assert xtest["parameter"][field.key] == field.wire_value()

    # session mode is the same everywhere
    session = xtest["svcMode"]["sessMode"] == 1
    assert aiges["aiges"]["sessMode"] is session
    status_enum = schema["schemainput"]["properties"]["header"]["properties"]["status"]["enum"]
    assert status_enum == ([0, 1, 2, 3] if session else [3])

    # aiges.toml as the loader reads it
    assert aiges[service_section]["port"] == int(xtest["xtest"]["taddrs"].rsplit(":", 1)[1])
    assert "http_listen" not in aiges[service_section]
    assert "http_listen" in aiges["wrapper"] and "log.level" in aiges["wrapper"]
    assert all(isinstance(value, str) for value in aiges["wrapper"].values())
    assert isinstance(aiges["fc"]["max"], int) and aiges["fc"]["max"] > 0
    assert isinstance(aiges["aiges"]["asyncMode"], bool)
    assert ("pythonPluginCmd" in aiges["aiges"]) is (plugin_mode == "grpc")
