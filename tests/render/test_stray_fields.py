"""A field declared outside any class reaches no schema: render and check refuse and say where it belongs.

The runtime, like the vendor SDK, takes fields only from the classes of ``Wrapper.requestCls`` and
``responseCls``. A field bound at module level to a name nothing reads (a line pasted unindented, or left
behind when a class body lost its indentation) would be missing from schema.json and aiges.toml without a
word, so it is an error (exit 1 for render, nothing written; 2 for check), whichever reader ran. A module-level
field the file does read (a class body, ``UserRequest.x = x``, a method) is not reported.
"""

import argparse
import re
from pathlib import Path

import pytest
from aiges.tools.render.commands import CHECK, RENDER

from .support import make_project, run_aiges, snapshot

PASTED_BETWEEN_THE_CLASSES = (
    "\n\nclass UserResponse(object):",
    '\ntext2 = StringBodyField(key="text2", value=b"hi")\n\n\nclass UserResponse(object):',
)
PARAM_AFTER_THE_WRAPPER = (
    '\n\nif __name__ == "__main__":',
    '\n\nlevel = IntegerParamField(key="level", maximum=9, value=1)\n\n\nif __name__ == "__main__":',
)


def edited_project(tmp_path: Path, *edits, name: str = "p") -> Path:
    """The once_text fixture, rendered once (the files a failed render must leave alone), then edited."""
    root = make_project(tmp_path / name, "once_text")
    assert run_aiges(["render", "-q"], root).returncode == 0
    path = root / "wrapper" / "wrapper.py"
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return root


def line_of(root: Path, marker: str) -> int:
    lines = (root / "wrapper" / "wrapper.py").read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, 1) if marker in text)


def errors_of(stderr: str):
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def fields_named(stderr: str):
    """The field each error names, in order."""
    return [re.match(r"error: [^:]+:\d+: field '([^']+)'", error).group(1) for error in errors_of(stderr)]


def run_in_process(command, root: Path, monkeypatch, capsys, *flags: str):
    monkeypatch.chdir(root)
    parser = argparse.ArgumentParser()
    command.configure(parser)
    status = command.main(parser.parse_args(list(flags)))
    return status, capsys.readouterr().err


def test_an_unindented_body_field_stops_render_and_check_and_names_its_classes(tmp_path):
    root = edited_project(tmp_path, PASTED_BETWEEN_THE_CLASSES)
    before = snapshot(root)
    line = line_of(root, "text2 = StringBodyField")
    for command, status in (("render", 1), ("check", 2)):
        result = run_aiges([command], root)
        assert result.returncode == status, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
        assert errors_of(result.stderr) == [
            "error: wrapper/wrapper.py:%d: field 'text2': text2 = StringBodyField(...) is at module level, outside "
            "any class, so the runtime never sees it and schema.json and aiges.toml would not have it: fields are "
            "read only from class UserRequest (Wrapper.requestCls) and class UserResponse (Wrapper.responseCls); "
            "move it inside `class UserRequest(...)` for an input or `class UserResponse(...)` for an output; it "
            "follows the body of class UserRequest: was its indentation lost?" % line
        ]
    assert "no file was written" in run_aiges(["render"], root).stderr
    assert snapshot(root) == before


def test_a_param_belongs_in_the_request_only(tmp_path, monkeypatch, capsys):
    root = edited_project(tmp_path, PARAM_AFTER_THE_WRAPPER)
    status, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 1
    [error] = errors_of(err)
    assert error.startswith("error: wrapper/wrapper.py:%d: field 'level': " % line_of(root, "level = "))
    assert error.endswith("move it inside `class UserRequest(...)` for a param")  # the class above is Wrapper


@pytest.mark.parametrize("flags", [(), ("--import",)], ids=["static", "import"])
def test_both_readers_report_it(tmp_path, monkeypatch, capsys, flags):
    root = edited_project(tmp_path, PASTED_BETWEEN_THE_CLASSES)
    status, err = run_in_process(CHECK, root, monkeypatch, capsys, *flags)
    assert status == 2
    assert fields_named(err) == ["text2"]


def test_the_import_fallback_reports_it_too(tmp_path, monkeypatch, capsys):
    """A declaration the static reader cannot evaluate makes render import wrapper.py: the check still runs."""
    root = edited_project(
        tmp_path,
        PASTED_BETWEEN_THE_CLASSES,
        ("from aiges.core.types", "import os\nfrom aiges.core.types"),
        ("maxLength=20)", 'maxLength=int(os.environ.get("NO_SUCH_VARIABLE", "20")))'),
    )
    status, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 1
    assert fields_named(err) == ["text2"]
    path = root / "wrapper" / "wrapper.py"
    path.write_text(
        path.read_text(encoding="utf-8").replace(PASTED_BETWEEN_THE_CLASSES[1], PASTED_BETWEEN_THE_CLASSES[0])
    )
    status, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 0 and "note: read the declarations by importing wrapper.py, because" in err


def test_the_dockerfiles_check_refuses_too(tmp_path, monkeypatch, capsys):
    root = edited_project(tmp_path, PASTED_BETWEEN_THE_CLASSES)
    status, err = run_in_process(CHECK, root, monkeypatch, capsys, "--in-image")
    assert status == 2 and fields_named(err) == ["text2"]


def test_it_is_reported_with_the_other_problems(tmp_path, monkeypatch, capsys):
    root = edited_project(tmp_path, PASTED_BETWEEN_THE_CLASSES, PARAM_AFTER_THE_WRAPPER, ('key="notes"', 'key="mode"'))
    status, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 1
    assert fields_named(err) == ["mode", "text2", "level"]
    assert "3 problems; no file was written" in err


def test_a_wrapper_without_field_holders_is_told_to_declare_one(tmp_path, monkeypatch, capsys):
    root = edited_project(
        tmp_path, PASTED_BETWEEN_THE_CLASSES, ("    requestCls = UserRequest()\n    responseCls = UserResponse()\n", "")
    )
    status, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 1
    [error] = errors_of(err)
    assert (
        "fields are read only from the classes of Wrapper.requestCls and Wrapper.responseCls, which it does not "
        "set; move it inside `class UserRequest(...)` for an input (and set `requestCls = UserRequest()` in "
        "Wrapper) or `class UserResponse(...)` for an output (and set `responseCls = UserResponse()` in Wrapper)"
    ) in error


def test_a_local_variable_of_the_same_name_does_not_hide_it(tmp_path, monkeypatch, capsys):
    root = edited_project(
        tmp_path,
        PASTED_BETWEEN_THE_CLASSES,
        ("        data = ResponseData()\n", "        text2 = reqData.list[0].data\n        data = ResponseData()\n"),
    )
    status, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 1 and "field 'text2'" in err


READ_ELSEWHERE = {
    "by_a_class_body": (
        ('    notes = StringBodyField(key="notes", path="test_data/notes.txt")\n', "    notes = NOTES\n"),
        (
            "\n\nclass UserRequest(",
            '\nNOTES = StringBodyField(key="notes", path="test_data/notes.txt")\n\n\nclass UserRequest(',
        ),
    ),
    "by_an_assignment_into_the_class": (
        PASTED_BETWEEN_THE_CLASSES,
        ('\n\nif __name__ == "__main__":', '\nUserRequest.text2 = text2\n\nif __name__ == "__main__":'),
    ),
    "by_a_method": (
        PASTED_BETWEEN_THE_CLASSES,
        ("        data = ResponseData()\n", "        print(text2.key)\n        data = ResponseData()\n"),
    ),
    "through_globals": (
        PASTED_BETWEEN_THE_CLASSES,
        ("        data = ResponseData()\n", "        print(globals())\n        data = ResponseData()\n"),
    ),
}


@pytest.mark.parametrize("name", sorted(READ_ELSEWHERE))
def test_a_module_level_field_the_file_reads_is_not_reported(tmp_path, monkeypatch, capsys, name):
    root = edited_project(tmp_path, *READ_ELSEWHERE[name])
    status, err = run_in_process(RENDER, root, monkeypatch, capsys)
    assert status == 0, err
    schema = (root / "schema.json").read_text(encoding="utf-8")
    assert ('"text2"' in schema) == (name == "by_an_assignment_into_the_class")  # what the runtime finds
