"""A YAML writer for the plain data of Kubernetes manifests (block mappings and lists, scalars).

Why not PyYAML: rendering runs in the bake's post-generation hook and in ``aiges check``, and the
check compares bytes, so the output must not change with a library's version or settings; the
manifests use only mappings, lists, strings, integers and booleans, which this writes in one fixed
style (floats are refused: YAML 1.1 and 1.2 read ``1e3`` differently, and Kubernetes quantities are
strings). Strings that are plain names or paths (``apps/v1``, ``/ping``) are written bare; every
other string is double-quoted with JSON escapes (a JSON string is a valid YAML double-quoted
scalar), so no value can turn into a number, a boolean or null (``"1"``, ``"on"``, ``"null"``,
``"2Gi"`` stay strings). ``tests/render/test_yamlout.py`` reads the output back with PyYAML.
"""

import json
import re
from typing import Any, List, Sequence

_PLAIN_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_./-]*$")
# Strings written bare: a letter or "/" first (never a number, a date or an indicator), no ": " or " #".
_PLAIN_VALUE = re.compile(r"^[A-Za-z/][A-Za-z0-9_./-]*$")
# Keys YAML 1.1 readers (PyYAML among them) would take as booleans or null, even unquoted as keys.
_SPECIAL = {"y", "yes", "n", "no", "on", "off", "true", "false", "null"}


def dumps(document: Any, comments: Sequence[str] = ()) -> str:
    """One YAML document, ``comments`` as ``#`` lines above it."""
    lines = ["# " + line if line else "#" for line in comments]
    lines.extend(_node(document, 0))
    return "\n".join(lines) + "\n"


def dumps_all(documents: Sequence[Any], comments: Sequence[str] = ()) -> str:
    """Several documents separated by ``---`` (``kubectl apply -f`` takes them in one file)."""
    parts = [dumps(document) for document in documents]
    head = "".join(("# " + line if line else "#") + "\n" for line in comments)
    return head + "---\n".join(parts)


def _node(value: Any, indent: int) -> List[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        lines = []
        for key, item in value.items():
            name = _key(key)
            if _is_scalar(item) or item in ({}, []):
                lines.append("%s%s: %s" % (pad, name, _inline(item)))
            elif isinstance(item, dict):
                lines.append("%s%s:" % (pad, name))
                lines.extend(_node(item, indent + 2))
            else:
                lines.append("%s%s:" % (pad, name))
                lines.extend(_node(item, indent))  # a list under a key: its dashes at the key's indent
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        lines = []
        for item in value:
            if _is_scalar(item) or item in ({}, []):
                lines.append("%s- %s" % (pad, _inline(item)))
                continue
            inner = _node(item, indent + 2)
            lines.append("%s- %s" % (pad, inner[0][indent + 2 :]))  # the first line shares the dash's line
            lines.extend(inner[1:])
        return lines
    return [pad + _scalar(value)]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int))


def _inline(value: Any) -> str:
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _PLAIN_VALUE.fullmatch(value) and value.lower() not in _SPECIAL:
            return value
        return _quoted(value)
    raise TypeError("cannot write %s as YAML" % type(value).__name__)


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError("YAML mapping keys must be strings here, got %r" % (key,))
    if _PLAIN_KEY.fullmatch(key) and key.lower() not in _SPECIAL:
        return key
    return _quoted(key)


def _quoted(text: str) -> str:
    """JSON's double-quoted form, with every non-printable character escaped (YAML folds U+2028 & co.)."""
    return "".join(_escape(char) for char in json.dumps(text, ensure_ascii=False))


def _escape(char: str) -> str:
    if char.isprintable() or char == " ":
        return char
    code = ord(char)
    return "\\u%04x" % code if code <= 0xFFFF else "\\U%08x" % code
