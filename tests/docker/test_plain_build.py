"""A plain ``docker build .`` (no ``python -m aiges build``) refuses what would break at the loader.

Stale rendered files fail the build with the message of ``python -m aiges check``, read without
importing wrapper.py (so a dependency it imports need not be installed for the check), and a
``pythonPluginCmd`` that would start another interpreter than the one requirements.txt went into
fails it too. Real builds with the classic builder on the stand-in base (marker ``docker``).
"""

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.docker import support

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def docker_build(project: Path, base: str, tag: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    done = subprocess.run(
        ["docker", "build", "--build-arg", f"BASE_IMAGE={base}", "-t", tag, "."],
        cwd=str(project),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        support.remove_failed_build(done.stdout)
    return done


@pytest.fixture
def project(bake_variant: Any, tmp_path: Path) -> Path:
    return support.copy_project(bake_variant(plugin_mode="grpc", session_mode="once"), tmp_path / "project")


def test_stale_rendered_files_fail_a_plain_docker_build_with_the_checks_message(
    docker_engine: str, project: Path, image_cleanup: Any
) -> None:
    wrapper = project / "wrapper" / "wrapper.py"
    source = wrapper.read_text(encoding="utf-8")
    # a new output, and an import of a package the image does not have: the check must not need it
    missing = "from typing import Any\nimport numpy_that_is_not_installed  # noqa\n"
    source = source.replace("from typing import Any\n", missing, 1)
    source = re.sub(r'(accept_result = JsonBodyField\(key=")result(")', r"\1answer\2", source, count=1)
    assert "numpy_that_is_not_installed" in source and 'key="answer"' in source
    wrapper.write_text(source, encoding="utf-8")
    expected = support.aiges_cli(project, "check")
    assert expected.returncode == 1

    done = docker_build(project, docker_engine, image_cleanup(support.test_tag("stale")))
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    for line in expected.stderr.strip().splitlines():  # the same verdict and advice as `python -m aiges check`
        assert line in output, f"{line!r} missing from the build's output:\n{output[-3000:]}"
    assert "aiges check --in-image" in output and "numpy_that_is_not_installed" not in output.split("Step")[-1]


def test_a_current_project_builds_and_the_check_leaves_nothing_behind(
    docker_engine: str, project: Path, image_cleanup: Any
) -> None:
    tag = image_cleanup(support.test_tag("plain"))
    done = docker_build(project, docker_engine, tag)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    code, _ = support.run_in_image(tag, ["test", "!", "-e", "/home/aiges/pyproject.toml"])
    assert code == 0, "the check's copy of pyproject.toml is removed after it ran"


def test_a_plugin_command_with_another_interpreter_fails_the_build(
    docker_engine: str, project: Path, image_cleanup: Any
) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text = text.replace(
        "[tool.aiges]\n", "[tool.aiges]\nplugin_cmd = \"python2 -c 'from aiges.serve import run; run()'\"\n", 1
    )
    pyproject.write_text(text, encoding="utf-8")
    assert support.aiges_cli(project, "render", "-q").returncode == 0
    done = docker_build(project, docker_engine, image_cleanup(support.test_tag("python2")))
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "[aiges].pythonPluginCmd runs 'python2' (not found here)" in output
    assert "make plugin_cmd in [tool.aiges] start with python3" in output
