"""The runtime reads TOML with tomllib (3.11+) or tomli, never with a reader of its own; without either it
names the fix instead of failing with a traceback."""

import os
import subprocess
import sys
import textwrap

import pytest
from aiges import settings, tomlcompat

from tests.conftest import RUNTIME_PARENT, runtime_env

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

# Full TOML, as users write pyproject.toml: multi-line arrays, inline tables, literal and multi-line strings.
PYPROJECT = '''
[project]
name = "demo"
dependencies = [
    "numpy==1.26.4",  # pinned
    "protobuf>=3.20",
]
authors = [{ name = "A. User", email = "a@example.invalid" }]
description = """two
lines"""

[tool.aiges]
plugin_mode = 'grpc'
session_mode = "auto"
fc_max = 1_000
'''

WRAPPER = textwrap.dedent("""
    from aiges.sdk import StringBodyField, WrapperBase

    class Req:
        text = StringBodyField(key="text", value=b"hi")

    class Resp:
        out = StringBodyField(key="out")

    class Wrapper(WrapperBase):
        serviceId = "demo"
        version = "v1"
        requestCls = Req()
        responseCls = Resp()
""")


def test_it_reads_what_the_standard_reader_reads():
    assert tomlcompat.loads(PYPROJECT) == tomllib.loads(PYPROJECT)


def test_project_settings_come_from_a_full_toml_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    assert settings.tool_settings(str(tmp_path)) == {"plugin_mode": "grpc", "session_mode": "auto", "fc_max": 1000}


def test_files_are_read_as_utf8(tmp_path):
    path = tmp_path / "aiges.toml"
    path.write_bytes('[wrapper]\ngreeting = "你好"\n'.encode())
    assert tomlcompat.load_file(str(path)) == {"wrapper": {"greeting": "你好"}}


def test_invalid_toml_is_a_value_error_naming_the_line():
    with pytest.raises(ValueError, match="line 3"):
        tomlcompat.loads("[a]\nx = 1\ny = = 2\n")


@pytest.fixture
def without_reader(tmp_path):
    """An environment whose Python can import neither tomllib nor tomli (as a bare Python 3.9 image)."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    for name in ("tomllib", "tomli"):
        (shadow / ("%s.py" % name)).write_text("raise ImportError(%r)\n" % ("no module named %s (shadowed)" % name))
    return runtime_env(PYTHONPATH=os.pathsep.join((str(shadow), str(RUNTIME_PARENT))))


def run_python(env, *args, cwd=None):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_without_a_reader_the_error_is_an_import_error_with_the_fix(without_reader):
    result = run_python(
        without_reader,
        "-c",
        textwrap.dedent("""
        from aiges import tomlcompat
        try:
            tomlcompat.loads("a = 1")
        except ImportError as error:
            assert isinstance(error, tomlcompat.TomlReaderMissing)
            print(error)
    """),
    )
    assert result.returncode == 0, result.stderr
    assert "needs tomli: pip install tomli" in result.stdout
    assert 'tomli>=1.1; python_version < "3.11"' in result.stdout  # where a generated project has it


@pytest.fixture
def project_dir(tmp_path):
    root = tmp_path / "project"
    (root / "wrapper").mkdir(parents=True)
    (root / "wrapper" / "wrapper.py").write_text(WRAPPER, encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "aiges.toml").write_text('[aiges]\nsessMode = false\n\n[wrapper]\n"log.level" = "info"\n')
    return root


@pytest.mark.parametrize("command", [["check"], ["render"], ["run"]])
def test_commands_without_a_reader_exit_2_with_the_fix_and_no_traceback(without_reader, project_dir, command):
    result = run_python(without_reader, "-m", "aiges", *command, cwd=project_dir)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "reading TOML on Python %d.%d needs tomli: pip install tomli" % sys.version_info[:2] in result.stderr
    assert "Traceback" not in result.stderr


def test_serving_without_a_reader_treats_the_rendered_session_mode_as_unset(without_reader, project_dir):
    """Inside the image (no pyproject.toml) the wrapper's declarations read aiges.toml; a missing reader must
    not stop the plugin from loading (the image's build step refuses such an image already)."""
    os.remove(project_dir / "pyproject.toml")
    wrapper = str(project_dir / "wrapper" / "wrapper.py")
    os.replace(project_dir / "aiges.toml", project_dir / "wrapper" / "aiges.toml")
    code = "from aiges import sessionmode; print(sessionmode.project_setting(%r))" % wrapper
    assert run_python(without_reader, "-c", code).stdout.strip() == "(None, '')"
    assert run_python(runtime_env(), "-c", code).stdout.strip() == "('once', 'aiges.toml [aiges].sessMode')"
