"""Every request we render or print is one the real loader accepts (spec 13.4; tests/loader_requests.py)."""

import json

import pytest
from aiges.tools.render.pipeline import locate, render

from tests.loader_requests import http_request_problems, xtest_problems

from .consistency import tomllib
from .support import FIXTURE_NAMES, run_aiges


def outputs_of(root):
    declarations = render(locate(str(root))).reading.declarations
    return declarations.meta.service_id, {field.key: field.media for field in declarations.accepts}


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_xtest_toml_names_every_output_with_its_type_and_the_appid(project, fixture):
    root = project(fixture)
    assert run_aiges(["render", "-q"], root).returncode == 0
    _, outputs = outputs_of(root)
    document = tomllib.loads((root / "xtest.toml").read_text(encoding="utf-8"))
    assert outputs and xtest_problems(document, outputs) == []


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_the_printed_request_names_every_output_with_its_data_type(project, fixture):
    root = project(fixture)
    done = run_aiges(["schema", "--request"], root)
    assert done.returncode == 0, done.stderr
    service_id, outputs = outputs_of(root)
    body = json.loads(done.stdout)
    assert http_request_problems(body, service_id, outputs) == []
    assert body["header"]["appid"]


def test_the_checker_knows_the_loaders_refusals():
    good = {
        "header": {"appid": "x", "status": 3},
        "parameter": {
            "demo": {"result": {"encoding": "utf8", "compress": "raw", "format": "json", "data_type": "text"}}
        },
        "payload": {"text": {"encoding": "utf8", "status": 3, "text": "aGk="}},
    }
    assert http_request_problems(good, "demo", {"result": "text"}) == []
    no_outputs = json.loads(json.dumps(good))
    del no_outputs["parameter"]["demo"]["result"]
    assert "wrapper output data is nil" in " ".join(http_request_problems(no_outputs, "demo"))
    no_type = json.loads(json.dumps(good))
    del no_type["parameter"]["demo"]["result"]["data_type"]
    assert "invalid(key or type)" in " ".join(http_request_problems(no_type, "demo"))
    wrong_header = json.loads(json.dumps(good))
    wrong_header["header"] = {"app_id": "x", "status": 3}
    assert "appid" in " ".join(http_request_problems(wrong_header, "demo"))
