"""Schemas: the legacy form equals the vendor's output; the complete form is valid Draft-7 and complete."""

import importlib.util
import json
import sys

import jsonschema
import pytest
from aiges.schema.gateway import sample_request

HERE = __import__("pathlib").Path(__file__).parent


def load_wrapper(path, name, argv=None):
    if argv is not None:
        sys.argv = [str(path), *argv]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Wrapper


@pytest.mark.parametrize(
    "wrapper_path, reference",
    [
        ("wrappers/vendor_template.py", "schema_legacy_aiges0.16.0_template_wrapper.json"),
        ("wrappers/vendor_sdk_example.py", "schema_legacy_aiges0.16.0_sdk_example_wrapper_py.json"),
    ],
)
def test_legacy_schema_is_json_equal_to_the_vendor_output(wrapper_path, reference, reference_dir):
    wrapper_cls = load_wrapper(HERE / wrapper_path, "w_" + reference[:20].replace(".", "_"))
    text = wrapper_cls().schema()
    assert isinstance(text, str)
    assert json.loads(text) == json.loads((reference_dir / reference).read_text())


def test_legacy_schema_for_every_field_type_equals_the_vendor_output(reference_dir, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["edge_wrapper.py", "ok"])
    wrapper_cls = load_wrapper(reference_dir / "harness" / "edge_wrapper.py", "edge_for_schema", ["ok"])
    expected = json.loads((reference_dir / "schema_legacy_aiges0.16.0_all_field_types.json").read_text())
    assert json.loads(wrapper_cls().schema()) == expected


@pytest.fixture
def edge_wrapper(reference_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", ["edge_wrapper.py", "ok"])
    (tmp_path / "test_data").mkdir()
    (tmp_path / "test_data" / "test.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    monkeypatch.chdir(tmp_path)
    return load_wrapper(reference_dir / "harness" / "edge_wrapper.py", "edge_gateway", ["ok"])


def test_complete_schema_is_valid_draft7_and_accepts_a_sample_request(edge_wrapper):
    wrapper = edge_wrapper(legacy=False)
    document = json.loads(wrapper.schema())
    for part in ("schemainput", "schemaoutput"):
        jsonschema.Draft7Validator.check_schema(document[part])
    jsonschema.validate(sample_request(wrapper.declarations()), document["schemainput"])


def test_complete_schema_keeps_what_the_legacy_form_drops(edge_wrapper):
    document = edge_wrapper().schema_dict("gateway")
    section = document["schemainput"]["properties"]["parameter"]["properties"]["edge"]
    assert section["properties"]["n"] == {"type": "number", "minimum": 1, "maximum": 9, "defaultVal": 3}
    assert section["properties"]["i"]["type"] == "integer" and section["properties"]["i"]["enum"] == [1, 2]
    assert section["properties"]["b"] == {"type": "boolean", "defaultVal": True}
    assert section["required"] == ["s"]
    # the accepts are listed under parameter.<serviceId>, where the HTTP gateway looks for them
    assert section["properties"]["out"]["properties"]["data_type"]["enum"] == ["text"]
    audio = document["schemainput"]["properties"]["payload"]["properties"]["aud"]
    assert audio["properties"]["encoding"]["enum"] == ["raw"]
    assert audio["defaultVal"]["sample_rate"] == 16000


def test_complete_schema_meta_has_everything_the_loader_reads(edge_wrapper):
    meta = edge_wrapper().schema_dict("gateway")["meta"]
    assert meta["serviceId"] == "edge" and meta["version"] == "v1" and meta["route"] == "/v1/private/edge"
    assert meta["service"] == ["edge"] and meta["call_type"] == 0
    assert meta["edge"] == {
        "input": {"img": {"dataType": "image"}, "txt": {"dataType": "text"}, "aud": {"dataType": "audio"}},
        "accept": {"out": {"dataType": "text"}},
    }


def test_invalid_request_is_rejected_by_the_complete_schema(edge_wrapper):
    wrapper = edge_wrapper()
    document = wrapper.schema_dict("gateway")
    request = sample_request(wrapper.declarations())
    request["parameter"]["edge"]["s"] = "not-an-enum-value"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(request, document["schemainput"])
