"""Pre-generation check (cookiecutter and cruft): refuse bad answers before any file is written.

A non-zero exit makes cookiecutter delete the folder it just created. copier never runs this hook;
it applies the same rules through the ``validator:``s of copier.yml. Hooks run from a temporary
copy and cannot import ``helpers/``, so the rules below are a verbatim copy of ``helpers/rules.py``
kept current by ``helpers/sync_copier.py`` (the template tests fail when the copy drifts). The
answers arrive as JSON data (``tojson`` into a raw string), never as code.
"""

# {% raw %} (cookiecutter renders this file: the copied rules are plain Python, not a template)
# --- begin rules: copied from helpers/rules.py by helpers/sync_copier.py; do not edit here ---
import json
import keyword
import os
import re
import sys
from typing import Any, Dict, List, Optional, Tuple

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Jinja's openers (two braces, brace-percent, brace-hash), spelled with chr(): the hook's copy of this
# module is itself rendered by cookiecutter, so the source must not contain them.
_BRACE = chr(123)
_JINJA_OPENERS = tuple(_BRACE + second for second in (_BRACE, "%", "#"))
_JINJA = re.compile("|".join(re.escape(opener) for opener in _JINJA_OPENERS))
_DOCKER_REFERENCE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?/)?"  # optional registry host[:port]/
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"  # repository path
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"  # optional :tag and @digest
)

# question -> (pattern, human description of the pattern, maximum length)
PATTERNS: Dict[str, Tuple[str, str, int]] = {
    "project_name": (
        r"^[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z0-9]+)*$",
        "start with a letter and use only letters, digits and single '-', '_' or '.' between them "
        "(it names the folder and the Python distribution)",
        64,
    ),
    "service_id": (
        r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$",
        "start with a lowercase letter and use only lowercase letters, digits and single '_' between "
        "them (the loader's serviceId: the route /<version>/private/<serviceId> and the image name)",
        64,
    ),
    "service_version": (
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        "start with a letter or digit and use only letters, digits, '.', '_' or '-' "
        "(one path segment of the route /<version>/private/<serviceId>)",
        32,
    ),
    "pip_index_url": (
        r"^(?:https?://[^\s\"'\\<>`{}|^]+)?$",
        "be empty (the default index) or an http(s):// URL without spaces or quotes",
        300,
    ),
}
FREE_TEXT = {"description": 300, "author": 200}
KEYWORD_CHECKED = ("project_name", "service_id")


def answer_problem(name: str, value: Any, choices: Optional[List[str]] = None) -> str:
    """Why ``value`` is not acceptable for question ``name`` ('' when it is).

    The message names the question, the bad value and the rule, so that both the pre-gen hook and
    copier's validator can show it as is.
    """
    if choices is not None:
        if value not in choices:
            return f"{name} {value!r} is not one of the choices: {', '.join(choices)}"
        return ""
    if not isinstance(value, str):
        return f"{name} must be a string, got {value!r}"
    if _JINJA.search(value):
        return (
            f"{name} {value!r} contains template syntax ({', '.join(_JINJA_OPENERS)}): cookiecutter evaluates "
            "answers as Jinja templates, which can run code; write the answer without them"
        )
    if name in PATTERNS:
        pattern, rule, limit = PATTERNS[name]
        if not re.match(pattern, value):
            shown = "(empty)" if value == "" else repr(value)
            return f"{name} {shown} is invalid: it must {rule}"
        if len(value) > limit:
            return f"{name} {value!r} is too long: at most {limit} characters"
        if name in KEYWORD_CHECKED and keyword.iskeyword(value.replace("-", "_").replace(".", "_")):
            return f"{name} {value!r} is a Python reserved word: choose another name"
        return ""
    if name in FREE_TEXT:
        if _CONTROL.search(value):
            return f"{name} {value!r} must be a single line without control characters"
        if len(value) > FREE_TEXT[name]:
            return f"{name} is too long: at most {FREE_TEXT[name]} characters"
        return ""
    if name == "base_image":
        if not _DOCKER_REFERENCE.match(value) or len(value) > 255:
            return (
                f"base_image {value!r} is invalid: it must be a Docker image reference such as "
                "'registry.example.com:5000/team/image:tag' (lowercase repository, no spaces)"
            )
        return ""
    return ""


def derived_service_id(project_name: str) -> str:
    """The default service_id: the project name in lower case, '-' and '.' made '_'.

    Valid for every valid project name: a name that is a reserved word only once lowered
    ('Class' -> 'class') gets '_plugin' appended.
    """
    value = project_name.lower().replace("-", "_").replace(".", "_")
    return value + "_plugin" if keyword.iskeyword(value) else value


def folder_project_name(path: str) -> str:
    """The default project name under copier: the destination folder's own name ('.' resolved)."""
    return os.path.basename(os.path.abspath(path).rstrip(os.sep)) or path


def all_problems(answers: Dict[str, Any], choices: Dict[str, List[str]]) -> List[str]:
    """Every problem with a full set of answers (choice questions checked against ``choices``).

    A service_id that is just the default derived from a bad project_name is not reported on its
    own: fixing the name fixes it, and one message per mistake is what a person can act on.
    """
    found = []
    project_name = answers.get("project_name")
    derived_from_bad_name = (
        isinstance(project_name, str)
        and bool(answer_problem("project_name", project_name))
        and answers.get("service_id") == derived_service_id(project_name)
    )
    for name in sorted(set(PATTERNS) | set(FREE_TEXT) | {"base_image"} | set(choices)):
        if name in answers and not (name == "service_id" and derived_from_bad_name):
            problem = answer_problem(name, answers[name], choices.get(name))
            if problem:
                found.append(problem)
    return found


def refusal(problems: List[str]) -> str:
    """The one message that stops generation: every problem, then what to do."""
    return "\n".join(
        [f"ERROR: {problem}" for problem in problems]
        + ["The project was not generated: fix the answers above and run the template again."]
    )


def report(answers_json: str, choices: Dict[str, List[str]]) -> int:
    """What the pre-gen hook does: print every problem to stderr; 1 when there is any, else 0."""
    problems = all_problems(json.loads(answers_json), choices)
    if problems:
        print(refusal(problems), file=sys.stderr)
    return 1 if problems else 0


CHOICES = {
    "python_version": ["3.9", "3.10", "3.11"],
    "plugin_mode": ["grpc", "cgo", "widgetpy"],
    "session_mode": ["once", "stream"],
    "example": ["text", "image", "audio"],
    "gpu": ["0", "1", "2", "4", "8"],
    "ci": ["github", "gitlab", "none"],
}
# --- end rules ---
# {% endraw %}


if __name__ == "__main__":
    sys.exit(
        report(
            r"""
{{ cookiecutter | tojson }}
""",
            CHOICES,
        )
    )
