"""Value conversions shared by both readers and the writers.

* A JSON encoding that keeps bytes, tuples and non-string dict keys, so the import fallback hands the
  parent process exactly the constructor arguments the static reader would have found.
* :func:`loader_string`: how the loader turns a ``[wrapper]`` value into the string ``wrapperInit``
  receives (Go ``strconv``: bools ``true``/``false``, floats without exponent or trailing ``.0``).
"""

import base64
from typing import Any

from aiges.fields import to_wire_string as loader_string  # noqa: F401 (one rule for every value)


class Opaque:
    """A value the import fallback could not transport (not a literal): shown by its repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Opaque) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def encode(value: Any) -> Any:
    """A JSON-safe form of a literal value (see :func:`decode`)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, tuple):
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return {"$set": [encode(item) for item in sorted(value, key=repr)]}
    if isinstance(value, dict):
        return {"$dict": [[encode(key), encode(item)] for key, item in value.items()]}
    return {"$opaque": repr(value)}


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    if "$tuple" in value:
        return tuple(decode(item) for item in value["$tuple"])
    if "$set" in value:
        return {decode(item) for item in value["$set"]}
    if "$dict" in value:
        return {_hashable(decode(key)): decode(item) for key, item in value["$dict"]}
    return Opaque(str(value.get("$opaque", value)))


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def is_scalar(value: Any) -> bool:
    """What a ``[wrapper]`` entry may hold: the loader stringifies only these."""
    return isinstance(value, (str, bool, int, float))
