"""Evaluate the expressions of a wrapper.py without running it.

Understands literals, containers, simple arithmetic and f-strings, names bound to such values at
module or class level, constants of ``aiges.core.types`` (``Once``, ``DataText``...), calls of the
field classes imported from ``aiges``, and ``UserRequest()`` instances of classes defined in the same
file. Sample paths computed from the file's location are understood too: ``__file__`` is wrapper.py's
absolute path, and ``os.path.join/dirname/abspath/realpath/normpath/basename`` are evaluated (a
relative path made absolute is taken from the wrapper folder, the loader's working directory).
Anything else raises :class:`NotStatic`, which makes the caller import wrapper.py instead.
"""

import ast
import builtins
import dataclasses
import inspect
import operator
import os
import posixpath
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiges.core import types as aiges_types
from aiges.fields import FIELD_CLASSES

AIGES_CONSTANTS = {
    name: getattr(aiges_types, name)
    for name in aiges_types.__all__
    if isinstance(getattr(aiges_types, name), (int, str))
}
MAX_SEQUENCE = 100000  # refuse to build huge literals from `"x" * n`


class NotStatic(Exception):
    """An expression this reader cannot evaluate without importing wrapper.py."""

    # Set by the static reader when it knows them (read with getattr and a default): the declaration's name,
    # and whether the value is only unknown because the module changes it (not because it cannot be read).
    subject: str
    uncertain: bool

    def __init__(self, reason: str, line: Optional[int] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class BadCall(Exception):
    """A field constructor call that would fail however it is read (e.g. too many arguments)."""

    subject: str  # set by the static reader: the declaration's name (read with getattr and a default)

    def __init__(self, message: str, line: Optional[int] = None) -> None:
        super().__init__(message)
        self.line = line


@dataclasses.dataclass(frozen=True)
class Lit:
    value: Any


@dataclasses.dataclass(frozen=True)
class FieldCall:
    class_name: str
    kwargs: Tuple[Tuple[str, Any], ...]
    line: int

    @property
    def spec(self) -> Dict[str, Any]:
        return {"class": self.class_name, "kwargs": dict(self.kwargs)}


@dataclasses.dataclass(frozen=True)
class ClassRef:
    """A class defined in wrapper.py (the class object itself)."""

    name: str


@dataclasses.dataclass(frozen=True)
class InstanceOf:
    """``UserRequest()``: an instance of a class defined in wrapper.py."""

    name: str


@dataclasses.dataclass(frozen=True)
class Function:
    """A ``def`` in a class body (a method): never a field."""

    line: int


@dataclasses.dataclass(frozen=True)
class Deferred:
    """A binding whose value could not be evaluated; raising is deferred until it is used."""

    error: NotStatic


@dataclasses.dataclass(frozen=True)
class External:
    """A base class imported from elsewhere (``WrapperBase`` is the one the reader understands)."""

    module: str
    name: str


@dataclasses.dataclass
class Imports:
    """What the module imports: ``from m import a as b`` and ``import m.n as k``."""

    names: Dict[str, Tuple[str, str]] = dataclasses.field(default_factory=dict)
    modules: Dict[str, str] = dataclasses.field(default_factory=dict)
    star_modules: List[str] = dataclasses.field(default_factory=list)

    def add(self, node: ast.stmt) -> List[str]:
        """Record an import statement; return the local names it binds."""
        bound = []
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                self.modules[local] = alias.name if alias.asname else local
                bound.append(local)
        elif isinstance(node, ast.ImportFrom):
            module = "." * (node.level or 0) + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    self.star_modules.append(module)
                    continue
                local = alias.asname or alias.name
                self.names[local] = (module, alias.name)
                self.modules.pop(local, None)
                bound.append(local)
        return bound

    def star_from_aiges(self) -> bool:
        return any(is_aiges_module(module) for module in self.star_modules)


def is_aiges_module(module: str) -> bool:
    return module in ("aiges", "aiges_embed") or module.startswith("aiges.")


@dataclasses.dataclass
class Scope:
    """Names visible to an expression: class body first, then module level, then imports."""

    module: Dict[str, Any]
    imports: Imports
    local: Optional[Dict[str, Any]] = None
    module_file: Optional[str] = None  # absolute path of wrapper.py: the value of ``__file__``

    def lookup(self, name: str) -> Any:
        for table in (self.local, self.module):
            if table is not None and name in table:
                return table[name]
        return None


def describe(node: ast.AST, limit: int = 60) -> str:
    """Short source text of an expression, for messages."""
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - only used for messages
        text = type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def evaluate(node: ast.expr, scope: Scope) -> Any:
    """Lit, FieldCall, ClassRef or InstanceOf for ``node``; raise NotStatic otherwise."""
    if isinstance(node, ast.Constant):
        return Lit(node.value)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(item, scope) for item in node.elts]
        kind = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        return Lit(kind(items))
    if isinstance(node, ast.Dict):
        keys = [key for key in node.keys if key is not None]  # None: a ``**mapping`` entry
        if len(keys) != len(node.keys):
            raise NotStatic("%s unpacks another mapping" % describe(node), node.lineno)
        return Lit({_literal(key, scope): _literal(value, scope) for key, value in zip(keys, node.values)})
    if isinstance(node, ast.Name):
        return _name(node, scope)
    if isinstance(node, ast.Attribute):
        return _attribute(node, scope)
    if isinstance(node, ast.UnaryOp):
        return Lit(_unary(node, _literal(node.operand, scope)))
    if isinstance(node, ast.BinOp):
        return Lit(_binary(node, _literal(node.left, scope), _literal(node.right, scope)))
    if isinstance(node, ast.JoinedStr):
        return Lit("".join(_format_part(part, scope) for part in node.values))
    if isinstance(node, ast.Subscript):
        container, index = _literal(node.value, scope), _literal(node.slice, scope)  # 3.9+: never wrapped in ast.Index
        try:
            return Lit(container[index])
        except (LookupError, TypeError) as error:
            raise NotStatic("%s fails: %s" % (describe(node), error), node.lineno) from error
    if isinstance(node, ast.IfExp):
        return evaluate(node.body if _literal(node.test, scope) else node.orelse, scope)
    if isinstance(node, ast.BoolOp):
        return Lit(_bool_op(node, scope))
    if isinstance(node, ast.Compare):
        return Lit(_compare(node, scope))
    if isinstance(node, ast.Call):
        return _call(node, scope)
    raise NotStatic("%s is not a literal" % describe(node), getattr(node, "lineno", None))


def literal(node: ast.expr, scope: Scope) -> Any:
    """The Python value of a literal expression (NotStatic for fields, classes and the rest)."""
    return _literal(node, scope)


def _literal(node: ast.expr, scope: Scope) -> Any:
    result = evaluate(node, scope)
    if not isinstance(result, Lit):
        raise NotStatic("%s is not a literal value" % describe(node), node.lineno)
    return result.value


def _name(node: ast.Name, scope: Scope) -> Any:
    bound = scope.lookup(node.id)
    if isinstance(bound, Deferred):
        raise NotStatic(
            "%s is bound to something this reader cannot evaluate (%s)" % (node.id, bound.error.reason), node.lineno
        )
    if bound is not None:
        if isinstance(bound, (Function, External)):
            raise NotStatic("%s is not a literal" % node.id, node.lineno)
        return bound
    imported = scope.imports.names.get(node.id)
    if imported is not None:
        module, original = imported
        if is_aiges_module(module) and original in AIGES_CONSTANTS:
            return Lit(AIGES_CONSTANTS[original])
        raise NotStatic("%s is imported from %s" % (node.id, module or "."), node.lineno)
    if scope.imports.star_from_aiges() and node.id in AIGES_CONSTANTS:
        return Lit(AIGES_CONSTANTS[node.id])
    if node.id == "__file__" and scope.module_file:
        return Lit(scope.module_file)
    raise NotStatic("%s is not defined at module level of wrapper.py" % node.id, node.lineno)


def dotted_module(node: ast.expr, scope: Scope) -> Optional[str]:
    """``aiges.sdk`` for an expression naming an imported module (``sdk`` after ``from aiges import sdk``)."""
    if isinstance(node, ast.Name):
        if scope.lookup(node.id) is not None:
            return None
        if node.id in scope.imports.modules:
            return scope.imports.modules[node.id]
        imported = scope.imports.names.get(node.id)
        if imported is not None and is_aiges_module(imported[0]):
            return "%s.%s" % imported if imported[0] else imported[1]
        return None
    if isinstance(node, ast.Attribute):
        base = dotted_module(node.value, scope)
        return base + "." + node.attr if base else None
    return None


def _attribute(node: ast.Attribute, scope: Scope) -> Any:
    module = dotted_module(node.value, scope)
    if module and is_aiges_module(module) and node.attr in AIGES_CONSTANTS:
        return Lit(AIGES_CONSTANTS[node.attr])
    raise NotStatic("%s is not a literal" % describe(node), node.lineno)


def field_class_of(func: ast.expr, scope: Scope) -> Optional[str]:
    """The aiges field class a callee names, or None when it names something else."""
    if isinstance(func, ast.Name):
        if scope.lookup(func.id) is not None:
            return None
        imported = scope.imports.names.get(func.id)
        if imported is not None:
            module, original = imported
            return original if is_aiges_module(module) and original in FIELD_CLASSES else None
        if scope.imports.star_from_aiges() and func.id in FIELD_CLASSES:
            return func.id
        return None
    if isinstance(func, ast.Attribute):
        dotted = dotted_module(func.value, scope)
        return func.attr if dotted and is_aiges_module(dotted) and func.attr in FIELD_CLASSES else None
    return None


def _call(node: ast.Call, scope: Scope) -> Any:
    class_name = field_class_of(node.func, scope)
    if class_name is not None:
        return FieldCall(class_name, _arguments(class_name, node, scope), node.lineno)
    function = _pure_function(node.func, scope) or _path_function(node.func, scope)
    if function is not None:
        args = [_literal(argument, scope) for argument in node.args if not isinstance(argument, ast.Starred)]
        kwargs = {keyword.arg: _literal(keyword.value, scope) for keyword in node.keywords if keyword.arg}
        if len(args) != len(node.args) or len(kwargs) != len(node.keywords):
            raise NotStatic("%s unpacks its arguments" % describe(node), node.lineno)
        try:
            value = function(*args, **kwargs)
        except Exception as error:
            raise NotStatic("%s fails: %s" % (describe(node), error), node.lineno) from error
        if hasattr(value, "__len__") and len(value) > MAX_SEQUENCE:
            raise NotStatic("%s builds a huge value" % describe(node), node.lineno)
        return Lit(value)
    if isinstance(node.func, ast.Name):
        bound = scope.lookup(node.func.id)
        if isinstance(bound, ClassRef):
            if node.args or node.keywords:
                raise NotStatic("%s is built with arguments" % describe(node), node.lineno)
            return InstanceOf(bound.name)
        if bound is None and node.func.id not in scope.imports.names:
            raise NotStatic(
                "%s is not one of the aiges field classes (%s)" % (node.func.id, ", ".join(sorted(FIELD_CLASSES))),
                node.lineno,
            )
    raise NotStatic("%s is not a call of an aiges field class" % describe(node), node.lineno)


def _arguments(class_name: str, node: ast.Call, scope: Scope) -> Tuple[Tuple[str, Any], ...]:
    parameters = [name for name in inspect.signature(FIELD_CLASSES[class_name].__init__).parameters if name != "self"]
    kwargs: Dict[str, Any] = {}
    for index, argument in enumerate(node.args):
        if isinstance(argument, ast.Starred):
            raise NotStatic("%s unpacks *%s" % (class_name, describe(argument.value)), node.lineno)
        if index >= len(parameters):
            raise BadCall(
                "%s takes at most %d positional arguments (%s), got %d"
                % (class_name, len(parameters), ", ".join(parameters), len(node.args)),
                node.lineno,
            )
        kwargs[parameters[index]] = _argument(class_name, parameters[index], argument, scope)
    for keyword in node.keywords:
        if keyword.arg is None:
            raise NotStatic("%s unpacks **%s" % (class_name, describe(keyword.value)), node.lineno)
        if keyword.arg in kwargs:
            raise BadCall("%s got multiple values for argument %r" % (class_name, keyword.arg), keyword.value.lineno)
        kwargs[keyword.arg] = _argument(class_name, keyword.arg, keyword.value, scope)
    return tuple(kwargs.items())


def _argument(class_name: str, name: str, node: ast.expr, scope: Scope) -> Any:
    try:
        return _literal(node, scope)
    except NotStatic as error:
        refers = isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.BinOp, ast.JoinedStr))
        adds = refers and error.reason != "%s is not a literal" % describe(node)
        raise NotStatic(
            "argument %s=%s is not a literal%s" % (name, describe(node), " (%s)" % error.reason if adds else ""),
            node.lineno,
        ) from error


# Builtins and str/bytes methods without side effects: evaluated when their arguments are literals.
PURE_BUILTINS: Dict[str, Callable[..., Any]] = {
    name: getattr(builtins, name)
    for name in (
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "str",
        "int",
        "float",
        "bool",
        "sorted",
        "len",
        "min",
        "max",
        "abs",
        "round",
        "reversed",
    )
}
PURE_METHODS = (
    "upper",
    "lower",
    "title",
    "capitalize",
    "strip",
    "lstrip",
    "rstrip",
    "replace",
    "join",
    "split",
    "rsplit",
    "encode",
    "decode",
    "startswith",
    "endswith",
    "format",
)


def _pure_function(func: ast.expr, scope: Scope) -> Optional[Callable[..., Any]]:
    if isinstance(func, ast.Name):
        shadowed = scope.lookup(func.id) is not None or func.id in scope.imports.names
        function = PURE_BUILTINS.get(func.id)
        if function is None or shadowed:
            return None
        return (lambda *args, **kwargs: list(function(*args, **kwargs))) if func.id == "reversed" else function
    if isinstance(func, ast.Attribute) and func.attr in PURE_METHODS:
        try:
            owner = _literal(func.value, scope)
        except NotStatic:
            return None
        if isinstance(owner, (str, bytes)):
            return getattr(owner, func.attr)
    return None


PATH_FUNCTIONS = ("join", "dirname", "abspath", "realpath", "normpath", "basename")


def qualified_name(node: ast.expr, scope: Scope) -> Optional[str]:
    """``os.path.join`` for ``os.path.join``, ``osp.join`` (``import os.path as osp``), ``path.join``
    (``from os import path``) or ``join`` (``from os.path import join``); None for anything else."""
    if isinstance(node, ast.Name):
        if scope.lookup(node.id) is not None:
            return None
        if node.id in scope.imports.modules:
            return scope.imports.modules[node.id]
        imported = scope.imports.names.get(node.id)
        if imported is not None and not imported[0].startswith("."):
            return "%s.%s" % imported
        return None
    if isinstance(node, ast.Attribute):
        base = qualified_name(node.value, scope)
        return base + "." + node.attr if base else None
    return None


def _path_function(func: ast.expr, scope: Scope) -> Optional[Callable[..., Any]]:
    """A side-effect-free ``os.path`` function, evaluated as it would be in the loader's working directory."""
    name = qualified_name(func, scope)
    if not name or not name.startswith("os.path.") or name[len("os.path.") :] not in PATH_FUNCTIONS:
        return None
    function = name[len("os.path.") :]
    base = os.path.dirname(scope.module_file) if scope.module_file else None

    def absolute(path: Any) -> str:
        if not isinstance(path, str):
            raise TypeError("expected a str path, got %r" % (path,))
        if posixpath.isabs(path):
            return posixpath.normpath(path)
        if base is None:
            raise TypeError("relative path %r depends on the working directory" % (path,))
        return posixpath.normpath(posixpath.join(base, path))

    if function in ("abspath", "realpath"):
        return absolute
    return getattr(posixpath, function)


def _bool_op(node: ast.BoolOp, scope: Scope) -> Any:
    value = None
    for operand in node.values:
        value = _literal(operand, scope)
        if bool(value) is isinstance(node.op, ast.Or):
            return value
    return value


_COMPARE: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _compare(node: ast.Compare, scope: Scope) -> bool:
    left = _literal(node.left, scope)
    for op, comparator in zip(node.ops, node.comparators):
        right = _literal(comparator, scope)
        try:
            if not _COMPARE[type(op)](left, right):
                return False
        except TypeError as error:
            raise NotStatic("%s fails: %s" % (describe(node), error), node.lineno) from error
        left = right
    return True


_UNARY: Dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_BINARY: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _unary(node: ast.UnaryOp, operand: Any) -> Any:
    try:
        return _UNARY[type(node.op)](operand)
    except (KeyError, TypeError) as error:
        raise NotStatic("%s is not a literal" % describe(node), node.lineno) from error


def _binary(node: ast.BinOp, left: Any, right: Any) -> Any:
    if (
        isinstance(node.op, ast.Mult)
        and isinstance(left, (str, bytes, list, tuple)) + isinstance(right, (str, bytes, list, tuple))
        and _too_long(left, right)
    ):
        raise NotStatic("%s builds a huge value" % describe(node), node.lineno)
    if isinstance(node.op, ast.Pow) and (not isinstance(right, (int, float)) or abs(right) > 1000):
        raise NotStatic("%s is not a small power" % describe(node), node.lineno)
    try:
        return _BINARY[type(node.op)](left, right)
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise NotStatic("%s cannot be evaluated (%s)" % (describe(node), error), node.lineno) from error


def _too_long(left: Any, right: Any) -> bool:
    sequence, count = (left, right) if isinstance(right, int) else (right, left)
    return not isinstance(count, int) or len(sequence) * max(count, 0) > MAX_SEQUENCE


def _format_part(part: ast.expr, scope: Scope) -> str:
    if isinstance(part, ast.Constant):
        return str(part.value)
    if not isinstance(part, ast.FormattedValue):
        raise NotStatic("%s is not a literal" % describe(part), part.lineno)
    value = _literal(part.value, scope)
    converted = {-1: value, 115: str(value), 114: repr(value), 97: ascii(value)}[part.conversion]
    spec = (
        "".join(_format_part(item, scope) for item in part.format_spec.values)
        if isinstance(part.format_spec, ast.JoinedStr)
        else ""
    )  # the grammar's only kind of format spec
    try:
        return format(converted, spec)
    except (TypeError, ValueError) as error:
        raise NotStatic("%s cannot be formatted (%s)" % (describe(part), error), part.lineno) from error
