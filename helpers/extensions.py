"""copier's side of the shared template: the ``cookiecutter`` namespace and the answer validator.

Template files say ``{{ cookiecutter.x }}`` because cookiecutter and cruft read them too. copier
has top-level answers instead, so :class:`CookiecutterNamespace` adds a ``cookiecutter`` mapping to
every render context. It is lazy: copier 9.7+ runs context hooks while questions are still being
asked, when later answers do not exist yet, so nothing is read until a template asks for it.
:class:`AnswerRules` exposes :func:`rules.answer_problem` to ``validator:``s, so copier and the
pre-gen hook apply one set of rules. Loaded by ``copier_template_extensions.TemplateExtensionLoader``.
"""

import importlib.util
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict

from copier_template_extensions import ContextHook
from jinja2 import Environment
from jinja2.ext import Extension


def _answers_file(context: Mapping) -> str:
    """``cookiecutter.__answers``: the answers file name under copier ('' makes cookiecutter skip it)."""
    return str(context["_copier_conf"]["answers_file"])


COMPUTED: Dict[str, Callable[[Mapping], Any]] = {"__answers": _answers_file}


class CookiecutterContext(Mapping):
    """Read-through view of copier's answers under cookiecutter's names."""

    def __init__(self, context: Mapping) -> None:
        self._context = context

    def __getitem__(self, key: str) -> Any:
        if key in COMPUTED:
            return COMPUTED[key](self._context)
        if key.startswith("_"):
            raise KeyError(key)  # copier internals are not cookiecutter variables
        return self._context[key]

    def __iter__(self) -> Iterator[str]:
        yield from (key for key in self._context if not key.startswith("_"))
        yield from COMPUTED

    def __len__(self) -> int:
        return sum(1 for _ in self)


class CookiecutterNamespace(ContextHook):
    """Adds ``cookiecutter`` to copier's render context (modified in place, as the library asks)."""

    def hook(self, context: Dict[str, Any]) -> None:
        context["cookiecutter"] = CookiecutterContext(context)


_RULES: Dict[Path, ModuleType] = {}


def _load_rules() -> ModuleType:
    """Import ``helpers/rules.py`` by path (copier loads this file by path, outside any package).

    Cached per path: ``copier update`` renders two template versions in one process.
    """
    path = Path(__file__).resolve().with_name("rules.py")
    if path not in _RULES:
        spec = importlib.util.spec_from_file_location("aiges_template_rules", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _RULES[path] = module
    return _RULES[path]


class AnswerRules(Extension):
    """Makes ``aiges_answer_problem(name, value)`` available to copier's ``validator:``s, and the defaults'
    helpers: ``aiges_folder_name(path)`` (project_name) and the ``aiges_service_id`` filter (service_id)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        rules = _load_rules()
        environment.globals["aiges_answer_problem"] = rules.answer_problem
        environment.globals["aiges_folder_name"] = rules.folder_project_name
        environment.filters["aiges_service_id"] = rules.derived_service_id
