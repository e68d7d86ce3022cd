"""The questions: copier.yml and the hook's rules stay in step with cookiecutter.json and helpers/rules.py,
and the rules accept what they should and refuse what they should."""

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.template import support

REPO = support.REPO


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rules() -> ModuleType:
    return load(REPO / "helpers" / "rules.py", "template_rules_under_test")


def test_copier_yml_and_hook_rules_are_in_sync() -> None:
    result = support.python("helpers/sync_copier.py", "--check", cwd=REPO)
    assert result.returncode == 0, "run `python helpers/sync_copier.py`:\n" + result.stdout + result.stderr


def test_sync_check_fails_on_drift(tmp_path: Path) -> None:
    for name in ("cookiecutter.json", "copier.yml", "helpers", "hooks"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, tmp_path / name)
    questions = json.loads((tmp_path / "cookiecutter.json").read_text(encoding="utf-8"))
    questions = {"gpu": ["yes", "no"], **questions}
    (tmp_path / "cookiecutter.json").write_text(json.dumps(questions), encoding="utf-8")
    result = support.python("helpers/sync_copier.py", "--check", cwd=tmp_path)
    assert result.returncode == 1
    assert "+gpu:" in result.stdout and '+    "gpu": [' in result.stdout
    assert support.python("helpers/sync_copier.py", cwd=tmp_path).returncode == 0
    assert support.python("helpers/sync_copier.py", "--check", cwd=tmp_path).returncode == 0


def test_copier_asks_what_cookiecutter_asks() -> None:
    questions = json.loads((REPO / "cookiecutter.json").read_text(encoding="utf-8"))
    copier_yml = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    asked = [name for name in questions if not name.startswith("_")]
    assert [name for name in copier_yml if not name.startswith("_")] == asked
    for name in asked:
        if isinstance(questions[name], list):
            assert list(copier_yml[name]["choices"].values()) == questions[name]
            assert copier_yml[name]["default"] == questions[name][0]
        else:
            assert "validator" in copier_yml[name]
    assert copier_yml["_subdirectory"] == "{% raw %}{{cookiecutter.project_name}}{% endraw %}"
    assert copier_yml["_tasks"] == [["{{ _copier_python }}", "-m", "aiges", "render"]]
    assert copier_yml["_envops"]["undefined"] == "jinja2.StrictUndefined"


def test_every_question_has_a_prompt() -> None:
    questions = json.loads((REPO / "cookiecutter.json").read_text(encoding="utf-8"))
    prompts = questions["__prompts__"]
    for name, value in questions.items():
        if name.startswith("_"):
            continue
        assert name in prompts, name
        if isinstance(value, list):
            assert set(prompts[name]) == {"__prompt__", *value}, name


def test_defaults_pass_the_rules(rules: ModuleType) -> None:
    questions = json.loads((REPO / "cookiecutter.json").read_text(encoding="utf-8"))
    answers = {
        name: value[0] if isinstance(value, list) else value
        for name, value in questions.items()
        if not name.startswith("_")
    }
    answers["service_id"] = "aiges_demo"  # what the default template renders to
    choices = {name: value for name, value in questions.items() if isinstance(value, list)}
    assert rules.all_problems(answers, choices) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("project_name", "aiges-demo"),
        ("project_name", "My.Plugin_2"),
        ("project_name", "a"),
        ("service_id", "s12345678"),
        ("service_id", "ai_ocr_v2"),
        ("service_version", "v1"),
        ("service_version", "backup.0"),
        ("service_version", "2024.1-beta"),
        ("description", 'Quotes "x", back\\slash, {braces}, 科大讯飞 ✓'),
        ("author", "Zoë O'Brien <zoe@example.com>"),
        ("description", ""),
        ("base_image", "iflyopensource/aiges-gpu:10.1-1.17-3.9.13-ubuntu1804-v3.5.2"),
        ("base_image", "registry.example.com:5000/team/aiges-cpu:latest"),
        ("base_image", "python:3.9-slim"),
        ("base_image", "busybox@sha256:" + "a" * 64),
        ("pip_index_url", ""),
        ("pip_index_url", "https://mirror.example.com/simple/"),
    ],
)
def test_rules_accept(rules: ModuleType, name: str, value: str) -> None:
    assert rules.answer_problem(name, value) == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("project_name", ""),
        ("project_name", "-x"),
        ("project_name", "a..b"),
        ("project_name", "a b"),
        ("project_name", "with"),
        ("project_name", "None-"),
        ("project_name", "é"),
        ("service_id", "A"),
        ("service_id", "a-b"),
        ("service_id", "_a"),
        ("service_id", "a_"),
        ("service_id", "lambda"),
        ("service_version", "."),
        ("service_version", "-v"),
        ("service_version", "v" * 33),
        ("description", "x" * 301),
        ("author", "\x00"),
        ("base_image", ""),
        ("base_image", "image:tag with space"),
        ("base_image", 'x"y'),
        ("pip_index_url", "mirror.example.com/simple"),
        ("pip_index_url", "https://x/'quoted'"),
    ],
)
def test_rules_refuse(rules: ModuleType, name: str, value: str) -> None:
    problem = rules.answer_problem(name, value)
    assert problem.startswith(name + " "), problem


def test_choices_are_checked(rules: ModuleType) -> None:
    assert rules.answer_problem("ci", "travis", ["github", "gitlab", "none"]) == (
        "ci 'travis' is not one of the choices: github, gitlab, none"
    )


def test_the_hook_reads_answers_as_data(tmp_path: Path) -> None:
    """The rendered pre-gen hook parses answers from JSON; a value that looks like code stays a value."""
    from cookiecutter.environment import StrictEnvironment

    questions = json.loads((REPO / "cookiecutter.json").read_text(encoding="utf-8"))
    context = {
        name: value[0] if isinstance(value, list) and not name.startswith("_") else value
        for name, value in questions.items()
        if not name.startswith("__")
    }
    marker = tmp_path / "executed"
    context.update(service_id="svc", description=f'""" + __import__("pathlib").Path(r"{marker}").touch() + """')
    environment = StrictEnvironment(
        context={"cookiecutter": context}, keep_trailing_newline=True, **questions["_jinja2_env_vars"]
    )
    hook = environment.from_string((REPO / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8"))
    (tmp_path / "hook.py").write_text(hook.render(cookiecutter=context), encoding="utf-8")
    result = support.python(str(tmp_path / "hook.py"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
