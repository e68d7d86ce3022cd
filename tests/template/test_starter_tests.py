"""The generated project's starter tests survive the user's changes: with the example swapped for another
model (its module and its test file deleted, as the README says) they still run and pass, and they are not
vacuous: a plugin that breaks the loader's contract fails them."""

import shutil
from pathlib import Path
from typing import Callable

import pytest
import support

OWN_MODEL = '''
"""My own model: a tiny sentiment scorer."""
from aiges.sdk import (ErrorCodes, JsonBodyField, NumberParamField, PluginError, StringBodyField,
                       StringParamField, WrapperBase, json_response)


class Errors(ErrorCodes):
    BAD_PARAM = 2001, "invalid parameter"
    NO_INPUT = 2002, "no review text"


class UserRequest:
    language = StringParamField(key="language", enums=["en", "de"], value="en")
    threshold = NumberParamField(key="threshold", minimum=0.0, maximum=1.0, value=0.5)
    review = StringBodyField(key="review", value=b"a good, good film")


class UserResponse:
    accept_score = JsonBodyField(key="score", description="the review's sentiment")


class Wrapper(WrapperBase):
    serviceId = "sentiment"
    version = "v2"
    requestCls = UserRequest()
    responseCls = UserResponse()
    errors = Errors

    def wrapperInit(self, config):
        self.positive = {"good", "great"}
        return 0

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0, *args):
        options = self.read_params(params)
        node = reqData.get("review")
        if node is None:
            raise PluginError(Errors.NO_INPUT)
        words = bytes(node.data).decode("utf-8").replace(",", " ").split()
        score = sum(word in self.positive for word in words) / max(len(words), 1)
        return json_response(RESULT_KEY, {"score": score, "positive": score >= options.threshold})

    def wrapperFini(self):
        return 0


RESULT_KEY = UserResponse.accept_score.key

if __name__ == "__main__":
    Wrapper().run()
'''


@pytest.fixture
def project(bake: Callable[[str], Path], tmp_path: Path) -> Path:
    """A fresh copy of the default bake (the tests change it)."""
    copy = tmp_path / "project"
    shutil.copytree(bake("defaults"), copy)
    return copy


def swap_in_own_model(project: Path, source: str) -> None:
    """What the README tells a user: replace the example's code and delete its module and test file."""
    (project / "wrapper" / "wrapper.py").write_text(source, encoding="utf-8")
    (project / "wrapper" / "textstats.py").unlink()
    (project / "tests" / "test_example.py").unlink()
    rendered = support.python("-m", "aiges", "render", cwd=project)
    assert rendered.returncode == 0, rendered.stderr


def generated_suite(project: Path):
    return support.python("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)


def test_the_starter_tests_pass_for_another_model(project: Path) -> None:
    swap_in_own_model(project, OWN_MODEL)
    result = generated_suite(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "skipped" not in result.stdout  # every starter test applied


def test_the_starter_tests_fail_a_plugin_that_answers_an_undeclared_output(project: Path) -> None:
    swap_in_own_model(
        project, OWN_MODEL.replace("RESULT_KEY = UserResponse.accept_score.key", 'RESULT_KEY = "verdict"')
    )
    result = generated_suite(project)
    assert result.returncode == 1, result.stdout
    assert "test_local_run_passes_in_the_loaders_call_order" in result.stdout


def test_the_starter_tests_fail_a_plugin_that_ignores_its_param_declarations(project: Path) -> None:
    swap_in_own_model(
        project, OWN_MODEL.replace("options = self.read_params(params)", "options = type('P', (), {'threshold': 0.5})")
    )
    result = generated_suite(project)
    assert result.returncode == 1, result.stdout
    assert "test_local_run_reports_a_param_that_breaks_its_declaration" in result.stdout


def test_the_starter_tests_fail_stale_rendered_files(project: Path) -> None:
    swap_in_own_model(project, OWN_MODEL)
    wrapper = project / "wrapper" / "wrapper.py"
    wrapper.write_text(wrapper.read_text(encoding="utf-8").replace('"en", "de"', '"en", "de", "fr"'), encoding="utf-8")
    result = generated_suite(project)
    assert result.returncode == 1 and "test_rendered_files_match_wrapper_py" in result.stdout
