"""The README's cookiecutter install line works with both pipx backends, exactly as written.

pipx 1.18 creates its environments with uv whenever uv is installed, and its uv backend rejects pip
arguments it cannot translate (the old ``--pip-args tomli-w`` trick). The test installs pipx and uv
from the package index into a scratch venv, then runs the README's commands with
``--backend pip`` and ``--backend uv`` (the template URL replaced by the template under test, answers
defaulted), and requires a rendered project.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from tests.template import support

pytestmark = pytest.mark.slow

TEMPLATE_URL = "gh:org/aiges-template"


def readme_cookiecutter_commands() -> List[str]:
    readme = (support.REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("With cookiecutter", 1)[1].split("With copier", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, flags=re.S)
    assert block, "the README shows the cookiecutter commands in a console block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def pipx_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("pipx") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "pipx>=1.18", "uv"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if installed.returncode != 0:
        message = "cannot install pipx and uv from the package index:\n" + installed.stderr[-2000:]
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return venv


def shell_line(command: str, template: Path, out: Path, config: Path) -> str:
    """The README line with the local template and a non-interactive cookiecutter run into ``out``."""
    words = shlex.split(command.replace(TEMPLATE_URL, str(template)))
    if words[0] == "cookiecutter" or (words[:2] == ["pipx", "run"] and "cookiecutter" in words):
        words += ["--no-input", "--output-dir", str(out), "--config-file", str(config)]
    return " ".join(shlex.quote(word) for word in words).replace(" '&&' ", " && ")


def git_settings() -> Dict[str, str]:
    """The private git configuration support.isolated_git set (read when the command starts)."""
    return {key: value for key, value in os.environ.items() if key.startswith("GIT_")}


@pytest.mark.parametrize("backend", ["pip", "uv"])
def test_the_readme_install_line_works_with_this_pipx_backend(
    pipx_venv: Path, template_repo: Path, tmp_path: Path, backend: str
) -> None:
    commands = readme_cookiecutter_commands()
    assert any(command.startswith("pipx ") for command in commands), commands
    home, bin_dir, out = tmp_path / "pipx-home", tmp_path / "pipx-bin", tmp_path / "out"
    env: Dict[str, str] = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(
        PIPX_HOME=str(home),
        PIPX_BIN_DIR=str(bin_dir),
        PIPX_DEFAULT_BACKEND=backend,
        PATH=os.pathsep.join([str(bin_dir), str(pipx_venv / "bin"), env.get("PATH", "")]),
    )
    env.pop("VIRTUAL_ENV", None)
    config = support.cookiecutter_config(tmp_path / "cc")
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        for command in commands:
            line = shell_line(command, template_repo, out, config)
            result = subprocess.run(
                ["bash", "-c", line],
                env={**env, **git_settings()},
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            assert result.returncode == 0, (
                f"`{command}` failed with --backend {backend}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
    assert (out / support.PROJECT / "schema.json").is_file(), "the project was generated and rendered"
    listed = subprocess.run(
        [str(pipx_venv / "bin" / "pipx"), "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    venvs = json.loads(listed.stdout)["venvs"]
    assert venvs["cookiecutter"]["metadata"]["backend"] == backend, "pipx really used this backend"
