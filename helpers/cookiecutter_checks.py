"""cookiecutter's (and cruft's) side of the answer rules: checked while the answers are collected.

The pre-gen hook runs only after cookiecutter has made the project folder (parents included), and a
failing hook makes cookiecutter log a traceback. These filters apply :mod:`rules` earlier, during the
questions, so a bad answer stops everything before any folder exists, with one message and no
traceback (cookiecutter's command line prints a ``FailedHookException`` as plain text and exits 1):

- ``aiges_service_id`` computes the service_id default; it refuses a bad project_name right away, so
  an interactive user learns of it after the first answer, not the last;
- ``aiges_checked`` runs once all answers are in (the private ``__answers_checked`` of
  cookiecutter.json) and refuses any bad one.

Listed in cookiecutter.json's ``_extensions``; cookiecutter and cruft put the template folder on
``sys.path`` while they ask. The pre-gen hook keeps its own copy of the rules as the last net.
"""

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any, List, Mapping

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension


def _load_rules() -> ModuleType:
    """``helpers/rules.py`` by path: the template may be cloned anywhere, beside other ``helpers``."""
    path = Path(__file__).resolve().with_name("rules.py")
    spec = importlib.util.spec_from_file_location("aiges_template_rules", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RULES = _load_rules()


def refuse(problems: List[str]) -> None:
    raise FailedHookException(RULES.refusal(problems))


def service_id_default(project_name: Any) -> str:
    problem = RULES.answer_problem("project_name", project_name)
    if problem:
        refuse([problem])
    return RULES.derived_service_id(project_name)


def checked(answers: Mapping[str, Any]) -> str:
    problems = RULES.all_problems(dict(answers), {})  # choices: cookiecutter itself allows only listed ones
    if problems:
        refuse(problems)
    return ""


class AnswerChecks(Extension):
    """Registers the ``aiges_service_id`` and ``aiges_checked`` filters."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["aiges_service_id"] = service_id_default
        environment.filters["aiges_checked"] = checked
