"""Helpers of the documentation tests: the runtime's own introspection and the pages' text.

(Not in conftest.py: several conftest modules share that name, so tests import this one.)
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from docs_runner import DOCS, REPO, TEMPLATE_RUNTIME


def runtime_module_file(module: str) -> Path:
    """Where a runtime module ``aiges.x.y`` lives in the template tree (file or package)."""
    relative = Path(*module.split("."))
    plain = TEMPLATE_RUNTIME / relative.with_suffix(".py")
    return (
        plain
        if plain.is_file() or not (TEMPLATE_RUNTIME / relative).is_dir()
        else (TEMPLATE_RUNTIME / relative / "__init__.py")
    )


def skip_unless_landed(module: str, feature: str) -> None:
    """Skip while a feature's module is absent from the runtime; once it exists the test runs."""
    path = runtime_module_file(module)
    if not path.is_file():
        pytest.skip(f"waiting for {feature} ({path.relative_to(REPO)})")


def runtime_json(code: str) -> object:
    """Run ``code`` against the template's runtime in a fresh interpreter; it prints one JSON value."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=str(TEMPLATE_RUNTIME),
        env={"PYTHONPATH": str(TEMPLATE_RUNTIME), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"runtime introspection failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def page_text(relative: str) -> str:
    return (DOCS / relative).read_text(encoding="utf-8")


def load_toml(text: str) -> dict:
    """Parse TOML with tomllib (3.11+) or tomli (the test dependency on older Pythons)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib.loads(text)
