"""A request's params as typed, validated values, according to the ``UserRequest`` declarations.

In production every param arrives as a string (numbers even as Go's ``6755399441055744p-51``), and the
loader does not enforce the declared enums, bounds or lengths. :func:`read_params` parses each declared
param with its field's wire format, applies the declared default, checks the declaration, and raises
:class:`aiges.failures.ParamError` (the wrapper's ``BAD_PARAM`` code) naming the field otherwise.
"""

import math
from typing import Any, Dict, Iterator, List, Mapping, Tuple

from aiges.discovery import declared_attributes
from aiges.failures import BAD_PARAM, ParamError, member
from aiges.fields import BooleanParamField, ParamField, StringParamField, _NumericParamField, shown_value

TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")


class Params(Mapping):
    """Read-only params: by the declaration's attribute name (``options.top``) and by key (``options["top"]``)."""

    def __init__(self, values: Dict[str, Any], names: Dict[str, str]) -> None:
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_names", names)

    def __getattr__(self, name: str) -> Any:
        names = object.__getattribute__(self, "_names")
        if name in names:
            return object.__getattribute__(self, "_values")[names[name]]
        raise AttributeError("no param declared as %r; declared: %s" % (name, ", ".join(sorted(names))))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("params are read-only")

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "Params(%s)" % ", ".join("%s=%r" % item for item in self._values.items())


def declared_params(request: Any) -> List[Tuple[str, ParamField]]:
    """(attribute name, field) of every param a ``requestCls`` instance declares, in order."""
    if request is None:
        return []
    return [(name, value) for name, value in declared_attributes(request) if isinstance(value, ParamField)]


def read_params(request: Any, params: Any, errors: Any = None) -> Params:
    """The declared params of ``request`` (a ``UserRequest`` instance) read from a request's ``params``."""
    code = member(errors, "BAD_PARAM", BAD_PARAM)
    given = params if params is not None else {}
    values: Dict[str, Any] = {}
    names: Dict[str, str] = {}
    for name, field in declared_params(request):
        raw = given.get(field.key) if hasattr(given, "get") else None
        values[field.key] = read_one(field, raw, code)
        names[name] = field.key
    return Params(values, names)


def read_one(field: ParamField, raw: Any, code: int) -> Any:
    """One param: absent or empty gives the declared default; otherwise parsed and checked."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if field.required:
            raise ParamError(code, field.key, "is required")
        return field.test_value
    value = parse(field, raw, code)
    check(field, value, raw, code)
    return value


def parse(field: ParamField, raw: Any, code: int) -> Any:
    if isinstance(field, BooleanParamField):
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ParamError(code, field.key, "%s is not a boolean (true or false)" % shown_value(field, raw))
    if isinstance(field, _NumericParamField):
        try:
            value = field.from_wire(raw)
        except (TypeError, ValueError, OverflowError):
            raise ParamError(code, field.key, "%s is not a number" % shown_value(field, raw)) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ParamError(code, field.key, "%s is not a finite number" % shown_value(field, raw))
        if field.json_type == "integer" and not isinstance(value, int):
            raise ParamError(code, field.key, "%s is not an integer" % shown_value(field, raw))
        return value
    return field.from_wire(raw) if not isinstance(raw, bytes) else raw.decode("utf-8", "replace")


def check(field: ParamField, value: Any, raw: Any, code: int) -> None:
    if field.enums and value not in field.enums:
        allowed = ", ".join(map(repr, field.enums))
        raise ParamError(code, field.key, "%s is not one of %s" % (shown_value(field, value), allowed))
    if isinstance(field, StringParamField) and not field.min_length <= len(value) <= field.max_length:
        raise ParamError(
            code, field.key, "length %d is outside %d..%d" % (len(value), field.min_length, field.max_length)
        )
    if isinstance(field, _NumericParamField) and not field.enums and not field.minimum <= value <= field.maximum:
        shown = shown_value(field, value)
        raise ParamError(code, field.key, "%s is outside %r..%r" % (shown, field.minimum, field.maximum))
