"""Golden files: what render writes for each fixture wrapper in each plugin mode, byte for byte.

A deliberate change to the rendering shows up here as a diff; accept it with
``pytest tests/render --update-golden`` (or ``AIGES_UPDATE_GOLDEN=1``) and review the golden diff.
"""

import difflib
import shutil
from pathlib import Path
from typing import Dict

import pytest
from aiges.tools.render import outputs
from aiges.tools.render.pipeline import locate, render

from .consistency import assert_consistent
from .support import FIXTURE_NAMES, GOLDEN, PLUGIN_MODES


def rendered_files(root: Path, legacy: bool) -> Dict[str, bytes]:
    return {output.path: output.data for output in render(locate(str(root)), legacy=legacy).outputs}


def compare_with_golden(files: Dict[str, bytes], golden: Path, update: bool) -> None:
    if update:
        if golden.exists():
            shutil.rmtree(str(golden))
        for path, data in files.items():
            (golden / path).parent.mkdir(parents=True, exist_ok=True)
            (golden / path).write_bytes(data)
        return
    if not golden.is_dir():
        pytest.fail("no golden files in %s: run `pytest tests/render --update-golden` and review them" % golden)
    expected = {
        path.relative_to(golden).as_posix(): path.read_bytes() for path in sorted(golden.rglob("*")) if path.is_file()
    }
    assert sorted(files) == sorted(expected)
    for path, data in files.items():
        if data != expected[path]:
            diff = "".join(
                difflib.unified_diff(
                    expected[path].decode("utf-8", "replace").splitlines(True),
                    data.decode("utf-8", "replace").splitlines(True),
                    "golden/" + path,
                    "rendered/" + path,
                )
            )
            pytest.fail("%s differs from its golden file:\n%s" % (path, diff))


@pytest.mark.parametrize("plugin_mode", PLUGIN_MODES)
@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_rendered_files_equal_golden_files(project, fixture, plugin_mode, update_golden):
    root = project(fixture, plugin_mode)
    compare_with_golden(
        rendered_files(root, legacy=fixture == "all_fields"), GOLDEN / fixture / plugin_mode, update_golden
    )


@pytest.mark.parametrize("plugin_mode", PLUGIN_MODES)
@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_written_files_are_consistent_and_rerendering_changes_nothing(project, fixture, plugin_mode):
    root = project(fixture, plugin_mode)
    rendered = render(locate(str(root)))
    outputs.apply(str(root), outputs.changes(str(root), rendered.outputs, rendered.owned_dirs))
    assert_consistent(root, plugin_mode=plugin_mode)

    again = render(locate(str(root)))
    assert [output.data for output in again.outputs] == [output.data for output in rendered.outputs]
    assert outputs.changes(str(root), again.outputs, again.owned_dirs) == []


def test_modes_differ_only_where_the_loader_runs_python(project):
    grpc = rendered_files(project("once_text", "grpc"), legacy=False)
    cgo = rendered_files(project("once_text", "cgo"), legacy=False)
    assert grpc["schema.json"] == cgo["schema.json"] and grpc["xtest.toml"] == cgo["xtest.toml"]
    changed = [
        line
        for line in difflib.ndiff(grpc["aiges.toml"].decode().splitlines(), cgo["aiges.toml"].decode().splitlines())
        if line[:1] in "+-"
    ]
    assert changed == ["- pythonPluginCmd = \"python3 -c 'from aiges.serve import run; run()'\""]
