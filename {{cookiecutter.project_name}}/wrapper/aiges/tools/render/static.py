"""Read a wrapper.py's declarations with ``ast``, without importing it.

Rendering then works where the user's dependencies (torch, ...) are not installed, e.g. in the
template engine's hooks. The reader mirrors what importing would find (``aiges.discovery``): the
``Wrapper`` class and its bases defined in the same file down to ``WrapperBase``, class attributes
as Python would resolve them (MRO, last assignment wins, definition order kept), fields of the
``requestCls``/``responseCls`` instances including inherited ones, and the implemented wrapper
methods. Whatever it cannot evaluate raises :class:`~aiges.tools.render.evaluate.NotStatic` naming the
declaration, and the caller imports wrapper.py instead.
"""

import ast
import dataclasses
import os
from typing import Any, Dict, Iterator, List, Optional, Tuple

from aiges.discovery import WRAPPER_METHODS, _instance_problem
from aiges.errors import DeclarationError
from aiges.fields import FIELD_CLASSES, ParamField, PayloadField
from aiges.loading import WRAPPER_CLASS
from aiges.sdk import WrapperBase
from aiges.sessionmode import ATTRIBUTE as SESSION_MODE
from aiges.sourcelines import read_source
from aiges.tools.render.evaluate import (
    BadCall,
    ClassRef,
    Deferred,
    External,
    FieldCall,
    Function,
    Imports,
    InstanceOf,
    Lit,
    NotStatic,
    Scope,
    describe,
    dotted_module,
    evaluate,
    is_aiges_module,
)
from aiges.tools.render.raw import META_ATTRIBUTES, RawDeclarations, RawField

OBJECT = "object"
# Class-body names that let a class add attributes at run time: a reader cannot see those fields.
DYNAMIC_HOOKS = ("__init__", "__new__", "__getattr__", "__getattribute__", "__init_subclass__", "__set_name__")


@dataclasses.dataclass
class ClassInfo:
    """A class statement at module level: its bases and its namespace in definition order."""

    ref: ClassRef
    line: int
    bases: List[Any]
    namespace: Dict[str, Any]
    lines: Dict[str, int]
    problem: Optional[NotStatic] = None


def read_static(path: str, source: Optional[str] = None, module_file: Optional[str] = None) -> RawDeclarations:
    """The declarations of wrapper.py at ``path``; raises NotStatic or DeclarationError.

    ``module_file`` is the absolute path ``__file__`` has when the loader imports it (default: ``path``).
    """
    text = source if source is not None else read_source(path)
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as error:
        raise DeclarationError("syntax error: %s" % error.msg, file=path, line=error.lineno) from error
    try:
        return StaticReader(tree, module_file or os.path.abspath(path)).declarations()
    except BadCall as error:
        raise DeclarationError(str(error), file=path, line=error.line, field=getattr(error, "subject", None)) from error


class StaticReader:
    """One pass over the module body, then the discovery rules applied to what was bound."""

    def __init__(self, tree: ast.Module, module_file: Optional[str] = None) -> None:
        self.module_file = module_file
        self.env: Dict[str, Any] = {}
        self.imports = Imports()
        self.classes: Dict[ClassRef, ClassInfo] = {}
        for statement in tree.body:
            self._statement(statement, block=None)

    # --- module level ------------------------------------------------------------------------------
    def _statement(self, node: ast.stmt, block: Optional[str]) -> None:
        if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_main_guard(node):
            self._class_changes(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in self.imports.add(node):
                self.env.pop(name, None)
        elif isinstance(node, ast.ClassDef):
            if block:
                self.env[node.name] = _uncertain("class %s is defined inside %s" % (node.name, block), node)
            else:
                info = self._class(node)
                self.classes[info.ref] = info
                self.env[node.name] = info.ref
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.env[node.name] = Function(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            self._assign(node, self.env, Scope(self.env, self.imports, module_file=self.module_file), block)
        elif _is_main_guard(node):
            return  # `if __name__ == "__main__":` does not run when the loader imports the module
        elif isinstance(node, (ast.If, ast.Try, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)) or type(
            node
        ).__name__ in ("Match", "TryStar"):
            kind = "an %s block at line %d" % (type(node).__name__.lower().replace("async", ""), node.lineno)
            for name in _bound_names(node, imports_too=False):
                self.env[name] = _uncertain("%s is bound inside %s" % (name, kind), node)
            for inner in _import_statements(node):
                self.imports.add(inner)
        else:
            for name in _bound_names(node, imports_too=False):
                self.env[name] = _uncertain("%s is changed by %s" % (name, describe(node)), node)

    def _class_changes(self, node: ast.stmt) -> None:
        """``UserRequest.x = ...``, ``del C.x`` or ``setattr(C, ...)`` at module level change a class after its
        body ran; the runtime reads classes when the plugin starts, so only importing shows what it finds."""
        for name, change in _changed_classes(node):
            bound = self.env.get(name)
            if isinstance(bound, ClassRef) and self.classes[bound].problem is None:
                self.classes[bound].problem = NotStatic(
                    "class %s is changed at module level by %s, so only importing shows its attributes"
                    % (name, describe(change)),
                    getattr(change, "lineno", None) or node.lineno,
                )

    def _assign(
        self,
        node: Any,
        table: Dict[str, Any],
        scope: Scope,
        block: Optional[str],
        lines: Optional[Dict[str, int]] = None,
    ) -> None:
        if node.value is None:  # a bare annotation binds nothing
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        try:
            result: Any = evaluate(node.value, scope)
        except NotStatic as error:
            error.subject = _subject_of(node.value, targets, scope)
            result = Deferred(error)
        except BadCall as error:
            error.subject = _subject_of(node.value, targets, scope)
            raise
        for target in targets:
            if isinstance(target, ast.Name) and not block:
                table[target.id] = result
                if lines is not None:
                    lines[target.id] = node.lineno
            else:
                for name in _target_names(target):
                    if table is self.env and isinstance(table.get(name), ClassRef) and name not in _stored(target):
                        continue  # `C.x = ...` changes the class, it does not rebind C: see _class_changes
                    table[name] = _uncertain("%s is bound by %s" % (name, describe(target)), node)
                    if lines is not None:
                        lines[name] = node.lineno

    def _class(self, node: ast.ClassDef) -> ClassInfo:
        ref = ClassRef(node.name)
        ref = ClassRef("%s@%d" % (node.name, node.lineno)) if ref in self.classes else ref
        info = ClassInfo(
            ref=ref, line=node.lineno, bases=[self._base(base) for base in node.bases], namespace={}, lines={}
        )
        if node.decorator_list or node.keywords:
            info.problem = NotStatic("class %s has decorators or a metaclass" % node.name, node.lineno)
        imports = Imports(dict(self.imports.names), dict(self.imports.modules), list(self.imports.star_modules))
        scope = Scope(dict(self.env), imports, local=info.namespace, module_file=self.module_file)
        for statement in node.body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)):
                self._assign(statement, info.namespace, scope, None, info.lines)
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                info.namespace[statement.name] = Function(statement.lineno)
                info.lines[statement.name] = statement.lineno
            elif isinstance(statement, (ast.Expr, ast.Pass)):
                continue
            else:
                for name in _bound_names(statement, imports_too=True):
                    info.namespace[name] = _uncertain(
                        "%s.%s is bound inside %s at line %d"
                        % (node.name, name, type(statement).__name__.lower(), statement.lineno),
                        statement,
                    )
                    info.lines[name] = statement.lineno
        _mangle_private_names(info, node.name)
        return info

    def _base(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            bound = self.env.get(node.id)
            if isinstance(bound, ClassRef):
                return bound
            if bound is None and node.id in self.imports.names:
                return External(*self.imports.names[node.id])
            if bound is None and node.id == OBJECT:
                return OBJECT
            stars = [module for module in self.imports.star_modules if is_aiges_module(module)]
            if bound is None and stars:
                return External(stars[-1], node.id)  # `from aiges.sdk import *` brings WrapperBase
        elif isinstance(node, ast.Attribute):
            module = dotted_module(node.value, Scope(self.env, self.imports))
            if module:
                return External(module, node.attr)
        return Deferred(NotStatic("base class %s is not a class defined in wrapper.py" % describe(node), node.lineno))

    # --- class resolution ----------------------------------------------------------------------------
    def mro(self, node: Any, trail: Tuple[ClassRef, ...] = ()) -> List[Any]:
        """Python's C3 linearisation over classes of this file, WrapperBase and object."""
        if node == OBJECT:
            return [OBJECT]
        if isinstance(node, External):
            if not _is_wrapper_base(node):
                raise NotStatic(
                    "base class %s is imported from %s, so its attributes are unknown here"
                    % (node.name, node.module or ".")
                )
            return [node, OBJECT]
        info = self.classes[node]
        if info.problem is not None:
            raise info.problem
        if node in trail:
            raise NotStatic("class %s inherits from itself" % node.name, info.line)
        for base in info.bases:
            if isinstance(base, Deferred):
                raise base.error
        bases = info.bases or [OBJECT]
        try:
            sequences = [*[self.mro(base, (*trail, node)) for base in bases], list(bases)]
        except NotStatic as error:
            error.line = error.line or info.line  # name the class statement that lists the base
            raise
        return [node, *_merge(sequences, node, info.line)]

    def attribute(self, mro: List[Any], name: str) -> Optional[Tuple[Any, str, Optional[int]]]:
        """(value, owner class, line) of a class attribute as ``getattr`` would find it, or None."""
        for node in mro:
            if isinstance(node, ClassRef):
                info = self.classes[node]
                if name in info.namespace:
                    return info.namespace[name], _class_name(node), info.lines.get(name)
            elif isinstance(node, External):
                found = _wrapper_base_attribute(name)
                if found is not None:
                    return found, node.name, None
        return None

    def instance_fields(self, instance: InstanceOf, attribute: str) -> Iterator[Tuple[str, Any, str, Optional[int]]]:
        """(name, value, owner, line) of the attributes ``aiges.discovery.declared_attributes`` would yield."""
        ref = ClassRef(instance.name)
        mro = self.mro(ref)
        for node in mro:
            if isinstance(node, External):
                raise NotStatic("%s derives from %s, whose fields are unknown here" % (instance.name, node.name))
            if isinstance(node, ClassRef):
                hooks = [hook for hook in DYNAMIC_HOOKS if hook in self.classes[node].namespace]
                if hooks:
                    raise NotStatic(
                        "%s defines %s, which may add fields at run time" % (_class_name(node), hooks[0]),
                        self.classes[node].lines.get(hooks[0]),
                    )
        seen = set()
        for node in reversed(mro):
            if not isinstance(node, ClassRef):
                continue
            for name in self.classes[node].namespace:
                if name.startswith("__") or name in seen:
                    continue
                seen.add(name)
                found = self.attribute(mro, name)
                assert found is not None
                value, owner, line = found
                yield name, value, owner, line

    # --- what the loader would read ------------------------------------------------------------------
    def declarations(self) -> RawDeclarations:
        wrapper = self.env.get(WRAPPER_CLASS)
        if isinstance(wrapper, Deferred):
            raise wrapper.error
        if not isinstance(wrapper, ClassRef):
            raise NotStatic("wrapper.py defines no class %s at module level" % WRAPPER_CLASS)
        info = self.classes[wrapper]
        mro = self.mro(wrapper)
        raw = RawDeclarations(class_name=_class_name(wrapper), lines={"__class__": info.line})
        for name in (*META_ATTRIBUTES, "config"):
            found = self.attribute(mro, name)
            if found is None:
                continue
            value, owner, line = found
            raw.meta[name] = _literal_attribute(value, "%s.%s" % (owner, name), line)
            if line:
                raw.lines[name] = line
        raw.config = raw.meta.pop("config", {})
        found = self.attribute(mro, SESSION_MODE)
        if found is not None:
            value, owner, line = found
            raw.session_mode = _literal_attribute(value, "%s.%s" % (owner, SESSION_MODE), line)
            if line:
                raw.lines[SESSION_MODE] = line
        raw.methods = sorted(self._methods(mro))
        raw.field_holders = any(self._holder_set(mro, name) for name in ("requestCls", "responseCls"))
        for attribute, group_of in (("requestCls", _request_group), ("responseCls", _response_group)):
            self._holder(raw, mro, attribute, group_of)
        return raw

    def _holder_set(self, mro: List[Any], attribute: str) -> bool:
        """Is ``attribute`` bound to something other than None (as ``has_field_holders`` sees it)?"""
        found = self.attribute(mro, attribute)
        if found is None:
            return False
        value = found[0]
        return not (isinstance(value, Lit) and value.value is None)

    def _methods(self, mro: List[Any]) -> Iterator[str]:
        for node in mro:
            if not isinstance(node, ClassRef):
                break  # aiges.discovery.user_methods stops at WrapperBase (and object)
            for name, value in self.classes[node].namespace.items():
                if name in WRAPPER_METHODS:
                    if isinstance(value, Deferred) and getattr(value.error, "uncertain", False):
                        raise value.error
                    yield name

    def _holder(self, raw: RawDeclarations, mro: List[Any], attribute: str, group_of: Any) -> None:
        found = self.attribute(mro, attribute)
        if found is None:
            return
        value, _, line = found
        if line:
            raw.lines[attribute] = line
        if isinstance(value, Deferred):
            raise value.error
        if isinstance(value, ClassRef):
            problem = _instance_problem(attribute, type(_class_name(value), (), {}), raw.class_name)
            setattr(raw, "request_error" if attribute == "requestCls" else "response_error", problem)
            return
        if not isinstance(value, InstanceOf):
            return  # None, another literal or a field: no declared attributes, as when imported
        raw.holder_classes[attribute] = value.name
        for name, item, item_owner, item_line in self.instance_fields(value, attribute):
            if isinstance(item, Deferred):
                raise item.error
            if isinstance(item, InstanceOf):
                raise NotStatic(
                    "%s.%s is an instance of %s, which might be a field" % (item_owner, name, item.name), item_line
                )
            if not isinstance(item, FieldCall):
                continue
            group = group_of(name, item)
            if group:
                getattr(raw, group).append(
                    RawField(spec=item.spec, attribute=name, owner=item_owner, line=item_line or item.line)
                )


def _request_group(name: str, item: FieldCall) -> Optional[str]:
    cls = FIELD_CLASSES[item.class_name]
    if issubclass(cls, PayloadField):
        return "inputs"
    return "params" if issubclass(cls, ParamField) else None


def _response_group(name: str, item: FieldCall) -> Optional[str]:
    return "accepts" if issubclass(FIELD_CLASSES[item.class_name], PayloadField) or name.startswith("accept") else None


def _literal_attribute(value: Any, label: str, line: Optional[int]) -> Any:
    if isinstance(value, Deferred):
        raise value.error
    if not isinstance(value, Lit):
        raise NotStatic("%s is not a literal" % label, line)
    return value.value


def _uncertain(reason: str, node: ast.AST) -> Deferred:
    error = NotStatic(reason, getattr(node, "lineno", None))
    error.uncertain = True
    return Deferred(error)


def _subject_of(value: ast.expr, targets: List[ast.expr], scope: Scope) -> str:
    """How to name a declaration in messages: the field key when it is a literal, else the target."""
    if isinstance(value, ast.Call):
        for keyword in value.keywords:
            if keyword.arg == "key":
                try:
                    key = evaluate(keyword.value, scope)
                except (NotStatic, BadCall):
                    break
                if isinstance(key, Lit) and isinstance(key.value, str):
                    return key.value
        if value.args and isinstance(value.args[0], ast.Constant) and isinstance(value.args[0].value, str):
            return value.args[0].value
    return ", ".join(describe(target) for target in targets)


def _wrapper_base_attribute(name: str) -> Any:

    for klass in WrapperBase.__mro__[:-1]:
        if name in vars(klass):
            value = getattr(WrapperBase, name)
            if callable(value):
                return Function(0)
            return Lit(value)
    return None


def _mangle_private_names(info: ClassInfo, class_name: str) -> None:
    """``__x`` in a class body is stored as ``_Class__x``, which discovery does not skip as a dunder."""
    prefix = "_%s" % class_name.lstrip("_")

    def mangled(name: str) -> str:
        return prefix + name if name.startswith("__") and not name.endswith("__") and class_name.strip("_") else name

    info.namespace = {mangled(name): value for name, value in info.namespace.items()}
    info.lines = {mangled(name): line for name, line in info.lines.items()}


def _is_wrapper_base(node: External) -> bool:
    return node.name == "WrapperBase" and is_aiges_module(node.module)


def _class_name(ref: ClassRef) -> str:
    return ref.name.split("@", 1)[0]


def _merge(sequences: List[List[Any]], node: ClassRef, line: int) -> List[Any]:
    result: List[Any] = []
    sequences = [list(sequence) for sequence in sequences if sequence]
    while sequences:
        for sequence in sequences:
            head = sequence[0]
            if not any(head in other[1:] for other in sequences):
                break
        else:
            raise NotStatic("class %s has no consistent method resolution order" % _class_name(node), line)
        result.append(head)
        sequences = [[item for item in sequence if item != head] for sequence in sequences]
        sequences = [sequence for sequence in sequences if sequence]
    return result


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    names = [part.id for part in parts if isinstance(part, ast.Name)]
    constants = [part.value for part in parts if isinstance(part, ast.Constant)]
    return names == ["__name__"] and constants == ["__main__"] and not node.orelse


def _changed_classes(node: ast.stmt) -> Iterator[Tuple[str, ast.AST]]:
    """(name, expression) of what a module-level statement changes inside an object named by a plain name:
    ``C.x = ...``, ``C.x[k] = ...``, ``del C.x``, ``setattr(C, ...)``, ``delattr(C, ...)`` (nested blocks too)."""
    pending: List[ast.AST] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # runs later, if ever
        if isinstance(item, (ast.Attribute, ast.Subscript)) and isinstance(item.ctx, (ast.Store, ast.Del)):
            root = _root_name(item)
            if root is not None:
                yield root, item
        elif (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name)
            and item.func.id in ("setattr", "delattr")
            and item.args
            and isinstance(item.args[0], ast.Name)
        ):
            yield item.args[0].id, item
        pending.extend(reversed(list(ast.iter_child_nodes(item))))


def _root_name(node: ast.expr) -> Optional[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _stored(target: ast.expr) -> List[str]:
    """Names a target rebinds (``a``, ``a, b``), not the objects it changes (``a.x``, ``a[0]``)."""
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)]


def _target_names(target: ast.expr) -> List[str]:
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name)]


def _bound_names(node: ast.AST, imports_too: bool) -> List[str]:
    """Names a statement binds in the enclosing scope (not inside nested functions or classes)."""
    names: List[str] = []

    def visit(item: ast.AST) -> None:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(item.name)
            return
        if isinstance(item, ast.Lambda):
            return
        if isinstance(item, ast.Name) and isinstance(item.ctx, (ast.Store, ast.Del)):
            names.append(item.id)
        elif isinstance(item, (ast.Import, ast.ImportFrom)) and imports_too:
            names.extend(alias.asname or alias.name.split(".")[0] for alias in item.names if alias.name != "*")
        elif isinstance(item, ast.ExceptHandler) and item.name:
            names.append(item.name)
        for child in ast.iter_child_nodes(item):
            visit(child)

    visit(node)
    return list(dict.fromkeys(names))


def _import_statements(node: ast.AST) -> Iterator[ast.stmt]:
    for item in ast.walk(node):
        if isinstance(item, (ast.Import, ast.ImportFrom)):
            yield item
