"""Fixtures of the Docker tests: baked projects (shared per session), the engine and the stand-in base.

Without an engine the integration tests are skipped, loudly (a banner at the end of the run); with
``CI=true`` they fail instead, because CI must prove that generated projects build and run.
"""

from pathlib import Path
from typing import Callable, Dict, List

import pytest

from tests.conftest import REPO
from tests.docker import support

_SKIPPED: List[str] = []


@pytest.fixture(scope="session")
def bake_variant(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``bake_variant(plugin_mode="cgo", ...)``: a project baked once per set of answers in this session."""
    if not (REPO / "cookiecutter.json").is_file():
        pytest.skip("waiting for the template questions (cookiecutter.json)")
    made: Dict[str, Path] = {}
    root = tmp_path_factory.mktemp("docker-bakes")

    def bake(**answers: str) -> Path:
        key = support.variant_id(answers)
        if key not in made:
            made[key] = support.bake(answers, root / key)
        return made[key]

    return bake


def _unavailable(reason: str) -> None:
    if support.ci():
        pytest.fail(f"CI=true, so the Docker tests must run, but {reason}", pytrace=False)
    message = f"DOCKER TESTS SKIPPED: {reason}. Run `sudo bash .ci/docker-setup.sh`, then the tests again."
    _SKIPPED.append(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def docker_engine() -> str:
    """A reachable engine with the stand-in base image (made on first use); returns the base's tag."""
    problem = support.engine_problem()
    if problem is None:
        problem = support.ensure_base_image()
    if problem is not None:
        _unavailable(problem)
    return support.BASE_IMAGE


@pytest.fixture(scope="session")
def image_cleanup() -> Callable[[str], str]:
    """Register an image tag to remove at the end of the session (the base and its cache stay)."""
    tags: List[str] = []
    yield lambda tag: tags.append(tag) or tag
    for tag in reversed(tags):
        support.remove_image(tag)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED:
        line = "!" * 100
        terminalreporter.write_line(line, red=True, bold=True)
        terminalreporter.write_line(_SKIPPED[0], red=True, bold=True)
        terminalreporter.write_line("No image was built: the Dockerfile was only checked statically.", red=True)
        terminalreporter.write_line(line, red=True, bold=True)
