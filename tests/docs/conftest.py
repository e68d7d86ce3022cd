"""Fixtures of the documentation tests: a project generated from the checkout."""

import subprocess
import sys
from pathlib import Path

import pytest
from docs_runner import REPO


@pytest.fixture(scope="session")
def baked_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated from the checkout with every default answer (cookiecutter, no input)."""
    out = tmp_path_factory.mktemp("bake")
    config = out / "cookiecutter-config.yaml"
    config.write_text(f"cookiecutters_dir: {out / 'cc'}\nreplay_dir: {out / 'replay'}\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            str(REPO),
            "--no-input",
            "-o",
            str(out / "out"),
            "--config-file",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"baking the template failed:\n{done.stdout}\n{done.stderr}")
    projects = [path for path in (out / "out").iterdir() if path.is_dir()]
    assert len(projects) == 1, projects
    return projects[0]
