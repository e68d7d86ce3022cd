{% set stream = cookiecutter.session_mode == "stream" %}
"""The plugin through the runtime's own tools, in subprocesses, as a developer and CI run them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFUSED_PARAM = "{{ {'text': 'mode=shout', 'image': 'algorithm=crc32', 'audio': 'channel=center'}[cookiecutter.example] }}"


def aiges(*args: str) -> subprocess.CompletedProcess:
    """``python -m aiges ...`` from the project root."""
    return subprocess.run([sys.executable, "-m", "aiges", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.parametrize("emulate", ["grpc", "cgo"])
def test_local_run_passes_in_the_loaders_call_order(tmp_path: Path, emulate: str) -> None:
    run = aiges("run", "--emulate", emulate, "--output", str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert summary["passed"]
{% if stream %}
    assert {"wrapperInit", "wrapperCreate", "wrapperWrite", "wrapperDestroy", "wrapperFini"} <= set(summary["phases"])
{% else %}
    assert {"wrapperInit", "wrapperOnceExec", "wrapperFini"} <= set(summary["phases"])
{% endif %}
    results = [json.loads((tmp_path / name).read_bytes()) for name in summary["outputs"]]
    assert results, "the run wrote no result"
    final = results[-1]
{% if cookiecutter.example == "text" %}
    assert final["mode"] == "upper"
    assert final["text"] == final["text"].upper()
    assert final["words"] > 0
{% elif cookiecutter.example == "image" %}
    assert (final["format"], final["width"], final["height"]) == ("png", 64, 48)
{% else %}
    assert (final["sample_rate"], final["channels"], final["bits"]) == (16000, 1, 16)
    assert final["duration_seconds"] == pytest.approx(1.0)
{% endif %}


def test_local_run_reports_a_refused_param(tmp_path: Path) -> None:
    run = aiges("run", "--param", REFUSED_PARAM, "--output", str(tmp_path))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "invalid parameter" in run.stderr


def test_wrapper_py_runs_as_a_script(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(ROOT / "wrapper" / "wrapper.py"), "--output", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_rendered_files_match_wrapper_py() -> None:
    check = aiges("check")
    assert check.returncode == 0, "schema.json, aiges.toml or xtest.toml are stale: run `python -m aiges render`\n" + (
        check.stdout + check.stderr)
