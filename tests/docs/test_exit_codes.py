"""The documented exit statuses are the real ones: every status the reference names is provoked.

Two pages document them: the table under "Exit statuses" in docs/reference/errors.md and the
"Exit status:" sentence of each command in docs/reference/cli.md. Both are read; they must name the
same statuses per command, and for each (command, status) a scenario below makes the real command
exit with it. A status in the docs without a scenario, or a scenario whose status the docs omit,
fails the test, so the pages and the code cannot drift apart.
"""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Set, Tuple

import pytest
from docs_runner import REPO
from docs_support import page_text

sys.path.insert(0, str(REPO))
from tests.conftest import aiges_cli, runtime_env
from tests.render.support import make_project

CLI_PAGE = "reference/cli.md"
ERRORS_PAGE = "reference/errors.md"
EN_DASH = "\u2013"  # the table's "not used"
COMMANDS = ("run", "schema", "render", "check", "serve", "build")


# -- what the docs say --------------------------------------------------------------------------------


def table_statuses() -> Dict[str, Set[int]]:
    """errors.md's table: command -> statuses whose cell is not a dash (the 'other' column names its own)."""
    text = page_text(ERRORS_PAGE).split("{#exit-statuses}", 1)[1]
    found: Dict[str, Set[int]] = {}
    for line in text.splitlines():
        match = re.match(r"^\| `python -m aiges(?: (\w+))?`[^|]*\|(.*)\|\s*$", line)
        if not match:
            continue
        cells = [cell.strip() for cell in match.group(2).split("|")]
        statuses = {status for status, cell in zip((0, 1, 2), cells[:3]) if cell not in (EN_DASH, "-", "")}
        statuses |= {int(code) for code in re.findall(r"(\d+):", cells[3])}
        found[match.group(1) or ""] = statuses
    return found


def cli_statuses() -> Dict[str, Set[int]]:
    """cli.md: the statuses of each command's "Exit status:" sentence (``0 ...; 1 ...; 2 ...``)."""
    found: Dict[str, Set[int]] = {}
    for chunk in re.split(r"(?m)^## ", page_text(CLI_PAGE))[1:]:
        heading = re.match(r"`python -m aiges (\w+)`", chunk)
        if not heading:
            continue
        sentence = chunk.split("Exit status:", 1)[1].split("\n\n", 1)[0] if "Exit status:" in chunk else ""
        found[heading.group(1)] = {int(code) for code in re.findall(r"(?:^|;)\s*(\d) ", " " + sentence.strip())}
    return found


# -- provoking each status ----------------------------------------------------------------------------


def aiges(cwd: Path, *args: str, **env: str) -> int:
    """The exit status of ``python -m aiges <args>`` in ``cwd``, with ``env`` added to the runtime's environment."""
    return aiges_cli(cwd, *args, env=runtime_env(**env)).returncode


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def without_module(tmp: Path, name: str) -> str:
    """A PYTHONPATH entry that makes ``import <name>`` fail as if the package were not installed."""
    folder = tmp / f"no-{name}"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(
        f"raise ImportError(\"No module named '{name}' (hidden by the test)\")\n", encoding="utf-8"
    )
    return str(folder)


def good(tmp: Path) -> Path:
    project = make_project(tmp / "project", "once_text")
    assert aiges(project, "render") == 0
    return project


def buildable(tmp: Path) -> Path:
    project = good(tmp)
    (project / "Dockerfile").write_text(
        "ARG BASE_IMAGE=aiges-test/base:py39\nFROM ${BASE_IMAGE}\nENV AIGES_PLUGIN_MODE=python\n", encoding="utf-8"
    )
    return project


def empty(tmp: Path) -> Path:
    folder = tmp / "empty"
    folder.mkdir()
    return folder


def failing_exec(tmp: Path) -> Path:
    project = good(tmp)
    edit(
        project / "wrapper" / "wrapper.py",
        '    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):\n',
        '    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):\n'
        '        raise RuntimeError("the model broke")\n',
    )
    return project


def wrong_declarations(tmp: Path) -> Path:
    project = good(tmp)
    edit(project / "wrapper" / "wrapper.py", "responseCls = UserResponse()", "responseCls = None")
    return project


def stale(tmp: Path) -> Path:
    project = good(tmp)
    edit(project / "schema.json", "{", '{"stale": true, ')
    return project


def serve_until_stopped(tmp: Path) -> int:
    """Started as the loader starts it, stopped with SIGTERM after its handshake: a clean stop."""
    project = good(tmp)
    env = runtime_env(BASIC_PLUGIN="hello", PLUGIN_PROTOCOL_VERSIONS="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "aiges.serve", "--wrapper", str(project / "wrapper")],
        cwd=str(project / "wrapper"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        handshake = process.stdout.readline() if process.stdout else ""
        assert handshake.startswith("1|1|"), handshake
        for line in process.stderr if process.stderr else []:  # ready: wrapper loaded, signals handled
            if "serving on" in line:
                break
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


SCENARIOS: Dict[Tuple[str, int], Callable[[Path], int]] = {
    ("", 2): lambda tmp: aiges(tmp),
    ("run", 0): lambda tmp: aiges(good(tmp), "run", "--no-output"),
    ("run", 1): lambda tmp: aiges(failing_exec(tmp), "run", "--no-output"),
    ("run", 2): lambda tmp: aiges(empty(tmp), "run"),
    ("schema", 0): lambda tmp: aiges(good(tmp), "schema"),
    ("schema", 2): lambda tmp: aiges(empty(tmp), "schema"),
    ("render", 0): lambda tmp: aiges(good(tmp), "render"),
    ("render", 1): lambda tmp: aiges(wrong_declarations(tmp), "render"),
    ("render", 2): lambda tmp: aiges(empty(tmp), "render"),
    ("check", 0): lambda tmp: aiges(good(tmp), "check"),
    ("check", 1): lambda tmp: aiges(stale(tmp), "check"),
    ("check", 2): lambda tmp: aiges(wrong_declarations(tmp), "check"),
    ("serve", 0): serve_until_stopped,
    ("serve", 1): lambda tmp: aiges(good(tmp), "serve", BASIC_PLUGIN=""),
    ("serve", 2): lambda tmp: aiges(
        good(tmp), "serve", "--listen", "unix", "--port", "5000", BASIC_PLUGIN="hello", PLUGIN_PROTOCOL_VERSIONS="1"
    ),
    ("build", 0): lambda tmp: aiges(buildable(tmp), "build", "--dry-run"),
    ("build", 1): lambda tmp: aiges(empty(tmp), "build"),
    ("build", 2): lambda tmp: aiges(
        buildable(tmp),
        "build",
        PYTHONPATH=os.pathsep.join([without_module(tmp, "docker"), runtime_env()["PYTHONPATH"]]),
    ),
    ("build", 3): lambda tmp: aiges(buildable(tmp), "build", DOCKER_HOST="unix:///nonexistent/docker.sock"),
}


def test_both_pages_name_the_same_statuses() -> None:
    table, sentences = table_statuses(), cli_statuses()
    assert set(COMMANDS) <= set(table) and set(COMMANDS) <= set(sentences), (table, sentences)
    for command in COMMANDS:
        assert table[command] == sentences[command], (
            f"{command}: errors.md's table says {sorted(table[command])}, cli.md says {sorted(sentences[command])}"
        )


def test_every_documented_status_has_a_scenario_and_no_scenario_is_undocumented() -> None:
    documented = {(command, status) for command, statuses in table_statuses().items() for status in statuses}
    assert documented == set(SCENARIOS), (
        f"documented but not provoked: {sorted(documented - set(SCENARIOS))}; "
        f"provoked but not documented: {sorted(set(SCENARIOS) - documented)}"
    )


@pytest.mark.parametrize(
    ("command", "status"), sorted(SCENARIOS), ids=[f"{c or 'aiges'}-{s}" for c, s in sorted(SCENARIOS)]
)
def test_the_documented_status_is_the_real_one(command: str, status: int, tmp_path: Path) -> None:
    if command == "build":
        pytest.importorskip("docker")
    assert SCENARIOS[(command, status)](tmp_path) == status


def test_a_missing_optional_dependency_exits_2_for_every_command_that_has_one(tmp_path: Path) -> None:
    """cli.md: "a command whose dependency is missing says which one and exits 2"."""
    project = buildable(tmp_path)
    hidden = os.pathsep.join(
        [without_module(tmp_path, "docker"), without_module(tmp_path, "tomli_w"), runtime_env()["PYTHONPATH"]]
    )
    for args in (["build"], ["render"], ["check"]):
        result = aiges_cli(project, *args, env=runtime_env(PYTHONPATH=hidden))
        assert result.returncode == 2, f"{args}: {result.returncode}\n{result.stderr}"
