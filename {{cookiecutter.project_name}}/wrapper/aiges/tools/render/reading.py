"""Read a wrapper's declarations: statically when possible, else by importing it (and say why)."""

import dataclasses
import os
from typing import Dict, Optional, Tuple

from aiges.declarations import Declarations
from aiges.errors import DeclarationError, DeclarationErrors
from aiges.fields import looks_secret
from aiges.sourcelines import line_index
from aiges.tools.render.evaluate import NotStatic
from aiges.tools.render.imported import ImportFailed, read_imported
from aiges.tools.render.raw import FIELD_GROUPS, RawDeclarations, build_declarations
from aiges.tools.render.static import read_source, read_static
from aiges.tools.render.strays import stray_errors, stray_fields


@dataclasses.dataclass
class Reading:
    """Declarations plus how they were read: ``"static"`` or ``"import"`` and, for imports, why."""

    declarations: Declarations
    how: str
    reason: Optional[str] = None


def read_declarations(
    wrapper_file: str, display: Optional[str] = None, force_import: bool = False, static_only: bool = False
) -> Reading:
    """Build the declarations of wrapper.py; raise DeclarationErrors naming file, line and field.

    ``static_only``: never import wrapper.py (nor its dependencies); raise NotStatic when parsing is not enough.
    """
    display = display or wrapper_file
    wrapper_dir = os.path.dirname(os.path.abspath(wrapper_file))
    try:
        source = read_source(wrapper_file)
    except (OSError, UnicodeDecodeError, SyntaxError) as error:
        raise DeclarationErrors([DeclarationError("cannot read wrapper.py: %s" % error, file=display)]) from error
    how, reason = "static", None
    try:
        if force_import:
            how, reason = "import", "--import was given"
            raw = _imported(wrapper_file, display)
        else:
            try:
                raw = read_static(display, source, module_file=os.path.abspath(wrapper_file))
            except NotStatic as not_static:
                if static_only:
                    not_static.reason = _describe_reason(not_static, display)
                    raise
                how, reason = "import", _describe_reason(not_static, display)
                raw = _imported(wrapper_file, display, not_static)
    except DeclarationError as error:
        raise DeclarationErrors([error]) from error
    _fill_lines(raw, source)
    strays = stray_errors(stray_fields(source, display), raw.holder_classes, raw.class_name, display)
    try:
        declarations = build_declarations(raw, display, wrapper_dir)
    except DeclarationErrors as errors:
        raise DeclarationErrors([*errors.errors, *strays]) from None
    if strays:  # render refuses: a schema without the field would look right and be wrong
        raise DeclarationErrors(strays)
    return Reading(declarations, how, reason)


def _imported(wrapper_file: str, display: str, cause: Optional[NotStatic] = None) -> RawDeclarations:
    try:
        return read_imported(wrapper_file)
    except ImportFailed as failure:
        if cause is None:
            raise DeclarationError(
                "importing wrapper.py failed: %s" % failure, file=display, line=failure.line
            ) from failure
        raise DeclarationError(
            "%s, and importing wrapper.py to evaluate it failed: %s%s"
            % (_shown_reason(cause), failure, " (line %d)" % failure.line if failure.line and cause.line else ""),
            file=display,
            line=cause.line or failure.line,
            field=getattr(cause, "subject", None),
        ) from failure


def _describe_reason(error: NotStatic, display: str) -> str:
    where = display + (":%d" % error.line if error.line else "")
    subject = getattr(error, "subject", None)
    return "%s: %s%s" % (where, "%s: " % subject if subject else "", _shown_reason(error))


def _shown_reason(error: NotStatic) -> str:
    """The reason, without the expression's source text when the field's key looks secret (it may hold
    a credential, e.g. ``value=os.environ.get("API_KEY", "sk-...")``)."""
    if looks_secret(getattr(error, "subject", None)):
        return "its declaration is not a literal (the expression is not shown: the key looks secret)"
    return error.reason


def _fill_lines(raw: RawDeclarations, source: str) -> None:
    """Give imported declarations the line numbers of their statements (messages only)."""
    index = _line_index(source)
    raw.lines.setdefault("__class__", index.get((raw.class_name, "")) or 0)
    if not raw.lines["__class__"]:
        del raw.lines["__class__"]
    for group in FIELD_GROUPS:
        for item in getattr(raw, group):
            if item.line is None:
                item.line = index.get((item.owner, item.attribute))
    for name in ("serviceId", "version", "config", "requestCls", "responseCls", "session_mode"):
        line = index.get((raw.class_name, name))
        if line and name not in raw.lines:
            raw.lines[name] = line


def _line_index(source: str) -> Dict[Tuple[str, str], int]:
    """(class, attribute) -> line of its last assignment, and (class, "") -> line of the class."""
    return line_index(source)
