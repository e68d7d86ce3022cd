"""Fixtures of the template tests: one clean template repository and one bake per variant per session."""

from pathlib import Path
from typing import Callable, Dict

import pytest

from tests.template import support


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as it would ship, in a git repository tagged v1.0.0 (copier and cruft need git)."""
    root = tmp_path_factory.mktemp("template")
    with support.isolated_git(root / ".gitconfig-home"):
        return support.copy_template(root / "aiges-template")


@pytest.fixture(scope="session")
def bake(cookies_session, template_repo: Path) -> Callable[[str], Path]:
    """``bake(variant)``: the project cookiecutter (through pytest-cookies) makes for a named variant, once."""
    made: Dict[str, Path] = {}
    known = support.variants()

    def baked(variant: str) -> Path:
        if variant not in made:
            result = cookies_session.bake(extra_context=known[variant], template=str(template_repo))
            assert result.exit_code == 0, f"baking {variant} failed: {result.exception!r}"
            made[variant] = Path(result.project_path)
        return made[variant]

    return baked


@pytest.fixture
def template(template_repo: Path, tmp_path: Path) -> Path:
    """A private clone of the template at v1.0.0 that a test may move forward (release a v2 on it)."""
    clone = tmp_path / "template"
    with support.isolated_git(tmp_path / ".gitconfig-home"):
        support.git(tmp_path, "clone", "-q", str(template_repo), str(clone))
    return clone
