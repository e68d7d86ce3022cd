"""``python -m aiges check`` refuses a project a template update left half-merged, naming file and line."""

from pathlib import Path

from aiges.tools import conflicts

from tests.conftest import RUNTIME_PARENT, aiges_cli


def test_markers_and_rej_files_are_found_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "aiges.toml").write_text(
        "[aiges]\n<<<<<<< before updating\na = 1\n=======\na = 2\n>>>>>>> after updating\n", encoding="utf-8"
    )
    (tmp_path / "README.md.rej").write_text("@@ -1 +1 @@\n", encoding="utf-8")
    assert conflicts.scan(str(tmp_path)) == [conflicts.Conflict("README.md.rej"), conflicts.Conflict("aiges.toml", 2)]


def test_lookalikes_are_not_conflicts(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text(
        "Title\n=======\n\n    <<<<<<< indented is not a marker\n<<<<<<<<<< ten\n", encoding="utf-8"
    )
    (tmp_path / "blob.bin").write_bytes(b"\0<<<<<<< x\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "MERGE_MSG").write_text("<<<<<<< HEAD\n", encoding="utf-8")
    assert conflicts.scan(str(tmp_path)) == []


def test_the_runtime_itself_holds_no_markers() -> None:
    """check scans the whole project, runtime included: its own sources must never trip it."""
    assert conflicts.scan(str(RUNTIME_PARENT)) == []


def test_check_names_a_conflicted_rendered_file_before_reading_it(project) -> None:
    project = project("once_text")
    rendered = aiges_cli(project, "render")
    assert rendered.returncode == 0, rendered.stderr
    schema = project / "schema.json"
    schema.write_text(
        "<<<<<<< HEAD\n" + schema.read_text(encoding="utf-8") + "=======\n{}\n>>>>>>> theirs\n", encoding="utf-8"
    )
    check = aiges_cli(project, "check")
    assert check.returncode == 1, check.stderr
    assert "unresolved update conflicts in 1 file" in check.stderr
    assert "schema.json:1: conflict markers (a rendered file" in check.stderr
