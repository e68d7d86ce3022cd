"""The generated README's gateway section works as written: start the gateway, run its example, read the answer."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from tests.loader_requests import http_request_problems

PORT_IN_README = 1888


def readme_example(project: Path) -> str:
    """The shell block that follows "Then, in another terminal" in the gateway section, exactly as written.

    The section's blocks are ```bash, not ```sh: test_bake runs every ```sh line one by one, and these
    need a running gateway (this file runs them)."""
    text = (project / "README.md").read_text()
    section = text.split("## See it serve like production, locally", 1)[1].split("\n## ", 1)[0]
    assert "python -m aiges gateway" in section
    after = section.split("Then, in another terminal", 1)[1]
    found = re.search(r"```bash\n(.*?)\n```", after, re.S)
    assert found, section
    return found.group(1)


def environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))  # `python` = this one
    env.pop("PYTHONPATH", None)  # the project's own runtime, through its aiges/ shim
    return env


def start(project: Path) -> "subprocess.Popen[str]":
    process = subprocess.Popen(
        [sys.executable, "-m", "aiges", "gateway"],
        cwd=str(project),
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    banner: List[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        banner.append(line)
        if line.startswith("  (Ctrl-C stops"):
            return process
    process.kill()
    raise AssertionError(
        "the gateway did not start (is port %d busy?):\n%s%s"
        % (PORT_IN_README, "".join(banner), process.stderr.read() if process.stderr else "")
    )


def answers_of(project: Path) -> List[dict]:
    process = start(project)
    try:
        result = subprocess.run(
            ["bash", "-c", readme_example(project)],
            cwd=str(project),
            env=environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.communicate(timeout=60)
    assert result.returncode == 0, result.stderr
    assert process.returncode == 0
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("variant", ["defaults", "example=image"])
def test_the_readme_curl_command_gets_the_plugins_answer(bake, variant):
    project = bake(variant)
    assert "curl" in readme_example(project)
    request = json.loads(
        subprocess.run(
            [sys.executable, "-m", "aiges", "schema", "--request"],
            cwd=str(project),
            env=environment(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert http_request_problems(request) == []
    [answer] = answers_of(project)
    assert answer["header"]["code"] == 0 and answer["header"]["message"] == "success"
    assert answer["payload"], answer
    for entry in answer["payload"].values():
        if "text" in entry and entry.get("format") == "json":
            json.loads(entry["text"])  # a JSON output arrives as readable JSON, not base64


def test_the_readme_websocket_example_streams_the_session(bake):
    project = bake("session_mode=stream")
    example = readme_example(project)
    assert "ws://127.0.0.1:%d/" % PORT_IN_README in example
    answers = answers_of(project)
    assert answers[0]["header"] == {"code": 0, "message": "success", "sid": answers[0]["header"]["sid"], "status": 0}
    assert len(answers) >= 2 and all(answer["header"]["code"] == 0 for answer in answers)
    assert answers[-1]["header"]["status"] in (2, 3)
    assert answers[-1]["payload"]
