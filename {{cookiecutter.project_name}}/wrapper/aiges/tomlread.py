"""Read TOML with the standard library only.

``tomllib`` exists from Python 3.11; the official images ship 3.9, where the core runtime must still
read aiges.toml and ``[tool.aiges]``. Use ``tomllib`` or ``tomli`` when present, else a small reader
for the subset our rendered files and project settings use: tables, dotted tables, bare or quoted
keys, and scalar or one-line array values.
"""
import ast
import re
from typing import Any, Dict

try:  # pragma: no cover - depends on the interpreter
    import tomllib as _toml  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    try:
        import tomli as _toml  # type: ignore[import-not-found,no-redef]
    except ImportError:
        _toml = None  # type: ignore[assignment]

_TABLE = re.compile(r"^\[\s*([^\[\]]+?)\s*\]$")
_KEY_VALUE = re.compile(r"""^("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=\s*(.+)$""")


class TomlError(ValueError):
    """The file is not TOML this reader understands."""


def loads(text: str) -> Dict[str, Any]:
    if _toml is not None:
        return _toml.loads(text)
    return _loads_subset(text)


def load_file(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return loads(handle.read())


def _loads_subset(text: str) -> Dict[str, Any]:
    document: Dict[str, Any] = {}
    table = document
    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        header = _TABLE.match(line)
        if header:
            table = document
            for part in _split_key(header.group(1)):
                table = table.setdefault(part, {})
            continue
        pair = _KEY_VALUE.match(line)
        if not pair:
            raise TomlError("line %d: cannot read %r (install tomli for full TOML)" % (number, raw))
        keys = _split_key(pair.group(1))
        target = table
        for part in keys[:-1]:
            target = target.setdefault(part, {})
        target[keys[-1]] = _value(pair.group(2).strip(), number)
    return document


def _strip_comment(line: str) -> str:
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _split_key(key: str) -> list:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', key)
    return [double or single or bare for double, single, bare in parts]


def _value(text: str, number: int) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip().rstrip(",")
        return [_value(item.strip(), number) for item in _split_array(inner)] if inner else []
    try:
        return ast.literal_eval(text.replace("_", "") if re.match(r"^[+-]?[0-9_.eE]+$", text) else text)
    except (ValueError, SyntaxError) as error:
        raise TomlError("line %d: cannot read value %r" % (number, text)) from error


def _split_array(inner: str) -> list:
    items, depth, quote, start = [], 0, None, 0
    for index, char in enumerate(inner):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(inner[start:index])
            start = index + 1
    items.append(inner[start:])
    return [item for item in items if item.strip()]
