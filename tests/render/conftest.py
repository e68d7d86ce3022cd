"""Fixtures of the render tests.

``--update-golden`` rewrites tests/render/golden/ instead of comparing with it. pytest only knows
the option when this folder is named on the command line (``pytest tests/render --update-golden``);
``AIGES_UPDATE_GOLDEN=1`` does the same from anywhere.
"""

import os
from pathlib import Path

import pytest

from .support import make_project


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/render/golden from the current rendering instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return (
        bool(request.config.getoption("--update-golden", default=False)) or os.environ.get("AIGES_UPDATE_GOLDEN") == "1"
    )


@pytest.fixture
def project(tmp_path: Path):
    """``project(fixture, plugin_mode, settings)``: a fresh project folder under tmp_path."""
    counter = [0]

    def build(fixture: str = "once_text", plugin_mode: str = "grpc", settings: str = "") -> Path:
        counter[0] += 1
        return make_project(
            tmp_path / ("%s-%s-%d" % (fixture, plugin_mode, counter[0])), fixture, plugin_mode, settings
        )

    return build
