"""Helpers of the documentation tests: the runtime's own introspection and the pages' text.

(Not in conftest.py: several conftest modules share that name, so tests import this one.)
"""

import json
import subprocess
import sys
import textwrap

from docs_runner import DOCS, TEMPLATE_RUNTIME


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
