"""docs/reference/fields.md documents every field class of ``aiges.fields.FIELD_CLASSES`` and each of
its constructor arguments (with the real default), and documents no argument that does not exist."""

import re
from typing import Dict, List

import pytest
from docs_support import page_text, runtime_json

PAGE = "reference/fields.md"

INTROSPECT = r"""
import inspect, json
from aiges.fields import FIELD_CLASSES
out = {}
for name, cls in FIELD_CLASSES.items():
    params = []
    for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        default = None if parameter.default is parameter.empty else repr(parameter.default)
        params.append([parameter.name, default])
    out[name] = params
print(json.dumps(out))
"""

CLASSES: Dict[str, List[list]] = runtime_json(INTROSPECT)  # type: ignore[assignment]


def section(class_name: str) -> str:
    """The page's ``## `ClassName` `` section (up to the next level-2 heading)."""
    for chunk in re.split(r"(?m)^## ", page_text(PAGE))[1:]:
        heading, _, body = chunk.partition("\n")
        if re.search(rf"`{re.escape(class_name)}`", heading):
            return body
    return ""


def argument_rows(body: str) -> Dict[str, str]:
    """Argument table rows: first cell `` `name` `` -> the whole row."""
    rows = {}
    for line in body.splitlines():
        match = re.match(r"^\|\s*`(\w+)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_field_classes_exist() -> None:
    assert "StringParamField" in CLASSES and "ImageBodyField" in CLASSES


@pytest.mark.parametrize("class_name", sorted(CLASSES))
def test_class_is_documented_with_every_argument(class_name: str) -> None:
    body = section(class_name)
    assert body, f"docs/{PAGE} has no `## \\`{class_name}\\`` section"
    rows = argument_rows(body)
    missing = [name for name, _ in CLASSES[class_name] if name not in rows]
    assert not missing, f"{class_name}: arguments without a table row in docs/{PAGE}: {missing}"


@pytest.mark.parametrize("class_name", sorted(CLASSES))
def test_documented_defaults_are_the_real_ones(class_name: str) -> None:
    rows = argument_rows(section(class_name))
    wrong = []
    for name, default in CLASSES[class_name]:
        row = rows.get(name, "")
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        shown = cells[1] if len(cells) > 1 else ""
        expected = "*required*" if default is None else f"`{default}`"
        if shown != expected:
            wrong.append(f"{name}: page says {shown or 'nothing'}, code says {expected}")
    assert not wrong, f"{class_name} defaults in docs/{PAGE}:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("class_name", sorted(CLASSES))
def test_no_documented_argument_is_stale(class_name: str) -> None:
    real = {name for name, _ in CLASSES[class_name]}
    stale = sorted(set(argument_rows(section(class_name))) - real)
    assert not stale, f"{class_name}: docs/{PAGE} documents arguments it does not take: {stale}"
