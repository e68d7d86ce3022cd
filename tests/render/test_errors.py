"""Bad declarations: one clear error naming file, line and field; non-zero exit; no file touched."""

import argparse
import re
import sys
from pathlib import Path

import pytest
from aiges.tools.render.commands import CHECK, RENDER

from .support import make_project, run_aiges, snapshot

# name: (text to replace in the once_text fixture, replacement, text on the erroneous line, field, words)
CASES = {
    "syntax_error": (
        "class UserResponse(object):",
        "class UserResponse(object:",
        "class UserResponse(",
        None,
        ["syntax error"],
    ),
    "duplicate_key": (
        'key="notes"',
        'key="mode"',
        "notes = StringBodyField",
        "mode",
        ["duplicate key 'mode'", "UserRequest.mode at line"],
    ),
    "enum_excludes_default": (
        'value="upper"',
        'value="shout"',
        "mode = StringParamField",
        "mode",
        ["default 'shout' is not one of its enums"],
    ),
    "missing_sample_file": (
        "test_data/notes.txt",
        "test_data/gone.txt",
        "notes = StringBodyField",
        "notes",
        ["not found", "gone.txt"],
    ),
    "unknown_field_class": (
        'JsonBodyField(key="result"',
        'JsonBodyFeld(key="result"',
        "accept_result =",
        "result",
        ["JsonBodyFeld is not one of the aiges field classes", "NameError"],
    ),
    "unknown_keyword": (
        'path="test_data/notes.txt"',
        'pth="test_data/notes.txt"',
        "notes = StringBodyField",
        "notes",
        ["unexpected keyword argument 'pth'"],
    ),
    "non_literal_whose_import_fails": (
        'value="你好, world"',
        "value=not_installed_xyz.GREETING",
        "text = StringBodyField",
        "text",
        ["value=not_installed_xyz.GREETING is not a literal", "importing wrapper.py", "No module named"],
    ),
    "sample_outside_the_wrapper_folder": (
        "test_data/notes.txt",
        "../pyproject.toml",
        "notes = StringBodyField",
        "notes",
        ["outside the wrapper folder"],
    ),
    "empty_inline_sample": (
        'value="你好, world"',
        'value=""',
        "text = StringBodyField",
        "text",
        ["the sample is empty"],
    ),
    "test_value_outside_bounds": (
        "maximum=10, value=3",
        "maximum=10, value=30",
        "top = IntegerParamField",
        "top",
        ["outside minimum 1..maximum 10"],
    ),
    "output_key_equals_a_param_key": (
        'JsonBodyField(key="result"',
        'JsonBodyField(key="top"',
        "accept_result =",
        "top",
        ["output key 'top' is also a param's key", "parameter.text_demo"],
    ),
    "config_value_not_scalar": (
        '"use_gpu": False}',
        '"use_gpu": [False]}',
        "config = {",
        None,
        ["Wrapper.config: 'use_gpu' must be a string, number or boolean"],
    ),
    # serviceId and version: the bake's rules (helpers/rules.py), so render never writes a route or path from them
    "service_id_escaping_the_route": (
        'serviceId = "text_demo"',
        'serviceId = "../../etc"',
        "serviceId = ",
        "serviceId",
        ["Wrapper.serviceId '../../etc' is invalid", "lowercase letter", "the template's rule"],
    ),
    "service_id_a_python_keyword": (
        'serviceId = "text_demo"',
        'serviceId = "class"',
        "serviceId = ",
        "serviceId",
        ["Wrapper.serviceId 'class' is a Python reserved word"],
    ),
    "service_id_too_long": (
        'serviceId = "text_demo"',
        'serviceId = "%s"' % ("s" * 65),
        "serviceId = ",
        "serviceId",
        ["is too long: at most 64 characters"],
    ),
    "version_with_a_slash": (
        'version = "v1"',
        'version = "v1/../admin"',
        "version = ",
        "version",
        ["Wrapper.version 'v1/../admin' is invalid", "one path segment"],
    ),
}


def broken_project(tmp_path: Path, name: str) -> Path:
    old, new, _, _, _ = CASES[name]
    root = make_project(tmp_path / name, "once_text")
    assert run_aiges(["render", "-q"], root).returncode == 0  # the files a failed render must not touch
    path = root / "wrapper" / "wrapper.py"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    if name == "non_literal_whose_import_fails":
        text = "import not_installed_xyz\n" + text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def expected_location(root: Path, name: str) -> str:
    _, _, marker, field, _ = CASES[name]
    lines = (root / "wrapper" / "wrapper.py").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if marker in text)
    return "wrapper/wrapper.py:%d: " % line + ("field %r: " % field if field else "")


def run_in_process(command, root: Path, monkeypatch, capsys, *flags: str):
    monkeypatch.chdir(root)
    parser = argparse.ArgumentParser()
    command.configure(parser)
    status = command.main(parser.parse_args(list(flags)))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_clear_error_and_no_file_touched(tmp_path, monkeypatch, capsys, name):
    root = broken_project(tmp_path, name)
    before = snapshot(root)

    status, out, err = run_in_process(RENDER, root, monkeypatch, capsys)

    assert status == 1 and out == ""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert errors[0].startswith("error: " + expected_location(root, name)), err
    for word in CASES[name][4]:
        assert word in errors[0]
    assert "no file was written" in err
    assert snapshot(root) == before  # nothing written, no temporary file left behind


@pytest.mark.parametrize("name", ["duplicate_key", "non_literal_whose_import_fails"])
def test_the_command_line_reports_the_same(tmp_path, name):
    root = broken_project(tmp_path, name)
    before = snapshot(root)
    for command, status in (("render", 1), ("check", 2)):
        result = run_aiges([command], root)
        assert result.returncode == status, result.stderr
        assert "error: " + expected_location(root, name) in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert snapshot(root) == before


def test_check_cannot_pass_with_broken_declarations(tmp_path, monkeypatch, capsys):
    root = broken_project(tmp_path, "enum_excludes_default")
    status, _, err = run_in_process(CHECK, root, monkeypatch, capsys)
    assert status == 2 and "not one of its enums" in err


def test_bad_settings_name_the_key(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path / "p", "once_text", plugin_mode="pipe")
    status, _, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 2
    assert re.search(r"error: .*pyproject\.toml: \[tool\.aiges\] plugin_mode must be one of grpc, cgo", err), err
    assert not (root / "schema.json").exists()


def test_no_wrapper_py(tmp_path, monkeypatch, capsys):
    status, _, err = run_in_process(RENDER, tmp_path, monkeypatch, capsys)
    assert status == 2 and "no wrapper.py found" in err


def test_missing_tomli_w_is_one_line(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path / "p", "once_text")
    monkeypatch.setitem(sys.modules, "tomli_w", None)  # import tomli_w now raises ImportError
    status, out, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 2 and out == ""
    assert err == "python -m aiges render: rendering TOML needs tomli-w: pip install tomli-w\n"
