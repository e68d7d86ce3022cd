"""Helpers of the render tests: paths, fixture projects, running the CLI as a user would."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TEMPLATE = REPO / "{{cookiecutter.project_name}}"
RUNTIME_PARENT = TEMPLATE / "wrapper"
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
FIXTURE_NAMES = ("once_text", "once_image", "stream_audio", "all_fields")
PLUGIN_MODES = ("grpc", "cgo")
PY39 = Path("/root/.pyenv/versions/3.9.18/bin/python")

if str(RUNTIME_PARENT) not in sys.path:
    sys.path.insert(0, str(RUNTIME_PARENT))


def make_project(target: Path, fixture: str, plugin_mode: str = "grpc", settings: str = "") -> Path:
    """A generated-project layout (pyproject.toml + wrapper/) holding fixture ``fixture``."""
    shutil.copytree(str(FIXTURES / fixture), str(target))
    (target / "pyproject.toml").write_text(
        '[tool.aiges]\nplugin_mode = "%s"\n%s' % (plugin_mode, settings), encoding="utf-8"
    )
    return target


def runtime_env(python_path: Optional[List[str]] = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(RUNTIME_PARENT), *(python_path or [])])
    env.pop("AIGES_LOG_LEVEL", None)
    return env


def run_aiges(
    args: List[str], cwd: Path, python: str = sys.executable, python_path: Optional[List[str]] = None
) -> subprocess.CompletedProcess:
    """``python -m aiges <args>`` in ``cwd`` with the template's runtime, as a user would run it."""
    return subprocess.run(
        [python, "-m", "aiges", *args],
        cwd=str(cwd),
        env=runtime_env(python_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def snapshot(root: Path) -> dict:
    """Every file under root (relative path -> bytes), to prove a failed render touched nothing."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}
