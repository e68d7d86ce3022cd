"""``python -m aiges``: a command per job, clear usage errors, the schema on demand."""

import json
import shutil

from tests.conftest import aiges_cli


def aiges(*args, cwd="."):
    return aiges_cli(cwd, *args)


def test_without_a_command_it_prints_the_commands_and_exits_2():
    result = aiges()
    assert result.returncode == 2
    for command in ("run", "schema", "render", "check", "serve", "build"):
        assert command in result.stderr


def test_an_unknown_command_is_a_usage_error():
    result = aiges("pack")
    assert result.returncode == 2 and "invalid choice: 'pack'" in result.stderr


def test_version():
    result = aiges("--version")
    assert result.returncode == 0 and result.stdout.startswith("aiges ")


def test_schema_prints_the_complete_or_the_legacy_form(tmp_path, reference_dir):
    shutil.copy(reference_dir / "harness" / "jsonbodyfield.py", tmp_path / "module.py")
    (tmp_path / "wrapper.py").write_text(
        "from aiges.sdk import JsonBodyField, StringBodyField, WrapperBase\n"
        "class Req:\n    j = JsonBodyField(key='js', value={'a': 1})\n"
        "class Resp:\n    out = StringBodyField(key='out')\n"
        "class Wrapper(WrapperBase):\n    serviceId = 'j'\n    version = 'v1'\n"
        "    requestCls = Req()\n    responseCls = Resp()\n"
    )
    complete = json.loads(aiges("schema", cwd=tmp_path).stdout)
    assert complete["meta"]["serviceId"] == "j" and "$schema" in complete["schemainput"]
    legacy = json.loads(aiges("schema", "--legacy", cwd=tmp_path).stdout)
    assert legacy["meta"]["routeKey"] == [] and "$schema" not in legacy["schemainput"]


def test_schema_of_a_missing_wrapper_is_a_clear_error(tmp_path):
    result = aiges("schema", cwd=tmp_path)
    assert result.returncode == 2 and "no wrapper.py found" in result.stderr
