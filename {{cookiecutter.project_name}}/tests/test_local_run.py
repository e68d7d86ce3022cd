{% set stream = cookiecutter.session_mode == "stream" %}
"""The plugin through the runtime's own tools, in subprocesses, as a developer and CI run them.

Driven by the declarations, the samples and the rendered files only, so these tests stay meaningful
when your model replaces the example (the example's own checks are in test_example.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
    assert summary["outputs"], "the run wrote no result"
    # the run itself checked each result as the loader would: only declared keys, of the declared type


def breaking_value() -> tuple[str, str] | None:
    """A declared param and a value its declaration refuses (outside its enums or bounds), if any."""
    from wrapper import Wrapper

    for field in Wrapper().declarations().params:
        if getattr(field, "enums", None):
            return field.key, "not-" + "-".join(str(item) for item in field.enums)
        if getattr(field, "maximum", None) is not None:
            return field.key, str(field.maximum + 1)
    return None


def test_local_run_reports_a_param_that_breaks_its_declaration(tmp_path: Path) -> None:
    from wrapper import Wrapper

    breaking = breaking_value()
    if breaking is None or getattr(Wrapper.errors, "BAD_PARAM", None) is None:
        pytest.skip("no param with enums or bounds, or no Errors.BAD_PARAM: nothing to refuse")
    key, value = breaking
    run = aiges("run", "--param", f"{key}={value}", "--output", str(tmp_path))
    assert run.returncode == 1, run.stdout + run.stderr
    assert str(int(Wrapper.errors.BAD_PARAM)) in run.stderr and f"param {key!r}" in run.stderr


def test_the_image_recipe_carries_what_the_loader_needs() -> None:
    instructions = [line.split(None, 1) for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.lstrip().startswith("#") and line[:1].isupper()]
    commands = [parts[0] for parts in instructions]
    assert commands.count("FROM") >= 1 and "CMD" in commands
    copied = " ".join(parts[1] for parts in instructions if parts[0] == "COPY" and len(parts) > 1)
    for needed in ("wrapper", "aiges.toml", "schema.json", "requirements.txt"):
        assert needed in copied, f"the Dockerfile does not copy {needed}"


def test_wrapper_py_runs_as_a_script(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(ROOT / "wrapper" / "wrapper.py"), "--output", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_rendered_files_match_wrapper_py() -> None:
    check = aiges("check")
    assert check.returncode == 0, "schema.json, aiges.toml or xtest.toml are stale: run `python -m aiges render`\n" + (
        check.stdout + check.stderr)
