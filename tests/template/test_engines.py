"""cookiecutter, copier and cruft make byte-identical projects from the one template tree."""

import difflib
from pathlib import Path
from typing import Dict

import pytest

from tests.template import support

ANSWER_SETS: Dict[str, Dict[str, str]] = {
    "defaults": {},
    "cgo-stream-audio": {
        "plugin_mode": "cgo",
        "session_mode": "stream",
        "example": "audio",
        "ci": "gitlab",
        "python_version": "3.11",
        "pip_index_url": "https://pypi.internal.example/simple",
    },
    "text-in-names": {
        "example": "image",
        "ci": "none",
        "project_name": "my.plugin_x",
        "service_id": "svc_01",
        "service_version": "2024.1-beta",
        "description": "Quotes \"x\" and 'y', a back\\slash, {braces}, 科大讯飞 ✓",
        "author": "Zoë O'Brien <zoe@example.com>",
    },
}


def describe_differences(left: Path, right: Path, left_name: str, right_name: str) -> str:
    left_files, left_folders = support.snapshot(left)
    right_files, right_folders = support.snapshot(right)
    report = []
    for name in sorted(set(left_files) ^ set(right_files)):
        report.append(f"only in {left_name if name in left_files else right_name}: {name}")
    for name in sorted(set(left_folders) ^ set(right_folders)):
        report.append(f"folder only in {left_name if name in left_folders else right_name}: {name}")
    for name in sorted(set(left_files) & set(right_files)):
        if left_files[name] != right_files[name]:
            try:
                before, after = left_files[name].decode().splitlines(), right_files[name].decode().splitlines()
                diff = difflib.unified_diff(before, after, f"{left_name}/{name}", f"{right_name}/{name}", lineterm="")
                report.append("\n".join(list(diff)[:40]))
            except UnicodeDecodeError:
                report.append(f"binary file differs: {name}")
    return "\n".join(report)


@pytest.fixture(scope="module")
def by_engine(
    cookies_session, template_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Path]]:
    made: Dict[str, Dict[str, Path]] = {}
    for name, answers in ANSWER_SETS.items():
        root = tmp_path_factory.mktemp(f"engines-{name}")
        result = cookies_session.bake(extra_context=answers, template=str(template_repo))
        assert result.exit_code == 0, f"cookiecutter: {result.exception!r}"
        project_name = answers.get("project_name", support.PROJECT)
        made[name] = {
            "cookiecutter": Path(result.project_path),
            "copier": support.bake_copier(template_repo, root / "copier" / project_name, answers),
            "cruft": support.bake_cruft(template_repo, root / "cruft", answers),
        }
    return made


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["copier", "cruft"])
@pytest.mark.parametrize("answers", sorted(ANSWER_SETS))
def test_engine_makes_the_same_project_as_cookiecutter(
    by_engine: Dict[str, Dict[str, Path]], answers: str, engine: str
) -> None:
    projects = by_engine[answers]
    differences = describe_differences(projects["cookiecutter"], projects[engine], "cookiecutter", engine)
    assert not differences, differences


@pytest.mark.slow
def test_each_engine_writes_its_own_answers_file(by_engine: Dict[str, Dict[str, Path]]) -> None:
    projects = by_engine["defaults"]
    assert (projects["copier"] / ".copier-answers.yml").is_file()
    assert (projects["cruft"] / ".cruft.json").is_file()
    assert not (projects["cookiecutter"] / ".copier-answers.yml").exists()
    assert not (projects["copier"] / ".cruft.json").exists()


@pytest.mark.slow
def test_special_characters_survive_as_data(by_engine: Dict[str, Dict[str, Path]]) -> None:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    answers = ANSWER_SETS["text-in-names"]
    project = by_engine["text-in-names"]["copier"]
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert settings["project"]["description"] == answers["description"]
    from aiges import settings as runtime_settings  # what render and build read

    assert runtime_settings.tool_settings(str(project)) == settings["tool"]["aiges"]
    assert answers["author"] in (project / "README.md").read_text(encoding="utf-8")
    result = support.python("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
