"""Template syntax in answers (docs/explanation/security.md, "answers files").

cookiecutter evaluates answers as Jinja: values given on the command line (``key=value``,
``extra_context``) or in a user config's ``default_context`` are rendered *before* any hook runs,
so an expression there has already run when the pre-gen hook sees its result; no hook can stop
that. What reaches the hook unevaluated (a replayed answers file, a typed answer) and every copier
answer (validators) is refused when it contains a Jinja opener, so such text never lands in a
generated file where a later render could evaluate it.
"""

import json
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from tests.template import support

OPENERS = ["{{ 6 * 7 }}", "{% if true %}x{% endif %}", "{# note #}"]


def replay_file(template: Path, folder: Path, **changes: str) -> Path:
    """An answers file as cookiecutter replays it, from a real bake, with ``changes`` applied."""
    config = support.cookiecutter_config(folder)
    cookiecutter(str(template), no_input=True, output_dir=str(folder / "first"), config_file=str(config))
    [written] = list((folder / "replay").glob("*.json"))
    answers = json.loads(written.read_text(encoding="utf-8"))
    answers["cookiecutter"].update(changes)
    answers["cookiecutter"]["project_name"] = "replayed"
    target = folder / "answers.json"
    target.write_text(json.dumps(answers), encoding="utf-8")
    return target


@pytest.mark.parametrize("question", ["description", "author"])
@pytest.mark.parametrize("value", OPENERS)
def test_a_replayed_answers_file_with_template_syntax_is_refused_by_the_hook(
    template_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture, question: str, value: str
) -> None:
    answers = replay_file(template_repo, tmp_path, **{question: "ok " + value})
    capfd.readouterr()
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(template_repo),
            replay=str(answers),
            output_dir=str(tmp_path / "second"),
            config_file=str(tmp_path / "cookiecutter-config.yaml"),
        )
    stderr = capfd.readouterr().err
    assert "%s %r contains template syntax" % (question, "ok " + value) in stderr, stderr
    assert not (tmp_path / "second" / "replayed").exists()


@pytest.mark.parametrize("question", ["description", "author"])
@pytest.mark.parametrize("value", OPENERS)
def test_copier_refuses_template_syntax_in_free_text(
    template_repo: Path, tmp_path: Path, question: str, value: str
) -> None:
    destination = tmp_path / "out" / "project"
    with pytest.raises(ValueError, match="contains template syntax"):
        support.bake_copier(template_repo, destination, {question: value})
    assert not destination.exists() or not any(destination.iterdir())


def test_command_line_answers_are_evaluated_before_any_hook_can_look(cookies, template_repo: Path) -> None:
    """The caveat itself, with a harmless expression: the hook only ever sees the result."""
    result = cookies.bake(extra_context={"description": "{{ 6 * 7 }}"}, template=str(template_repo))
    assert result.exit_code == 0, result.exception
    assert 'description = "42"' in (Path(str(result.project_path)) / "pyproject.toml").read_text(encoding="utf-8")


def test_plain_braces_stay_allowed(cookies, template_repo: Path) -> None:
    result = cookies.bake(
        extra_context={"description": "maps {key: value} and sets {1, 2}"}, template=str(template_repo)
    )
    assert result.exit_code == 0, result.exception
