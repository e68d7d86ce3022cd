"""Every variant of the template bakes into a project that is fully rendered, lint clean and passes its
own tests; the README's commands work as written."""

import ast
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Callable, List

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

from tests.template import support

VARIANTS = sorted(support.variants())
UNRENDERED = re.compile(r"\{\{|\{%|\{#|cookiecutter\.")
BINARY_SAMPLES = {".png", ".wav"}
SAMPLE_BY_EXAMPLE = {"text": "sample.txt", "image": "sample.png", "audio": "sample.wav"}


def answers_of(variant: str) -> dict:
    return support.variants()[variant]


@pytest.mark.parametrize("variant", VARIANTS)
def test_everything_is_rendered(bake: Callable[[str], Path], variant: str) -> None:
    project = bake(variant)
    leftovers = []
    for path in sorted(project.rglob("*")):
        if not path.is_file() or path.suffix in BINARY_SAMPLES or "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8").replace("${{", "")  # GitHub Actions expressions stay
        for number, line in enumerate(text.splitlines(), 1):
            if UNRENDERED.search(line):
                leftovers.append(f"{path.relative_to(project)}:{number}: {line.strip()}")
    assert not leftovers, "unrendered template syntax:\n" + "\n".join(leftovers)


@pytest.mark.parametrize("variant", VARIANTS)
def test_layout_and_answers_reach_the_files(bake: Callable[[str], Path], variant: str) -> None:
    answers = {
        "plugin_mode": "grpc",
        "session_mode": "once",
        "example": "text",
        "ci": "github",
        "python_version": "3.9",
        **answers_of(variant),
    }
    project = bake(variant)
    for name in (
        "wrapper/wrapper.py",
        "aiges/__init__.py",
        "wrapper/aiges/sdk.py",
        "pyproject.toml",
        "requirements.txt",
        "requirements-dev.txt",
        "README.md",
        ".gitignore",
        ".gitattributes",
        "schema.json",
        "aiges.toml",
        "xtest.toml",
        "tests/test_example.py",
        "tests/test_local_run.py",
        "deploy/k8s/deployment.yaml",
        "deploy/k8s/service.yaml",
        "deploy/k8s/hpa.yaml",
    ):
        assert (project / name).is_file(), name
    assert sorted(path.name for path in (project / "wrapper" / "test_data").iterdir()) == [
        SAMPLE_BY_EXAMPLE[answers["example"]]
    ]
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    # the loader's admission and the plugin's own concurrency, two numbers (spec 13.1)
    assert settings["tool"]["aiges"] == {
        "plugin_mode": answers["plugin_mode"],
        "session_mode": answers["session_mode"],
        "fc_max": 100,
        "workers": 0,
        "gpu": 0,
    }
    assert settings["tool"]["ruff"]["target-version"] == "py" + answers["python_version"].replace(".", "")
    assert settings["tool"]["ruff"]["extend-exclude"] == ["wrapper/aiges", "aiges", "output"]
    from aiges import settings as runtime_settings  # what render and build read

    assert runtime_settings.tool_settings(str(project)) == settings["tool"]["aiges"]
    requirements = [
        line.split("#")[0].strip() for line in (project / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    assert ("protobuf>=3.20" in requirements) == (answers["plugin_mode"] == "grpc")
    assert not any(line.startswith("grpcio") for line in requirements)  # the built-in HTTP/2 transport needs none
    assert (project / ".github" / "workflows" / "ci.yml").is_file() == (answers["ci"] == "github")
    assert (project / ".gitlab-ci.yml").is_file() == (answers["ci"] == "gitlab")
    wrapper = (project / "wrapper" / "wrapper.py").read_text(encoding="utf-8")
    assert ("def wrapperCreate" in wrapper) == (answers["session_mode"] == "stream")
    aiges_toml = tomllib.loads((project / "aiges.toml").read_text(encoding="utf-8"))
    assert aiges_toml["aiges"]["sessMode"] == (answers["session_mode"] == "stream")


@pytest.mark.parametrize("variant", VARIANTS)
def test_samples_are_copied_byte_for_byte(bake: Callable[[str], Path], variant: str) -> None:
    project = bake(variant)
    (sample,) = (project / "wrapper" / "test_data").iterdir()
    (source,) = [
        path
        for path in (support.REPO / "{{cookiecutter.project_name}}" / "wrapper" / "test_data").iterdir()
        if path.name.endswith(f"{sample.name}{{% endif %}}")
    ]
    assert sample.read_bytes() == source.read_bytes()


@pytest.mark.parametrize("variant", VARIANTS)
def test_python_files_compile(bake: Callable[[str], Path], variant: str) -> None:
    project = bake(variant)
    for path in project.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 9))


@pytest.mark.parametrize("variant", VARIANTS)
def test_ruff_passes(bake: Callable[[str], Path], variant: str) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = support.run([ruff, "check", "--no-cache", "."], cwd=bake(variant))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_generated_test_suite_passes(bake: Callable[[str], Path], variant: str) -> None:
    result = support.python("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=bake(variant))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def readme_commands(readme: str) -> List[str]:
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
        commands.extend(line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#"))
    return commands


NEEDS_MORE_THAN_A_CHECKOUT = ("python -m pip install", "docker ", "copier ", "cruft ", "curl ")  # network, engine, git


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["defaults", support.variant_id(support.PAIRWISE[0])])
def test_readme_commands_work_from_the_project_root(bake: Callable[[str], Path], variant: str, tmp_path: Path) -> None:
    project = shutil.copytree(bake(variant), tmp_path / "project")
    commands = readme_commands((project / "README.md").read_text(encoding="utf-8"))
    assert any(command.startswith("python -m aiges run") for command in commands)
    ran = 0
    for command in commands:
        if command.startswith(NEEDS_MORE_THAN_A_CHECKOUT) or command == "python -m aiges build":
            continue
        command, _, target = command.partition(" > ")  # `... > file`: stdout into that file
        words = shlex.split(command)
        assert words[0] == "python", f"README command is not run with python: {command}"
        result = support.python(*words[1:], cwd=project)
        assert result.returncode == 0, f"`{command}` failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        if target:
            (project / target.strip()).write_text(result.stdout, encoding="utf-8")
        ran += 1
    assert ran >= 8


def test_committed_samples_are_what_the_generator_makes() -> None:
    result = support.python("helpers/make_test_data.py", "--check", cwd=support.REPO)
    assert result.returncode == 0, result.stderr


def test_binary_samples_are_copied_not_rendered_by_every_engine() -> None:
    """cookiecutter copies what binaryornot calls binary; copier copies what is not UTF-8."""
    from binaryornot.check import is_binary

    folder = support.REPO / "{{cookiecutter.project_name}}" / "wrapper" / "test_data"
    for path in folder.iterdir():
        if path.name.endswith(("sample.png{% endif %}", "sample.wav{% endif %}")):
            assert is_binary(str(path)), path.name
            with pytest.raises(UnicodeDecodeError):
                path.read_bytes().decode("utf-8")


def test_template_pyproject_is_valid_toml_and_hides_the_template_from_ruff() -> None:
    """ruff and other tools find the template's pyproject.toml in this repository: it must parse, and it
    must not make ruff lint the Jinja sources beside it."""
    text = (support.REPO / "{{cookiecutter.project_name}}" / "pyproject.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["tool"]["ruff"]["extend-exclude"] == ["*"]


@pytest.mark.parametrize(
    "answers",
    [
        {"ci": "github", "pip_index_url": "https://mirror.example.com/simple"},
        {"ci": "gitlab", "python_version": "3.11"},
    ],
    ids=["github", "gitlab"],
)
def test_ci_file_runs_lint_drift_check_and_tests(cookies, template_repo: Path, answers: dict) -> None:
    import yaml

    result = cookies.bake(extra_context=answers, template=str(template_repo))
    assert result.exit_code == 0, repr(result.exception)
    project = Path(result.project_path)
    if answers["ci"] == "github":
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
        job = workflow["jobs"]["test"]
        commands = [step["run"] for step in job["steps"] if "run" in step]
        assert job["env"]["PIP_INDEX_URL"] == answers["pip_index_url"]
        assert workflow["concurrency"]["group"] == "${{ github.workflow }}-${{ github.ref }}"
    else:
        job = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))["test"]
        commands = job["script"]
        assert job["image"] == "python:3.11-slim" and "PIP_INDEX_URL" not in job["variables"]
    assert commands == [
        "python -m pip install -r requirements-dev.txt",
        "python -m ruff check .",
        "python -m aiges check",
        "python -m pytest",
    ]
