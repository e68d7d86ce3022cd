"""``python -m aiges render`` and ``check`` as a user runs them, including on Python 3.9."""

import os
import shutil
from pathlib import Path

import pytest

from .support import PY39, run_aiges, snapshot

OUTPUTS = ("schema.json", "aiges.toml", "xtest.toml")


def edit(root: Path, old: str, new: str) -> None:
    path = root / "wrapper" / "wrapper.py"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_check_fails_after_a_field_edit_and_passes_after_render(project):
    root = project("once_text", "cgo")
    assert run_aiges(["render", "-q"], root).returncode == 0
    assert run_aiges(["check"], root).returncode == 0

    edit(root, "maximum=10, value=3", "maximum=10, value=4")
    stale = run_aiges(["check"], root)
    assert stale.returncode == 1
    # a readable unified diff from the committed file to what render would write
    assert "--- a/schema.json\n+++ b/schema.json\n" in stale.stdout
    indent = " " * 32
    assert '-%s"defaultVal": 3\n+%s"defaultVal": 4\n' % (indent, indent) in stale.stdout
    assert "--- a/xtest.toml\n+++ b/xtest.toml\n" in stale.stdout and '-top = "3"\n+top = "4"\n' in stale.stdout
    assert "a/aiges.toml" not in stale.stdout
    assert "schema.json: stale" in stale.stderr and "xtest.toml: stale" in stale.stderr
    assert "2 files out of date; run `python -m aiges render`" in stale.stderr

    assert run_aiges(["render", "-q"], root).returncode == 0
    assert run_aiges(["check"], root).returncode == 0


def test_check_reports_missing_and_leftover_files(project):
    root = project("once_text")
    assert run_aiges(["check"], root).returncode == 1  # nothing rendered yet
    assert run_aiges(["render", "-q"], root).returncode == 0
    (root / "xtest.toml").unlink()
    leftover = root / "wrapper" / "test_data" / "inline" / "old_input.txt"
    leftover.write_text("from a field that was removed", encoding="utf-8")

    result = run_aiges(["check"], root)
    assert result.returncode == 1
    assert "--- /dev/null\n+++ b/xtest.toml\n" in result.stdout
    assert "--- a/wrapper/test_data/inline/old_input.txt\n+++ /dev/null\n" in result.stdout
    assert "xtest.toml: missing" in result.stderr
    assert "wrapper/test_data/inline/old_input.txt: not rendered any more" in result.stderr

    rendered = run_aiges(["render"], root)
    assert "removed" in rendered.stderr and not leftover.exists()
    assert run_aiges(["check", "-q"], root).returncode == 0


def test_render_twice_leaves_files_untouched(project):
    root = project("stream_audio")
    first = run_aiges(["render"], root)
    assert first.returncode == 0 and first.stdout == ""
    assert all("created" in line for line in first.stderr.splitlines()[1:])
    written = snapshot(root)
    times = {name: (root / name).stat().st_mtime_ns for name in OUTPUTS}
    second = run_aiges(["render"], root)
    assert second.returncode == 0
    assert all(line.endswith("unchanged") for line in second.stderr.splitlines()[1:])
    assert snapshot(root) == written
    assert {name: (root / name).stat().st_mtime_ns for name in OUTPUTS} == times


def test_quiet_prints_nothing(project):
    root = project("once_image")
    for command in ("render", "check"):
        result = run_aiges([command, "--quiet"], root)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_wrapper_folder_and_project_option_render_the_same_files_at_the_root(project, tmp_path):
    from_root = project("all_fields")
    from_wrapper = project("all_fields")
    by_option = project("all_fields")
    assert run_aiges(["render", "-q"], from_root).returncode == 0
    assert run_aiges(["render", "-q"], from_wrapper / "wrapper").returncode == 0
    assert run_aiges(["render", "-q", "--project", str(by_option)], tmp_path).returncode == 0
    assert snapshot(from_root) == snapshot(from_wrapper) == snapshot(by_option)
    assert not (from_wrapper / "wrapper" / "schema.json").exists()


def test_legacy_schema_on_request_then_kept_up_to_date(project):
    root = project("once_image")
    assert run_aiges(["render", "-q", "--legacy-schema"], root).returncode == 0
    legacy = root / "schema.legacy.json"
    assert legacy.is_file() and b'"routeKey": []' in legacy.read_bytes()
    edit(root, 'value="x"', 'value="y"')
    assert run_aiges(["check"], root).returncode == 1  # the legacy file is checked once it exists
    assert run_aiges(["render", "-q"], root).returncode == 0  # and re-rendered without the flag
    assert run_aiges(["check"], root).returncode == 0


def test_import_flag_renders_the_same_bytes(project):
    static, imported = project("all_fields"), project("all_fields")
    assert run_aiges(["render", "-q"], static).returncode == 0
    result = run_aiges(["render", "--import"], imported)
    assert result.returncode == 0
    assert "read the declarations by importing wrapper.py, because --import was given" in result.stderr
    assert snapshot(static) == snapshot(imported)
    assert not list((imported / "wrapper").rglob("__pycache__"))  # the import leaves no bytecode behind


def test_the_import_fallback_says_which_declaration_forced_it(project):
    root = project("once_text")
    edit(root, 'value="upper",', 'value=__import__("os").sep and "upper",')
    result = run_aiges(["render"], root)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        "note: read the declarations by importing wrapper.py, because wrapper/wrapper.py:19: mode: argument value="
    )


@pytest.fixture(scope="module")
def python39(tmp_path_factory):
    """Python 3.9 (the official images' version) and a folder holding only tomli and tomli-w for it (a
    generated project's requirements install the first, its dev requirements the second)."""
    if not PY39.exists():
        pytest.skip("Python 3.9 is not installed at %s" % PY39)
    site, reader_only = tmp_path_factory.mktemp("site39"), tmp_path_factory.mktemp("site39-tomli")
    for name, folders in (("tomli", (site, reader_only)), ("tomli_w", (site,))):
        module = pytest.importorskip(name)
        for folder in folders:
            shutil.copytree(os.path.dirname(module.__file__), str(folder / name))
    return str(PY39), str(site), str(reader_only)


@pytest.mark.parametrize("fixture", ["once_text", "all_fields"])
def test_python39_renders_the_same_bytes(project, python39, fixture):
    python, site, _ = python39
    on39, on_this = project(fixture, "cgo"), project(fixture, "cgo")
    for root, interpreter, extra in ((on39, python, [site]), (on_this, None, [])):
        for flags in (["render", "-q"], ["render", "-q", "--import"], ["check", "-q"]):
            result = run_aiges(flags, root, **({"python": interpreter} if interpreter else {}), python_path=extra)
            assert result.returncode == 0, result.stderr
    assert snapshot(on39) == snapshot(on_this)


def test_python39_without_tomli_w_says_what_to_install(project, python39):
    python, _, reader_only = python39
    result = run_aiges(["render"], project("once_text"), python=python, python_path=[reader_only])
    assert result.returncode == 2
    assert result.stderr == "python -m aiges render: rendering TOML needs tomli-w: pip install tomli-w\n"
