"""docs/reference/questions.md documents every template question of cookiecutter.json (the source of
truth, mirrored in copier.yml): one ``### `name` `` section each, naming every choice; and no
question that does not exist."""

import json
import re
from typing import Dict

import pytest
from docs_runner import REPO
from docs_support import page_text

PAGE = "reference/questions.md"
QUESTIONS_FILE = REPO / "cookiecutter.json"


def questions() -> Dict[str, object]:
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


def sections() -> Dict[str, str]:
    found = {}
    for chunk in re.split(r"(?m)^### ", page_text(PAGE))[1:]:
        heading, _, body = chunk.partition("\n")
        match = re.match(r"`(\w+)`", heading.strip())
        if match:
            found[match.group(1)] = body.split("\n## ", 1)[0]
    return found


@pytest.mark.parametrize("name", sorted(questions()))
def test_question_is_documented(name: str) -> None:
    assert name in sections(), f"question {name!r} has no `### \\`{name}\\`` section in docs/{PAGE}"


@pytest.mark.parametrize("name", sorted(questions()))
def test_every_choice_is_documented(name: str) -> None:
    value = questions()[name]
    if not isinstance(value, list):
        pytest.skip(f"{name} is not a choice question")
    body = sections().get(name, "")
    missing = [choice for choice in value if f"`{choice}`" not in body]
    assert not missing, f"question {name!r}: choices missing from docs/{PAGE}: {missing}"


def test_no_documented_question_is_stale() -> None:
    stale = sorted(set(sections()) - set(questions()))
    assert not stale, f"docs/{PAGE} documents questions cookiecutter.json does not ask: {stale}"


def test_copier_asks_the_same_questions() -> None:
    copier_file = REPO / "copier.yml"
    if not copier_file.is_file():
        pytest.skip("waiting for copier.yml")
    yaml = pytest.importorskip("yaml")
    copier_questions = {
        key for key in yaml.safe_load(copier_file.read_text(encoding="utf-8")) if not key.startswith("_")
    }
    undocumented = sorted(copier_questions - set(sections()))
    assert not undocumented, f"copier.yml asks questions missing from docs/{PAGE}: {undocumented}"
