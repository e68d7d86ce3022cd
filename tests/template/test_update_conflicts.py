"""A template update that conflicts with the user's edits fails loudly instead of leaving markers behind.

copier: the template's update task finds conflict markers (git-style ``<<<<<<<``/``>>>>>>>`` lines,
copier's inline ones) and ``*.rej`` files, lists them with what to do, and exits non-zero, so
``copier update`` reports the failure. cruft has no tasks: ``python -m aiges check`` (which the
generated project's tests and CI run, and which the update docs tell cruft users to run) refuses
the same, naming each file and line.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.template import support

pytestmark = pytest.mark.slow

USER_DESCRIPTION = "Text my model reads"
TEMPLATE_DESCRIPTION = "Text the v2 template describes"


def first_description(wrapper: Path) -> str:
    found = re.search(r'description="([^"]+)"', wrapper.read_text(encoding="utf-8"))
    assert found, "the starter wrapper.py declares a field with a description"
    return found.group(1)


def replace_first_description(wrapper: Path, new: str) -> None:
    text = wrapper.read_text(encoding="utf-8")
    old = first_description(wrapper)
    wrapper.write_text(text.replace(f'description="{old}"', f'description="{new}"', 1), encoding="utf-8")


def edit_like_a_user(project: Path) -> None:
    """The user changes a declaration in wrapper.py and renders schema.json again."""
    replace_first_description(project / "wrapper" / "wrapper.py", USER_DESCRIPTION)
    rendered = support.python("-m", "aiges", "render", cwd=project)
    assert rendered.returncode == 0, rendered.stderr
    support.commit_all(project, "my edits")


def release_conflicting_v2(template: Path) -> None:
    """The template changes the very same declaration."""
    replace_first_description(
        template / "{{cookiecutter.project_name}}" / "wrapper" / "wrapper.py", TEMPLATE_DESCRIPTION
    )
    support.commit_all(template, "template v2", tag="v2.0.0")


def conflicted_files(project: Path) -> set:
    marked = set()
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(project).parts:
            if path.suffix == ".rej":
                marked.add(path.relative_to(project).as_posix())
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            if re.search(r"(?m)^<{7}( |$)", text):
                marked.add(path.relative_to(project).as_posix())
    return marked


def test_conflicting_copier_update_fails_loudly_listing_the_files(template: Path, tmp_path: Path) -> None:
    project = support.bake_copier(template, tmp_path / "project", {})
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.commit_all(project, "generated")
        edit_like_a_user(project)
        release_conflicting_v2(template)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "copier",
                "update",
                "--trust",
                "--defaults",
                "--vcs-ref=HEAD",
                "--conflict",
                "inline",
            ],
            cwd=str(project),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    output = result.stdout + result.stderr
    assert "wrapper/wrapper.py" in conflicted_files(project), "the scenario must really conflict"
    assert result.returncode != 0, "a conflicting update must not exit 0:\n" + output
    assert "unresolved update conflicts" in output, output
    for name in conflicted_files(project):
        assert name in output, f"{name} is not named:\n{output}"
    assert "resolve" in output and "python -m aiges render" in output, "what to do is said:\n" + output


def test_conflicting_copier_update_with_rej_files_fails_loudly(template: Path, tmp_path: Path) -> None:
    project = support.bake_copier(template, tmp_path / "project", {})
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.commit_all(project, "generated")
        edit_like_a_user(project)
        release_conflicting_v2(template)
        result = subprocess.run(
            [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--vcs-ref=HEAD", "--conflict", "rej"],
            cwd=str(project),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    output = result.stdout + result.stderr
    rejects = {name for name in conflicted_files(project) if name.endswith(".rej")}
    assert rejects, "the scenario must leave .rej files"
    assert result.returncode != 0, output
    for name in rejects:
        assert name in output, output


def test_check_refuses_conflict_markers_after_a_cruft_update(template: Path, tmp_path: Path) -> None:
    import cruft

    project = support.bake_cruft(template, tmp_path / "out", {})
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.commit_all(project, "generated")
        edit_like_a_user(project)
        release_conflicting_v2(template)
        cruft.update(project, skip_apply_ask=True, cookiecutter_input=False)
    marked = conflicted_files(project)
    assert marked, "the scenario must leave conflicts (cruft writes .rej files or markers)"
    check = support.python("-m", "aiges", "check", cwd=project)
    output = check.stdout + check.stderr
    assert check.returncode == 1, output
    assert "unresolved update conflicts" in output, output
    for name in marked:
        assert name in output, output
