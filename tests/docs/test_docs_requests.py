"""Every request body the documentation and the generated README show is one the real loader accepts.

The loader takes the outputs it expects only from ``parameter.<serviceId>`` (each with its
``data_type``) and the app id from ``header.appid`` (spec 13.4, checked by tests/loader_requests.py).
Found: JSON blocks that are requests, Python blocks that build ``request = {...}``, and curl
commands with an inline ``-d '...'`` body, in docs/ and in the template's README.md.
"""

import ast
import json
import re
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from docs_blocks import all_pages, parse_page

from tests.conftest import aiges_cli
from tests.loader_requests import http_request_problems, is_request

REPO = Path(__file__).resolve().parents[2]
INLINE_BODY = re.compile(r"""(?:-d|--data(?:-raw)?)\s+'(\{.*?\})'""", re.S)


def _literal(node: ast.AST) -> Any:
    """A Python dict/list/constant expression; anything computed (e.g. base64 of a file) becomes a string."""
    if isinstance(node, ast.Dict):
        return {_literal(key): _literal(value) for key, value in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Constant):
        return node.value
    return "<computed>"


def request_examples() -> List[Tuple[str, Any]]:
    pages = [*all_pages(REPO / "docs"), parse_page(REPO / "{{cookiecutter.project_name}}" / "README.md", REPO)]
    found: List[Tuple[str, Any]] = []
    for page in pages:
        for block in page.blocks:
            if block.lang == "json":
                try:
                    body = json.loads(block.text)
                except ValueError:
                    continue
                if is_request(body):
                    found.append((block.where, body))
            elif block.kind == "python" and "request = {" in block.text:
                for node in ast.walk(ast.parse(block.text)):
                    if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "request" for t in node.targets):
                        found.append((block.where, _literal(node.value)))
            elif block.kind == "shell":
                for match in INLINE_BODY.finditer(block.text):
                    found.append((block.where, json.loads(match.group(1))))
    return found


EXAMPLES = request_examples()


def test_the_documentation_shows_request_examples():
    assert len(EXAMPLES) >= 2, "no request example found: did the pages or this test's search change?"


@pytest.mark.parametrize("where, body", EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_every_documented_request_names_its_outputs_with_data_type_and_uses_appid(where, body):
    assert http_request_problems(body) == [], where


def test_the_generated_readme_sends_the_request_the_project_prints(baked_project):
    readme = (baked_project / "README.md").read_text(encoding="utf-8")
    assert "python -m aiges schema --request > request.json" in readme and "-d @request.json" in readme
    done = aiges_cli(baked_project, "schema", "--request")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    service_id = next(iter(body["parameter"]))
    assert "/private/%s " % service_id in readme
    assert http_request_problems(body, service_id, {"result": "text"}) == []
