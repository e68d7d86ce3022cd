"""What either reader found in wrapper.py, before any field is built, and the one builder for both.

The static reader (``ast``) and the import fallback (a subprocess) each produce a
:class:`RawDeclarations`: field constructor specs, the class attributes present, the implemented
methods. :func:`build_declarations` turns it into :class:`aiges.declarations.Declarations` with
``aiges.fields.build_field``, so both readers yield identical fields and identical rendered files.
"""

import dataclasses
import re
from typing import Any, Dict, List, Optional, cast

from aiges.declarations import DEFAULT_CALL, DEFAULT_HOSTS, DEFAULT_SUB, Declarations, ServiceMeta
from aiges.errors import DeclarationError, DeclarationErrors
from aiges.fields import FIELD_CLASSES, Field, ParamField, PayloadField, build_field, wrapper_relative
from aiges.tools.render import values

META_ATTRIBUTES = ("serviceId", "version", "route", "sub", "call", "call_type", "hosts", "webgate_type")
FIELD_GROUPS = ("params", "inputs", "accepts")


@dataclasses.dataclass
class RawField:
    """One field declaration: constructor spec, where it is declared, and its line in wrapper.py."""

    spec: Dict[str, Any]
    attribute: str
    owner: str
    line: Optional[int] = None

    @property
    def key(self) -> Optional[str]:
        key = self.spec.get("kwargs", {}).get("key")
        return key if isinstance(key, str) else None

    @property
    def label(self) -> str:
        """How error messages name the field: its key, else ``Class.attribute``."""
        return self.key if self.key is not None else "%s.%s" % (self.owner, self.attribute)


@dataclasses.dataclass
class RawDeclarations:
    """The declarations as found, with values still unchecked."""

    class_name: str = "Wrapper"
    meta: Dict[str, Any] = dataclasses.field(default_factory=dict)
    config: Any = dataclasses.field(default_factory=dict)
    params: List[RawField] = dataclasses.field(default_factory=list)
    inputs: List[RawField] = dataclasses.field(default_factory=list)
    accepts: List[RawField] = dataclasses.field(default_factory=list)
    methods: List[str] = dataclasses.field(default_factory=list)
    lines: Dict[str, int] = dataclasses.field(default_factory=dict)
    request_error: Optional[str] = None
    response_error: Optional[str] = None
    session_mode: Any = None  # the Wrapper's session_mode class attribute (aiges.sessionmode)
    field_holders: bool = True  # False when the class sets neither requestCls nor responseCls
    # requestCls/responseCls -> the class it is an instance of (UserRequest...): where fields must be declared
    holder_classes: Dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> Dict[str, Any]:
        document = dataclasses.asdict(self)
        document["session_mode"] = values.encode(self.session_mode)
        document["meta"] = {name: values.encode(value) for name, value in self.meta.items()}
        document["config"] = values.encode(self.config)
        for group in FIELD_GROUPS:
            for item in document[group]:
                item["spec"] = {
                    "class": item["spec"]["class"],
                    "kwargs": {k: values.encode(v) for k, v in item["spec"]["kwargs"].items()},
                }
        return document

    @classmethod
    def from_json(cls, document: Dict[str, Any]) -> "RawDeclarations":
        raw = cls(
            class_name=document["class_name"],
            methods=sorted(document["methods"]),
            lines={k: int(v) for k, v in document["lines"].items()},
            request_error=document.get("request_error"),
            response_error=document.get("response_error"),
            session_mode=values.decode(document.get("session_mode")),
            field_holders=bool(document.get("field_holders", True)),
            holder_classes=dict(document.get("holder_classes", {})),
        )
        raw.meta = {name: values.decode(value) for name, value in document["meta"].items()}
        raw.config = values.decode(document["config"])
        for group in FIELD_GROUPS:
            getattr(raw, group).extend(
                RawField(
                    spec={
                        "class": item["spec"]["class"],
                        "kwargs": {k: values.decode(v) for k, v in item["spec"]["kwargs"].items()},
                    },
                    attribute=item["attribute"],
                    owner=item["owner"],
                    line=item.get("line"),
                )
                for item in document[group]
            )
        return raw


def build_declarations(raw: RawDeclarations, source: str, wrapper_dir: str) -> Declarations:
    """Build the fields and meta; raise DeclarationErrors naming file, line and field for what cannot be built."""
    errors: List[DeclarationError] = []

    def fail(message: str, line: Optional[int] = None, field: Optional[str] = None) -> None:
        errors.append(DeclarationError(message, file=source, line=line or raw.lines.get("__class__"), field=field))

    for attribute, problem in (("requestCls", raw.request_error), ("responseCls", raw.response_error)):
        if problem:
            fail(problem, raw.lines.get(attribute))
    built: Dict[str, List[Field]] = {group: [] for group in FIELD_GROUPS}
    for group in FIELD_GROUPS:
        for item in getattr(raw, group):
            field = _build_one(item, wrapper_dir, fail)
            if field is None:
                continue
            if group == "accepts" and not isinstance(field, PayloadField):
                fail(
                    "%s.%s is a %s, but outputs must be body fields (StringBodyField, ImageBodyField, "
                    "AudioBodyField, VideoBodyField or JsonBodyField)"
                    % (item.owner, item.attribute, item.spec["class"]),
                    item.line,
                    item.label,
                )
                continue
            built[group].append(field)
    meta = _meta(raw, fail)
    config = {} if raw.config is None else raw.config  # `config = None` means none, as for the vendor
    if not isinstance(config, dict):
        fail("%s.config must be a dict of init settings, got %r" % (raw.class_name, config), raw.lines.get("config"))
        config = {}
    if errors:
        raise DeclarationErrors(errors)
    _check_duplicates(raw, source)
    lines = dict(raw.lines)
    for group in FIELD_GROUPS:
        for item in getattr(raw, group):
            if item.key is not None and item.line:
                lines.setdefault(item.key, item.line)
                if group == "accepts":  # an output may share its key with an input: keep both lines
                    lines.setdefault("output:" + item.key, item.line)
    # Each group holds its kind: the readers sort params and inputs by class, and non-body accepts failed above.
    params = cast(List[ParamField], built["params"])
    inputs, accepts = cast(List[PayloadField], built["inputs"]), cast(List[PayloadField], built["accepts"])
    return Declarations(
        meta=meta,
        params=params,
        inputs=inputs,
        accepts=accepts,
        config=dict(config),
        methods=frozenset(raw.methods),
        class_name=raw.class_name,
        source=source,
        lines=lines,
        session_mode=raw.session_mode,
        field_holders=raw.field_holders,
    )


def _build_one(item: RawField, wrapper_dir: str, fail: Any) -> Optional[Field]:
    name = item.spec.get("class")
    if name not in FIELD_CLASSES:
        fail(
            "%s.%s = %s(...): unknown field class %r; known: %s"
            % (item.owner, item.attribute, name, name, ", ".join(sorted(FIELD_CLASSES))),
            item.line,
            item.label,
        )
        return None
    kwargs = item.spec.get("kwargs", {})
    if isinstance(kwargs.get("path"), str):
        item.spec = {"class": name, "kwargs": dict(kwargs, path=wrapper_relative(kwargs["path"], wrapper_dir))}
    try:
        return build_field(item.spec, origin_dir=wrapper_dir)
    except TypeError as error:
        fail("%s(...): %s" % (name, re.sub(r"^\S*__init__\(\) ", "", str(error))), item.line, item.label)
    except Exception as error:  # noqa: BLE001 - a constructor may raise anything; report it with its line
        fail("%s(...) raised %s: %s" % (name, type(error).__name__, error), item.line, item.label)
    return None


def _meta(raw: RawDeclarations, fail: Any) -> ServiceMeta:
    found = raw.meta
    for name in ("route", "sub", "call", "hosts"):
        if name in found and found[name] is not None and not isinstance(found[name], str):
            fail("%s.%s must be a string, got %r" % (raw.class_name, name, found[name]), raw.lines.get(name))
    for name in ("call_type", "webgate_type"):
        value = found.get(name, 0)
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("-").isdigit())
        ):
            fail("%s.%s must be an integer, got %r" % (raw.class_name, name, value), raw.lines.get(name))
    return ServiceMeta(
        service_id=found.get("serviceId", ""),
        version=found.get("version", ""),
        route=found.get("route", "") or "",
        sub=found.get("sub", DEFAULT_SUB),
        call=found.get("call", DEFAULT_CALL),
        call_type=found.get("call_type", 0),
        hosts=found.get("hosts", DEFAULT_HOSTS),
        webgate_type=found.get("webgate_type", 0),
    )


def _check_duplicates(raw: RawDeclarations, source: str) -> None:
    """One error per repeated key, at the line of the repeat (params and inputs share the request)."""
    errors = []
    for scope in (("params", "inputs"), ("accepts",)):
        seen: Dict[str, RawField] = {}
        for group in scope:
            for item in getattr(raw, group):
                if item.key is None:
                    continue
                first = seen.get(item.key)
                if first is None:
                    seen[item.key] = item
                    continue
                where = " at line %d" % first.line if first.line else ""
                errors.append(
                    DeclarationError(
                        "duplicate key %r: already declared by %s.%s%s (keys must be unique in the %s)"
                        % (
                            item.key,
                            first.owner,
                            first.attribute,
                            where,
                            "response" if group == "accepts" else "request",
                        ),
                        file=source,
                        line=item.line,
                        field=item.key,
                    )
                )
    if errors:
        raise DeclarationErrors(errors)
