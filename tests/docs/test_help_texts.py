"""Every ``--help`` a user can ask for is plain text: no reST markup from the docstrings leaks into it.

argparse prints descriptions and help strings as they are, so a ``double-backtick`` literal or a
``:class:`` role copied from a docstring shows up verbatim in the terminal.
"""

import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from tests.conftest import RUNTIME_PARENT, runtime_env

FIXTURE_WRAPPER = Path(__file__).resolve().parents[1] / "render" / "fixtures" / "once_text" / "wrapper" / "wrapper.py"
REST_MARKUP = [
    (re.compile(r"``"), "a double-backtick literal"),
    (re.compile(r":[a-z]+(?::[a-z]+)?:`"), "a role such as :class:`...`"),
    (re.compile(r"^\.\. [a-z-]+::", re.M), "a directive"),
]


def commands() -> List[str]:
    """Every subcommand `python -m aiges` knows (read from the code, so new commands are covered)."""
    from aiges.__main__ import COMMANDS

    return sorted(COMMANDS)


def help_text(args: List[str], cwd: Path = RUNTIME_PARENT) -> str:
    result = subprocess.run(
        [sys.executable, *args, "--help"],
        cwd=str(cwd),
        env=runtime_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "usage:" in result.stdout, result.stdout
    return result.stdout


def assert_plain(text: str) -> None:
    for pattern, what in REST_MARKUP:
        found = pattern.search(text)
        assert found is None, f"--help shows {what}: {text[max(0, found.start() - 60) : found.end() + 60]!r}"


def test_the_command_list_is_plain_text() -> None:
    assert_plain(help_text(["-m", "aiges"]))


@pytest.mark.parametrize("command", commands())
def test_every_command_help_is_plain_text(command: str) -> None:
    assert_plain(help_text(["-m", "aiges", command]))


def test_the_plugin_server_help_is_plain_text() -> None:
    """The form the loader's pythonPluginCmd uses (and users run to read the options)."""
    assert_plain(help_text(["-m", "aiges.serve"]))


def test_the_wrapper_run_help_is_plain_text() -> None:
    """``python wrapper.py --help`` (a wrapper ending with ``Wrapper().run()``) shows the local run's options."""
    text = FIXTURE_WRAPPER.read_text(encoding="utf-8")
    if "Wrapper().run()" not in text:
        pytest.skip("the fixture wrapper does not end with Wrapper().run()")
    assert_plain(help_text([str(FIXTURE_WRAPPER)], cwd=FIXTURE_WRAPPER.parent))


def test_markup_is_detected() -> None:
    """The check itself: each kind of markup it claims to find is found."""
    for sample in ("use ``render``", "see :class:`Wrapper`", ".. note:: x"):
        with pytest.raises(AssertionError):
            assert_plain(sample)
