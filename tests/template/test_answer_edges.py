"""The answers' rough edges, through the real command lines a user types.

- cookiecutter: a derived default (service_id from project_name) is valid for every valid project
  name; a bad answer stops generation with one clean message (no traceback) and leaves nothing
  behind, not even the parent folder of a name with '/', in interactive and ``--no-input`` runs;
- copier: the destination folder's name is the default project name.
"""

import keyword
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import pytest

from tests.template import support


def cookiecutter(template: Path, out: Path, *answers: str, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    """The cookiecutter command line; ``stdin`` given: interactive, typing those lines."""
    out.mkdir(parents=True, exist_ok=True)
    config = support.cookiecutter_config(out.parent / "cc")
    command = [
        sys.executable,
        "-m",
        "cookiecutter",
        "--config-file",
        str(config),
        "--output-dir",
        str(out),
        str(template),
    ]
    command += list(answers) if stdin is None else []
    if stdin is None:
        command.insert(3, "--no-input")
    with support.isolated_git(out.parent / ".gitconfig-home"):
        return subprocess.run(command, input=stdin or "", capture_output=True, text=True, timeout=600, check=False)


def everything_under(folder: Path) -> List[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*"))


def rendered_defaults(**answers: str) -> dict:
    """What cookiecutter computes from the real cookiecutter.json for these answers (defaults rendered)."""
    from cookiecutter.generate import generate_context
    from cookiecutter.main import _patch_import_path_for_repo
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(str(support.REPO / "cookiecutter.json"), extra_context=dict(answers))
    with _patch_import_path_for_repo(str(support.REPO)):
        return dict(prompt_for_config(context, no_input=True))


def assert_one_clean_refusal(result: subprocess.CompletedProcess, message: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    assert output.count("ERROR: ") == 1, "exactly one message:\n" + output
    assert message in output, output
    assert "The project was not generated: fix the answers above" in output


# -- the derived default ----------------------------------------------------------------------------

NAMES_THAT_LOWER_TO_A_KEYWORD = [word.capitalize() for word in keyword.kwlist if word.islower()]


@pytest.mark.parametrize("project_name", ["aiges-demo", "My.Plugin-2", "OCR_v2", "a", *NAMES_THAT_LOWER_TO_A_KEYWORD])
def test_the_derived_service_id_is_valid_for_every_valid_project_name(project_name: str) -> None:
    from helpers import rules

    assert rules.answer_problem("project_name", project_name) == "", "the name itself is valid"
    service_id = rendered_defaults(project_name=project_name)["service_id"]
    assert rules.answer_problem("service_id", service_id) == "", f"{project_name!r} -> {service_id!r}"


def test_a_name_that_lowers_to_a_keyword_gets_a_suffix() -> None:
    assert rendered_defaults(project_name="Class")["service_id"] == "class_plugin"
    assert rendered_defaults(project_name="aiges-demo")["service_id"] == "aiges_demo"


def test_a_project_named_like_a_keyword_in_capitals_is_generated(template_repo: Path, tmp_path: Path) -> None:
    result = cookiecutter(template_repo, tmp_path / "out", "project_name=Class")
    assert result.returncode == 0, result.stdout + result.stderr
    wrapper = (tmp_path / "out" / "Class" / "wrapper" / "wrapper.py").read_text(encoding="utf-8")
    assert 'serviceId = "class_plugin"' in wrapper


# -- one clean message, nothing left behind -----------------------------------------------------------

REFUSED = [
    ("project_name=a/b", "project_name 'a/b' is invalid"),
    ("project_name=team/sub/plugin", "project_name 'team/sub/plugin' is invalid"),
    ("project_name=1plugin", "project_name '1plugin' is invalid"),
    ("service_version=v/1", "service_version 'v/1' is invalid"),
    ("pip_index_url=ftp://mirror", "pip_index_url 'ftp://mirror' is invalid"),
]


@pytest.mark.parametrize(("answer", "message"), REFUSED, ids=[answer for answer, _ in REFUSED])
def test_no_input_refusal_is_one_clean_message_and_leaves_nothing(
    template_repo: Path, tmp_path: Path, answer: str, message: str
) -> None:
    result = cookiecutter(template_repo, tmp_path / "out", answer)
    assert_one_clean_refusal(result, message)
    assert everything_under(tmp_path / "out") == []


def test_interactive_bad_project_name_is_refused_at_once_and_leaves_nothing(
    template_repo: Path, tmp_path: Path
) -> None:
    """Refused right after the first answer: the user does not answer eleven more questions first."""
    result = cookiecutter(template_repo, tmp_path / "out", stdin="team/plugin\n")
    assert_one_clean_refusal(result, "project_name 'team/plugin' is invalid")
    assert "[2/" not in result.stdout, "no further question was asked"
    assert everything_under(tmp_path / "out") == []


def test_interactive_bad_later_answer_is_one_clean_message_and_leaves_nothing(
    template_repo: Path, tmp_path: Path
) -> None:
    # project_name, service_id (default), service_version, then Enter for every other question
    result = cookiecutter(template_repo, tmp_path / "out", stdin="my-plugin\n\nv 1\n" + "\n" * 12)
    assert_one_clean_refusal(result, "service_version 'v 1' is invalid")
    assert everything_under(tmp_path / "out") == []


def test_interactive_good_answers_generate_the_project(template_repo: Path, tmp_path: Path) -> None:
    result = cookiecutter(template_repo, tmp_path / "out", stdin="my-plugin\n" + "\n" * 12)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "my-plugin" / "schema.json").is_file()


CHOICES_REFUSED = [("example=video", "video", "example"), ("python_version=3.12", "3.12", "python_version")]


@pytest.mark.parametrize(("answer", "value", "question"), CHOICES_REFUSED, ids=[a for a, _, _ in CHOICES_REFUSED])
def test_no_input_value_outside_the_choices_is_refused_and_leaves_nothing(
    template_repo: Path, tmp_path: Path, answer: str, value: str, question: str
) -> None:
    """cookiecutter would raise a ValueError with a traceback; the template's pre_prompt hook refuses first."""
    result = cookiecutter(template_repo, tmp_path / "out", answer)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output, output
    assert f"aiges-template: {question}={value} is not one of the choices: " in output, output
    assert everything_under(tmp_path / "out") == []


def test_every_value_outside_the_choices_is_named_at_once(template_repo: Path, tmp_path: Path) -> None:
    result = cookiecutter(template_repo, tmp_path / "out", "project_name=demo", "example=video", "gpu=3")
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output, output
    assert "example=video is not one of the choices: text, image, audio" in output
    assert "gpu=3 is not one of the choices: 0, 1, 2, 4, 8" in output
    assert everything_under(tmp_path / "out") == []


def test_listed_choices_on_the_command_line_pass_the_pre_prompt_hook(template_repo: Path, tmp_path: Path) -> None:
    result = cookiecutter(template_repo, tmp_path / "out", "project_name=demo", "example=audio", "gpu=1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "demo" / "wrapper" / "wavlevel.py").is_file()


def test_interactive_choices_accept_only_listed_values(template_repo: Path, tmp_path: Path) -> None:
    """Interactively a choice is a numbered menu: a number outside it is asked again, never used."""
    result = cookiecutter(template_repo, tmp_path / "out", stdin="my-plugin\n\n\n\n\n9\n")
    assert "Please select one of the available options" in result.stdout + result.stderr
    assert result.returncode != 0 and everything_under(tmp_path / "out") == []


# -- copier: the folder names the project -------------------------------------------------------------


def copier_copy(template: Path, destination: str, cwd: Path) -> subprocess.CompletedProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "copier",
        "copy",
        "--trust",
        "--defaults",
        "--vcs-ref=HEAD",
        "--quiet",
        str(template),
        destination,
    ]
    with support.isolated_git(cwd.parent / ".gitconfig-home"):
        return subprocess.run(command, cwd=str(cwd), capture_output=True, text=True, timeout=600, check=False)


def answers_of(project: Path) -> dict:
    import yaml

    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def test_copier_default_project_name_is_the_destination_folder(template_repo: Path, tmp_path: Path) -> None:
    result = copier_copy(template_repo, "ocr-plugin", tmp_path / "work")
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "work" / "ocr-plugin"
    assert answers_of(project)["project_name"] == "ocr-plugin"
    assert answers_of(project)["service_id"] == "ocr_plugin"
    assert 'name = "ocr-plugin"' in (project / "pyproject.toml").read_text(encoding="utf-8")


def test_copier_into_the_current_folder_takes_that_folders_name(template_repo: Path, tmp_path: Path) -> None:
    here = tmp_path / "work" / "Speech.Tagger"
    result = copier_copy(template_repo, ".", here)
    assert result.returncode == 0, result.stdout + result.stderr
    assert answers_of(here)["project_name"] == "Speech.Tagger"
    assert answers_of(here)["service_id"] == "speech_tagger"


def test_copier_folder_name_that_breaks_the_rules_is_refused_naming_it(template_repo: Path, tmp_path: Path) -> None:
    result = copier_copy(template_repo, "2nd try", tmp_path / "work")
    assert result.returncode != 0
    assert "project_name '2nd try' is invalid" in result.stdout + result.stderr
    assert not (tmp_path / "work" / "2nd try").exists() or not any((tmp_path / "work" / "2nd try").iterdir())
