"""Bad answers stop generation in cookiecutter (pre-gen hook) and in copier (validators) alike, with a
message naming the answer and the rule, and leave no project folder behind."""

from pathlib import Path
from typing import Dict

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.template import support

# (answers, what the message must say: it starts with the question's name)
INVALID = [
    ({"project_name": "Bad Name"}, "project_name 'Bad Name' is invalid"),
    ({"project_name": "1plugin"}, "project_name '1plugin' is invalid"),
    ({"project_name": "a/b"}, "project_name 'a/b' is invalid"),
    ({"project_name": "../escape"}, "project_name '../escape' is invalid"),
    ({"project_name": "back\\slash"}, "project_name 'back\\\\slash' is invalid"),
    ({"project_name": "trailing-"}, "project_name 'trailing-' is invalid"),
    ({"project_name": 'say"hi'}, "project_name 'say\"hi' is invalid"),
    ({"project_name": "naïve"}, "project_name 'naïve' is invalid"),
    ({"project_name": "x" * 65}, "project_name '" + "x" * 65 + "' is too long: at most 64 characters"),
    ({"project_name": "class"}, "project_name 'class' is a Python reserved word"),
    ({"project_name": "import", "service_id": "svc"}, "project_name 'import' is a Python reserved word"),
    ({"service_id": "def"}, "service_id 'def' is a Python reserved word"),
    ({"service_id": "Bad-Id"}, "service_id 'Bad-Id' is invalid"),
    ({"service_id": "None"}, "service_id 'None' is invalid"),
    ({"service_id": "double__underscore"}, "service_id 'double__underscore' is invalid"),
    ({"service_id": "9lives"}, "service_id '9lives' is invalid"),
    ({"service_version": ""}, "service_version (empty) is invalid"),
    ({"service_version": "v1/v2"}, "service_version 'v1/v2' is invalid"),
    ({"service_version": "../v1"}, "service_version '../v1' is invalid"),
    ({"service_version": "v 1"}, "service_version 'v 1' is invalid"),
    ({"description": "two\nlines"}, "description 'two\\nlines' must be a single line"),
    ({"author": "tab\there"}, "author 'tab\\there' must be a single line"),
    ({"base_image": "Not An Image"}, "base_image 'Not An Image' is invalid"),
    ({"base_image": "Upper/Case:tag"}, "base_image 'Upper/Case:tag' is invalid"),
    ({"pip_index_url": "ftp://mirror.example/simple"}, "pip_index_url 'ftp://mirror.example/simple' is invalid"),
    ({"pip_index_url": "https://mirror.example/a b"}, "pip_index_url 'https://mirror.example/a b' is invalid"),
]
IDS = [support.variant_id(answers)[:60] for answers, _ in INVALID]


@pytest.mark.parametrize(("answers", "message"), INVALID, ids=IDS)
def test_cookiecutter_refuses(
    cookies, template_repo: Path, tmp_path: Path, answers: Dict[str, str], message: str
) -> None:
    result = cookies.bake(extra_context=answers, template=str(template_repo))
    assert result.exit_code != 0
    assert isinstance(result.exception, FailedHookException), repr(result.exception)
    assert result.project_path is None
    refused = str(result.exception)  # the answers are checked while they are collected, before any folder
    assert message in refused, refused
    assert refused.count("ERROR: ") == 1, "one message per mistake: " + refused
    assert "The project was not generated" in refused
    output = Path(str(tmp_path)) / "cookies"
    assert not (output / "bake00" / answers.get("project_name", support.PROJECT)).exists()
    assert not list(output.rglob("*")), "nothing at all is created, not even a parent folder of a name with '/'"


@pytest.mark.parametrize(("answers", "message"), INVALID, ids=IDS)
def test_copier_refuses(template_repo: Path, tmp_path: Path, answers: Dict[str, str], message: str) -> None:
    destination = tmp_path / "out" / "project"
    question = message.split(" ", 1)[0]
    with pytest.raises(ValueError, match="Validation error for question") as raised:
        support.bake_copier(template_repo, destination, answers)
    assert f"'{question}'" in str(raised.value) and message in str(raised.value), str(raised.value)
    assert not destination.exists() or not any(destination.iterdir())


@pytest.mark.parametrize("value", ["my{{x}}", "my{%x"])
def test_template_syntax_in_a_name_never_reaches_a_file(
    cookies, template_repo: Path, tmp_path: Path, value: str
) -> None:
    """cookiecutter treats --no-input/extra-context values as templates and stops on its own error before
    any hook runs (typed answers are not rendered and meet the pre-gen rules); copier applies the rules."""
    result = cookies.bake(extra_context={"project_name": value}, template=str(template_repo))
    assert result.exit_code != 0 and result.project_path is None
    with pytest.raises(ValueError, match=r"project_name .* contains template syntax"):
        support.bake_copier(template_repo, tmp_path / "copier" / "project", {"project_name": value})


@pytest.fixture(scope="module")
def broken_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template whose wrapper.py declares no output, so `python -m aiges render` refuses it."""
    root = tmp_path_factory.mktemp("broken-template")
    with support.isolated_git(root / ".gitconfig-home"):
        template = support.copy_template(root / "template")
        wrapper = template / "{{cookiecutter.project_name}}" / "wrapper" / "wrapper.py"
        text = wrapper.read_text(encoding="utf-8")
        wrapper.write_text(text.replace("responseCls = UserResponse()", "responseCls = None"), encoding="utf-8")
        support.commit_all(template, "break the render")
    return template


@pytest.mark.slow
def test_a_failing_render_stops_cookiecutter(
    cookies, broken_template: Path, capfd: pytest.CaptureFixture, tmp_path: Path
) -> None:
    result = cookies.bake(template=str(broken_template))
    assert isinstance(result.exception, FailedHookException) and result.project_path is None
    assert "`python -m aiges render` failed" in capfd.readouterr().err
    assert not (Path(str(tmp_path)) / "cookies" / "bake00" / support.PROJECT).exists()


@pytest.mark.slow
def test_a_failing_render_stops_copier(broken_template: Path, tmp_path: Path) -> None:
    from copier.errors import TaskError

    destination = tmp_path / "project"
    with pytest.raises(TaskError):
        support.bake_copier(broken_template, destination, {})
    assert not destination.exists()
