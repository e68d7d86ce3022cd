"""``python -m aiges check --in-image``: the Dockerfile's check, in the image's layout (/home/aiges holds the
wrapper folder's contents, the rendered files and, during the build, pyproject.toml)."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from .support import run_aiges


@pytest.fixture(autouse=True)
def python3_is_this_interpreter(tmp_path, monkeypatch):
    """As in the image: `python3` on PATH is the interpreter that runs the check."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", str(folder) + os.pathsep + os.environ.get("PATH", ""))


def image_layout(project: Path, target: Path) -> Path:
    """What the Dockerfile's COPY steps make of a project: one folder, wrapper.py at its top."""
    shutil.copytree(str(project / "wrapper"), str(target))
    for name in ("pyproject.toml", "aiges.toml", "xtest.toml", "schema.json"):
        shutil.copy(str(project / name), str(target / name))
    return target


def rendered(project) -> Path:
    root = project("once_text")
    assert run_aiges(["render", "-q"], root).returncode == 0
    return root


def test_current_files_pass_in_the_images_layout(project, tmp_path):
    image = image_layout(rendered(project), tmp_path / "home-aiges")
    done = run_aiges(["check", "--in-image"], image)
    assert done.returncode == 0, done.stderr
    assert "up to date: schema.json, aiges.toml, xtest.toml" in done.stderr


def test_stale_files_fail_with_the_message_of_check(project, tmp_path):
    root = rendered(project)
    wrapper = root / "wrapper" / "wrapper.py"
    wrapper.write_text(wrapper.read_text(encoding="utf-8").replace('key="mode"', 'key="style"'), encoding="utf-8")
    on_the_machine = run_aiges(["check"], root)
    image = image_layout(root, tmp_path / "home-aiges")
    in_image = run_aiges(["check", "--in-image"], image)
    assert on_the_machine.returncode == in_image.returncode == 1
    assert on_the_machine.stderr == in_image.stderr
    assert "schema.json: stale (differs from wrapper.py)" in in_image.stderr


def test_a_wrapper_that_must_be_imported_is_left_to_the_other_checks(project, tmp_path):
    image = image_layout(rendered(project), tmp_path / "home-aiges")
    wrapper = image / "wrapper.py"
    source = wrapper.read_text(encoding="utf-8")
    wrapper.write_text(
        "import not_installed_here\n"
        + source.replace('serviceId = "text_demo"', "serviceId = not_installed_here.NAME"),
        encoding="utf-8",
    )
    done = run_aiges(["check", "--in-image"], image)
    assert done.returncode == 0 and "not checked here" in done.stderr and "python -m aiges build" in done.stderr


def test_the_plugin_command_must_start_this_interpreter(project, tmp_path):
    root = project("once_text", settings='plugin_cmd = "python2.7-absent -m aiges.serve"\n')
    assert run_aiges(["render", "-q"], root).returncode == 0
    done = run_aiges(["check", "--in-image"], image_layout(root, tmp_path / "home-aiges"))
    assert done.returncode == 1
    assert "pythonPluginCmd runs 'python2.7-absent' (not found here)" in done.stderr
    absolute = project("once_text", settings='plugin_cmd = "%s -m aiges.serve"\n' % sys.executable)
    assert run_aiges(["render", "-q"], absolute).returncode == 0
    assert run_aiges(["check", "--in-image"], image_layout(absolute, tmp_path / "other")).returncode == 0
