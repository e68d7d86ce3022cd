"""docs/reference/files.md names every key ``python -m aiges render`` writes into schema.json,
aiges.toml and xtest.toml, and every ``[tool.aiges]`` setting.

The keys are collected from real renders: the default generated project, and the same project with
a wrapper declaring every field class (params of each type, every media as input and output, a
session plugin with init config) and every ``[tool.aiges]`` key set. Names chosen by the user (field
keys, the service id, ``Wrapper.config`` keys) are not expected on the page; the generic sections
(``[payload_<key>]``, ``[svcName]``) are.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Set, Tuple

import pytest
from docs_support import load_toml, page_text, runtime_json

from tests.conftest import aiges_cli

PAGE = "reference/files.md"

EVERY_FIELD_WRAPPER = """
from aiges.sdk import (AudioBodyField, BooleanParamField, ImageBodyField, IntegerParamField, JsonBodyField,
                       NumberParamField, StringBodyField, StringParamField, VideoBodyField, WrapperBase)


class UserRequest:
    p_str = StringParamField(key="p_str", minLength=1, maxLength=8, value="abc", required=True,
                             description="a string", title="String")
    p_num = NumberParamField(key="p_num", minimum=0, maximum=2, value=0.5)
    p_int = IntegerParamField(key="p_int", enums=[1, 2], value=1)
    p_bool = BooleanParamField(key="p_bool", default=True)
    i_text = StringBodyField(key="i_text", value="hello")
    i_json = JsonBodyField(key="i_json", value={"a": 1})
    i_image = ImageBodyField(key="i_image", path="test_data/x.png")
    i_audio = AudioBodyField(key="i_audio", path="test_data/x.pcm")
    i_video = VideoBodyField(key="i_video", path="test_data/x.h264")


class UserResponse:
    o_text = StringBodyField(key="o_text")
    o_image = ImageBodyField(key="o_image")
    o_audio = AudioBodyField(key="o_audio")
    o_video = VideoBodyField(key="o_video")


class Wrapper(WrapperBase):
    serviceId = "every_field"
    version = "v2"
    requestCls = UserRequest()
    responseCls = UserResponse()
    config = {"model": "m.bin"}

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        return "h"

    def wrapperWrite(self, handle, req, sid=""):
        return 0
"""
SETTINGS = runtime_json(
    "import json; from aiges.tools.render.options import KNOWN_KEYS, Settings; "
    "print(json.dumps([list(KNOWN_KEYS), Settings().service_section]))"
)


def user_names(project: Path) -> Set[str]:
    """Names the project's author chose: service id, field keys, init config keys."""
    code = (
        "import json; from aiges.tools.render.reading import read_declarations; "
        "d = read_declarations('wrapper/wrapper.py').declarations; "
        "print(json.dumps([d.meta.service_id] + [f.key for f in d.all_fields()] + list(d.config)))"
    )
    env = {"PYTHONPATH": str(project / "wrapper"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=str(project),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _render(project: Path) -> None:
    done = aiges_cli(project, "render", "--quiet", env=dict(os.environ))
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def projects(baked_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    """(the default generated project, a copy with every field class and every setting)."""
    every = tmp_path_factory.mktemp("every") / "project"
    shutil.copytree(baked_project, every)
    (every / "wrapper" / "wrapper.py").write_text(EVERY_FIELD_WRAPPER, encoding="utf-8")
    for name in ("x.png", "x.pcm", "x.h264"):
        (every / "wrapper" / "test_data" / name).write_bytes(b"sample")
    pyproject = every / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^\[tool\.aiges\]\n", "[tool.aiges]\nlegacy_schema = true\nfc_ttl = 8000\n", text)
    pyproject.write_text(text, encoding="utf-8")
    _render(every)
    return baked_project, every


def section(title: str) -> str:
    """The page's ``## ...`` section whose heading contains ``title`` (up to the next ``## ``)."""
    for chunk in re.split(r"(?m)^## ", page_text(PAGE))[1:]:
        heading, _, body = chunk.partition("\n")
        if title in heading:
            return body
    raise AssertionError(f"docs/{PAGE} has no section about {title}")


def toml_names(path: Path, user: Set[str]) -> Iterator[Tuple[str, str]]:
    """(section, key) pairs of a rendered TOML file, user-chosen names generalised."""
    document = load_toml(path.read_text(encoding="utf-8"))
    for name, table in document.items():
        generic = re.sub(r"^(payload|expect)_.*$", r"\1_<key>", name)
        if name == SETTINGS[1]:
            generic = "svcName"
        for key in table:
            if key in user or name == "parameter":
                continue
            yield generic, key
        yield generic, ""


def json_keys(value: object, user: Set[str]) -> Set[str]:
    found: Set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key not in user:
                found.add(key)
            found |= json_keys(inner, user)
    elif isinstance(value, list):
        for inner in value:
            found |= json_keys(inner, user)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", ["aiges.toml", "xtest.toml"])
def test_every_toml_section_and_key_is_documented(name: str, projects: Tuple[Path, Path]) -> None:
    body = section(name)
    missing = []
    for project in projects:
        for table, key in toml_names(project / name, user_names(project)):
            if f"`[{table}]`" not in body and f"`[{table}]` (" not in body:
                missing.append(f"[{table}]")
            elif key and f"`{key}`" not in body and f'`"{key}"`' not in body:
                missing.append(f"[{table}] {key}")
    assert not missing, f"docs/{PAGE} ({name}) lacks: {sorted(set(missing))}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["schema.json", "schema.legacy.json"])
def test_every_schema_key_is_documented(name: str, projects: Tuple[Path, Path]) -> None:
    documented = page_text(PAGE)
    keys: Set[str] = set()
    for project in projects:
        path = project / name
        if path.is_file():
            keys |= json_keys(json.loads(path.read_text(encoding="utf-8")), user_names(project))
    assert keys, f"no {name} was rendered"
    missing = sorted(key for key in keys if f"`{key}`" not in documented)
    assert not missing, f"docs/{PAGE} does not mention these {name} keys: {missing}"


@pytest.mark.parametrize("key", SETTINGS[0])
def test_every_tool_aiges_setting_is_documented(key: str) -> None:
    assert re.search(rf"(?m)^\| `{re.escape(key)}` \|", section("[tool.aiges]")), (
        f"[tool.aiges] {key} has no table row in docs/{PAGE}"
    )


def test_no_documented_setting_is_stale() -> None:
    rows = set(re.findall(r"(?m)^\| `(\w+)` \|", section("[tool.aiges]")))
    stale = sorted(rows - set(SETTINGS[0]))
    assert not stale, f"docs/{PAGE} documents [tool.aiges] keys the runtime does not know: {stale}"


def test_rendered_files_are_all_described(projects: Tuple[Path, Path]) -> None:
    overview = page_text(PAGE).split("\n## ", 1)[0]
    rendered: Dict[str, bool] = {path.name: True for project in projects for path in project.glob("*.json")}
    rendered.update(
        {path.name: True for project in projects for path in project.glob("*.toml") if path.name != "pyproject.toml"}
    )
    missing = sorted(name for name in rendered if f"`{name}`" not in overview)
    assert not missing, f"the overview of docs/{PAGE} does not list {missing}"
