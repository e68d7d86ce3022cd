"""``copier update`` and ``cruft update`` bring template changes into a project without losing the
user's edits to wrapper.py, and change nothing when the template did not change."""

from pathlib import Path
from typing import Callable

import pytest

from tests.template import support

pytestmark = pytest.mark.slow

USER_LINE = "        # my model is loaded here (a user edit that template updates must keep)\n"
TEMPLATE_V2_LINE = "Template v2 was here.\n"


def release_v2(template: Path) -> None:
    """A template release touching the README, .gitignore and another part of wrapper.py."""
    tree = template / "{{cookiecutter.project_name}}"
    readme = tree / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n" + TEMPLATE_V2_LINE, encoding="utf-8")
    gitignore = tree / ".gitignore"
    gitignore.write_text(gitignore.read_text(encoding="utf-8") + "*.tmp\n", encoding="utf-8")
    wrapper = tree / "wrapper" / "wrapper.py"
    text = wrapper.read_text(encoding="utf-8")
    assert "Try it: " in text
    wrapper.write_text(text.replace("Try it: ", "Try it (template v2): "), encoding="utf-8")
    support.commit_all(template, "template v2", tag="v2.0.0")


def edit_wrapper(project: Path) -> None:
    """What a user does: change code and a declaration in wrapper.py, re-render, commit."""
    wrapper = project / "wrapper" / "wrapper.py"
    text = wrapper.read_text(encoding="utf-8")
    marker = '        log.info("%s %s ready'
    assert marker in text and 'description="UTF-8 text to analyse"' in text
    text = text.replace(marker, USER_LINE + marker).replace(
        'description="UTF-8 text to analyse"', 'description="Text my model reads"'
    )
    wrapper.write_text(text, encoding="utf-8")
    rendered = support.python("-m", "aiges", "render", cwd=project)
    assert rendered.returncode == 0, rendered.stderr
    support.commit_all(project, "my edits")


def assert_updated(project: Path) -> None:
    wrapper = (project / "wrapper" / "wrapper.py").read_text(encoding="utf-8")
    assert USER_LINE in wrapper and "Text my model reads" in wrapper, "the user's edits were lost"
    assert "Try it (template v2): " in wrapper, "the template's change to wrapper.py did not arrive"
    assert TEMPLATE_V2_LINE in (project / "README.md").read_text(encoding="utf-8")
    assert "*.tmp" in (project / ".gitignore").read_text(encoding="utf-8")
    assert not list(project.rglob("*.rej")) and "<<<<<<<" not in wrapper
    check = support.python("-m", "aiges", "check", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr


def changed_files(project: Path) -> set:
    return {line[3:] for line in support.git(project, "status", "--porcelain").splitlines()}


def test_copier_update_keeps_user_edits(template: Path, tmp_path: Path) -> None:
    import copier

    project = support.bake_copier(template, tmp_path / "project", {})
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.commit_all(project, "generated")
        edit_wrapper(project)
        release_v2(template)
        copier.run_update(str(project), defaults=True, overwrite=True, unsafe=True, vcs_ref="HEAD", quiet=True)
        assert_updated(project)
        assert changed_files(project) == {".copier-answers.yml", ".gitignore", "README.md", "wrapper/wrapper.py"}


def test_copier_update_without_template_changes_changes_nothing(template: Path, tmp_path: Path) -> None:
    import copier

    project = support.bake_copier(template, tmp_path / "project", {"session_mode": "stream", "example": "audio"})
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.commit_all(project, "generated")
        copier.run_update(str(project), defaults=True, overwrite=True, unsafe=True, vcs_ref="HEAD", quiet=True)
        assert changed_files(project) == set()


def test_cruft_update_keeps_user_edits(template: Path, tmp_path: Path) -> None:
    import cruft

    project = support.bake_cruft(template, tmp_path / "out", {})
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.commit_all(project, "generated")
        edit_wrapper(project)
        release_v2(template)
        assert cruft.check(project) is False
        assert cruft.update(project, skip_apply_ask=True, cookiecutter_input=False) is True
        assert_updated(project)
        assert changed_files(project) == {".cruft.json", ".gitignore", "README.md", "wrapper/wrapper.py"}


def test_cruft_update_without_template_changes_changes_nothing(template: Path, tmp_path: Path) -> None:
    import cruft

    project = support.bake_cruft(template, tmp_path / "out", {"plugin_mode": "cgo", "example": "image"})
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.commit_all(project, "generated")
        assert cruft.check(project) is True
        assert cruft.update(project, skip_apply_ask=True, cookiecutter_input=False) is True
        assert changed_files(project) == set()


def test_rendering_twice_changes_nothing(bake: Callable[[str], Path], tmp_path: Path) -> None:
    """What update flows rely on: the post-gen step is deterministic."""
    import shutil

    project = shutil.copytree(bake(support.variant_id(support.PAIRWISE[0])), tmp_path / "project")
    before = support.snapshot(project)
    rendered = support.python("-m", "aiges", "render", cwd=project)
    assert rendered.returncode == 0, rendered.stderr
    assert support.snapshot(project) == before
