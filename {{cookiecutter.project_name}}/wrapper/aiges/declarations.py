"""What a wrapper declares, independent of how it was read (imported class or static ``ast`` parse).

Schema, aiges.toml and xtest.toml are all rendered from a :class:`Declarations`; the importing path
(:func:`from_wrapper_class`) and the static reader (``aiges.tools.render.static``) both produce one, so
both give identical output by construction.
"""

import dataclasses
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple, cast

from aiges import sessionmode
from aiges.errors import DeclarationError, DeclarationErrors
from aiges.fields import Field, ParamField, PayloadField

DEFAULT_SUB = "ase"
DEFAULT_CALL = "atmos"
DEFAULT_HOSTS = "api.xf-yun.com"

# Methods whose presence in the user's class decides the loader configuration (unless session_mode is
# set: see aiges.sessionmode).
SESSION_METHODS = ("wrapperCreate", "wrapperWrite")
ASYNC_METHODS = ("wrapperOnceExecAsync",)


@dataclasses.dataclass
class ServiceMeta:
    """The ``meta`` block of the schema: who the service is and where the gateway routes it."""

    service_id: str
    version: str
    route: str = ""
    sub: str = DEFAULT_SUB
    call: str = DEFAULT_CALL
    call_type: Any = 0
    hosts: str = DEFAULT_HOSTS
    webgate_type: Any = 0

    def __post_init__(self) -> None:
        if not self.route and isinstance(self.version, str) and isinstance(self.service_id, str):
            self.route = "/%s/private/%s" % (self.version, self.service_id)


@dataclasses.dataclass
class Declarations:
    """Everything a wrapper declares: service meta, fields, init config, implemented methods."""

    meta: ServiceMeta
    params: List[ParamField]
    inputs: List[PayloadField]
    accepts: List[PayloadField]
    config: Dict[str, Any] = dataclasses.field(default_factory=dict)
    methods: FrozenSet[str] = frozenset()
    class_name: str = "Wrapper"
    source: str = ""
    lines: Dict[str, int] = dataclasses.field(default_factory=dict)
    field_holders: bool = True  # False: the class sets neither requestCls nor responseCls
    session_mode: Optional[str] = None  # the class attribute, when set
    project_session_mode: Optional[str] = None  # [tool.aiges] session_mode (or the image's aiges.toml)
    project_session_source: str = "[tool.aiges]"

    @property
    def session_decision(self) -> "sessionmode.Decision":
        """Session or once, where that was decided, and why (aiges.sessionmode.decide)."""
        return sessionmode.decide(
            self.methods, self.session_mode, self.project_session_mode, self.class_name, self.project_session_source
        )

    @property
    def is_session(self) -> bool:
        """True for a session (stream) plugin: see :func:`aiges.sessionmode.decide`."""
        return self.session_decision.session

    @property
    def undeclared(self) -> bool:
        """A production-style wrapper with no UserRequest/UserResponse at all, only the wrapper methods.

        Such a plugin still builds (a minimal schema, with a warning) and runs locally with
        ``--input``/``--param``; a declared UserRequest without inputs stays an error.
        """
        return not self.field_holders and not (self.params or self.inputs or self.accepts)

    def warnings(self) -> List[str]:
        """What render and run should warn about (the declarations are usable, but maybe not as meant)."""
        found = list(self.session_decision.warnings)
        if self.undeclared:
            found.append(
                "%s declares no fields (no requestCls/responseCls): its schema is minimal (no params, "
                "inputs or outputs), so the gateway checks nothing and xtest sends no data; declare "
                "UserRequest/UserResponse to describe the API" % self.class_name
            )
        return found

    @property
    def is_async(self) -> bool:
        """True when the user's class implements ``wrapperOnceExecAsync`` (loader asyncMode)."""
        return any(name in self.methods for name in ASYNC_METHODS)

    def field_line(self, key: str) -> Optional[int]:
        return self.lines.get(key)

    def all_fields(self) -> List[Field]:
        return [*self.params, *self.inputs, *self.accepts]

    def validate(self, check_samples: bool = True) -> "Declarations":
        """Raise :class:`DeclarationErrors` listing every problem; return self when sound."""
        errors: List[DeclarationError] = []

        def add(message: str, field: Optional[str] = None, line: Optional[int] = None) -> None:
            errors.append(
                DeclarationError(
                    message,
                    file=self.source or None,
                    line=line or (self.lines.get(field) if field else None) or self.lines.get("__class__"),
                    field=field,
                )
            )

        for name, value, example in (
            ("serviceId", self.meta.service_id, '"my_service"'),
            ("version", self.meta.version, '"v1"'),
        ):
            if not isinstance(value, str) or not value.strip():
                add(
                    "%s.%s is missing or empty: declare it as a class attribute, e.g. %s = %s"
                    % (self.class_name, name, name, example),
                    line=self.lines.get(name),
                )
        mode_problem = sessionmode.setting_problem(self.session_mode)
        if mode_problem:
            add("%s.%s" % (self.class_name, mode_problem), line=self.lines.get("session_mode"))
        if not self.inputs and not self.undeclared:
            add(
                "%s declares no input field: UserRequest needs at least one body field "
                "(StringBodyField, ImageBodyField, AudioBodyField, VideoBodyField or JsonBodyField)" % self.class_name,
                line=self.lines.get("requestCls"),
            )
        if not self.accepts and not self.undeclared:
            add(
                "%s declares no output field: UserResponse needs at least one body field" % self.class_name,
                line=self.lines.get("responseCls"),
            )
        seen: Dict[str, str] = {}
        groups: Sequence[Tuple[str, Sequence[Field]]] = (
            ("param", self.params),
            ("input", self.inputs),
            ("accept", self.accepts),
        )
        for group, fields in groups:
            for field in fields:
                key = field.key if isinstance(field.key, str) else repr(field.key)
                for problem in field.problems():
                    add(problem, field=key)
                if group == "input" and check_samples and isinstance(field, PayloadField):  # inputs: all are
                    for problem in field.input_problems():
                        add(problem, field=key)
                # an accept may share its key with nothing; params and inputs share one namespace
                scope = "output" if group == "accept" else "request"
                previous = seen.get(scope + ":" + key)
                if previous:
                    add("duplicate key %r: already declared as a %s" % (key, previous), field=key)
                seen[scope + ":" + key] = group
        if errors:
            raise DeclarationErrors(errors)
        return self


def from_wrapper_class(cls: type, source: str = "") -> Declarations:
    """Read the declarations of an imported Wrapper class (the import path of rendering)."""
    from aiges import discovery  # discovery imports fields, which this module's importers need first (import order)

    found = discovery.discover(cls)
    lines = _source_lines(cls, source)
    if found.request_error:
        raise DeclarationErrors(
            [DeclarationError(found.request_error, file=source or None, line=lines.get("requestCls"))]
        )
    if found.response_error:
        raise DeclarationErrors(
            [DeclarationError(found.response_error, file=source or None, line=lines.get("responseCls"))]
        )
    meta = ServiceMeta(
        service_id=getattr(cls, "serviceId", ""),
        version=getattr(cls, "version", ""),
        route=getattr(cls, "route", "") or "",
        sub=getattr(cls, "sub", DEFAULT_SUB),
        call=getattr(cls, "call", DEFAULT_CALL),
        call_type=getattr(cls, "call_type", 0),
        hosts=getattr(cls, "hosts", DEFAULT_HOSTS),
        webgate_type=getattr(cls, "webgate_type", 0),
    )
    config = getattr(cls, "config", {}) or {}
    project_mode, project_source = sessionmode.project_setting(source) if source else (None, "")
    # Known gap: an ``accept*`` field that is no body field passes here (the static reader rejects it).
    accepts = cast(List[PayloadField], found.accepts)
    return Declarations(
        meta=meta,
        params=found.params,
        inputs=found.inputs,
        accepts=accepts,
        config=dict(config) if isinstance(config, dict) else {},
        methods=discovery.user_methods(cls),
        class_name=cls.__name__,
        source=source,
        lines=lines,
        field_holders=has_field_holders(cls),
        session_mode=getattr(cls, sessionmode.ATTRIBUTE, None),
        project_session_mode=project_mode,
        project_session_source=project_source or "[tool.aiges]",
    )


def has_field_holders(cls: type) -> bool:
    """Does the Wrapper class set requestCls or responseCls (to anything but None)?"""
    return any(getattr(cls, name, None) is not None for name in ("requestCls", "responseCls"))


def _source_lines(cls: type, source: str) -> Dict[str, int]:
    """Lines of the class, its meta attributes and its fields in wrapper.py (as render names them)."""
    from aiges.discovery import declared_attributes  # only for line numbers of an error
    from aiges.sourcelines import file_line_index  # only for line numbers of an error

    index = file_line_index(source) if source else {}
    if not index:
        return {}

    def line_of(klass: type, name: str) -> Optional[int]:
        owner = next((item for item in klass.__mro__ if name in vars(item)), None)
        return index.get((owner.__name__, name)) if owner is not None else None

    lines: Dict[str, int] = {}
    if (cls.__name__, "") in index:
        lines["__class__"] = index[(cls.__name__, "")]
    for name in (
        "serviceId",
        "version",
        "config",
        "requestCls",
        "responseCls",
        "sub",
        "route",
        "call",
        "call_type",
        "hosts",
        "webgate_type",
        sessionmode.ATTRIBUTE,
    ):
        line = line_of(cls, name)
        if line:
            lines[name] = line
    for attribute in ("requestCls", "responseCls"):
        holder = getattr(cls, attribute, None)
        if holder is None or isinstance(holder, type):
            continue
        for name, value in declared_attributes(holder):
            if isinstance(value, Field) and isinstance(value.key, str):
                line = line_of(type(holder), name)
                if line:
                    lines.setdefault(value.key, line)
                    if attribute == "responseCls":
                        lines.setdefault("output:" + value.key, line)
    return lines
