"""Fields declared outside any class of wrapper.py: nothing ever reads them, so render refuses.

The runtime (like the vendor SDK's metaclass) takes fields only from the classes of the
``requestCls``/``responseCls`` instances. A field bound to a module-level name that nothing reads, typically
a line pasted unindented or left behind when a class body's indentation was lost, reaches no schema.json,
no aiges.toml and no request, and both readers pass over it without a word. Found from the source alone
(``ast`` and ``symtable``), so the check is the same whichever reader ran and imports nothing. A name read
anywhere (``UserRequest.text = text``, a method using it) is not reported: it may well reach a class.
"""

import ast
import dataclasses
import symtable
from typing import Dict, Iterator, List, Optional, Set, Tuple

from aiges.errors import DeclarationError
from aiges.fields import FIELD_CLASSES, ParamField

# Ways of reaching module-level names without naming them: when used, the source cannot tell what is read.
DYNAMIC_ACCESS = frozenset(("globals", "vars", "locals", "eval", "exec", "__import__"))
DEFAULT_HOLDERS = {"requestCls": "UserRequest", "responseCls": "UserResponse"}


@dataclasses.dataclass(frozen=True)
class StrayField:
    """A field constructor call bound at module level to names nothing reads."""

    names: Tuple[str, ...]
    class_name: str
    key: Optional[str]
    line: int
    follows_class: Optional[str] = None  # the class statement it directly follows at module level


def stray_fields(source: str, filename: str = "wrapper.py") -> List[StrayField]:
    """The unread module-level fields of ``source`` (empty when it does not parse or reads names dynamically)."""
    try:
        tree = ast.parse(source, filename=filename)
        table = symtable.symtable(source, filename, "exec")
    except (SyntaxError, ValueError):
        return []
    read = _names_read(table)
    if read & DYNAMIC_ACCESS or _uses_sys_modules(tree):
        return []
    module = {symbol.get_name(): symbol for symbol in table.get_symbols()}
    found = []
    previous: Optional[ast.stmt] = None
    for statement, top_level in _module_statements(tree):
        names, call = _bound_call(statement)
        class_name = _field_class(call, module) if call is not None else None
        if call is not None and class_name and not set(names) & read:
            follows = previous.name if top_level and isinstance(previous, ast.ClassDef) else None
            found.append(StrayField(names, class_name, _key(call), statement.lineno, follows))
        if top_level:
            previous = statement
    return found


def stray_errors(
    strays: List[StrayField], holders: Dict[str, str], wrapper_class: str, source: str
) -> List[DeclarationError]:
    """One error per stray field (``holders``: requestCls/responseCls -> the class of the instance)."""
    return [
        DeclarationError(
            _message(stray, holders, wrapper_class), file=source, line=stray.line, field=stray.key or stray.names[0]
        )
        for stray in strays
    ]


def _message(stray: StrayField, holders: Dict[str, str], wrapper_class: str) -> str:
    """What it is, why it counts for nothing, and which class it belongs in (a param: the request only)."""
    if issubclass(FIELD_CLASSES[stray.class_name], ParamField):
        roles = [("requestCls", "a param")]
    else:
        roles = [("requestCls", "an input"), ("responseCls", "an output")]
    places, targets = [], []
    for attribute, role in roles:
        name = holders.get(attribute, DEFAULT_HOLDERS[attribute])
        unset = "" if attribute in holders else " (and set `%s = %s()` in %s)" % (attribute, name, wrapper_class)
        places.append("`class %s(...)` for %s%s" % (name, role, unset))
        targets.append(name)
    read_from = " and ".join(
        "class %s (%s.%s)" % (name, wrapper_class, attribute) for attribute, name in holders.items()
    ) or "the classes of %s.requestCls and %s.responseCls, which it does not set" % (wrapper_class, wrapper_class)
    lost = ""
    if stray.follows_class in targets:
        lost = "; it follows the body of class %s: was its indentation lost?" % stray.follows_class
    return (
        "%s = %s(...) is at module level, outside any class, so the runtime never sees it and schema.json and "
        "aiges.toml would not have it: fields are read only from %s; move it inside %s%s"
        % (" = ".join(stray.names), stray.class_name, read_from, " or ".join(places), lost)
    )


def _names_read(table: symtable.SymbolTable) -> Set[str]:
    """Module-level names read anywhere: at module level, in class bodies, and as globals in functions."""
    read = set()
    pending = [table]
    while pending:
        scope = pending.pop()
        for symbol in scope.get_symbols():
            if not symbol.is_referenced():
                continue
            # A class body reads a global unless it bound the name first: count every name it reads.
            if scope.get_type() in ("module", "class") or symbol.is_global():
                read.add(symbol.get_name())
        pending.extend(scope.get_children())
    return read


def _uses_sys_modules(tree: ast.Module) -> bool:
    """``sys.modules[__name__]`` reaches the module's names by its own name."""
    return any(
        isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(node.value, ast.Name)
        for node in ast.walk(tree)
    )


def _module_statements(tree: ast.Module) -> Iterator[Tuple[ast.stmt, bool]]:
    """(statement, at top level) for every statement run at import: blocks included, no function or class."""
    pending = [(statement, True) for statement in reversed(tree.body)]
    while pending:
        statement, top_level = pending.pop()
        yield statement, top_level
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        inner: List[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            inner.extend(getattr(statement, name, None) or [])
        for handler in getattr(statement, "handlers", None) or []:
            inner.extend(handler.body)
        for case in getattr(statement, "cases", None) or []:
            inner.extend(case.body)
        pending.extend((item, False) for item in reversed(inner))


def _bound_call(statement: ast.stmt) -> Tuple[Tuple[str, ...], Optional[ast.Call]]:
    """The names ``a = b = call(...)`` binds and the call; none when a target is not a name (``C.x = ...``)."""
    value: Optional[ast.expr] = None
    targets: List[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets, value = statement.targets, statement.value
    elif isinstance(statement, ast.AnnAssign):
        targets, value = [statement.target], statement.value
    names = tuple(target.id for target in targets if isinstance(target, ast.Name))
    if not isinstance(value, ast.Call) or not names or len(names) != len(targets):
        return (), None
    return names, value


def _field_class(value: ast.Call, module: Dict[str, symtable.Symbol]) -> Optional[str]:
    """The aiges field class a call constructs: ``StringBodyField(...)`` (not a class of the file's own) or
    ``sdk.StringBodyField(...)``."""
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr in FIELD_CLASSES:
        return func.attr
    if isinstance(func, ast.Name) and func.id in FIELD_CLASSES:
        symbol = module.get(func.id)
        if symbol is None or symbol.is_imported() or not symbol.is_assigned():
            return func.id
    return None


def _key(call: ast.Call) -> Optional[str]:
    """The field's key when it is a literal (``key="text"`` or the first argument)."""
    given = [keyword.value for keyword in call.keywords if keyword.arg == "key"] or call.args[:1]
    key = given[0] if given else None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
