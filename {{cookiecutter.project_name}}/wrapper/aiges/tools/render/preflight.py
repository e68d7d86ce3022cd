"""Checks before anything is rendered: the fields' own rules plus what the loader and xtest need.

``Declarations.validate()`` covers each field on its own. On top of that, the rendered files must
work together: every xtest sample is inside the wrapper folder (only that folder is copied into the
image) and is not empty (xtest refuses empty files, the loader rejects empty input), each param's
test value satisfies the bounds the schema publishes, no output shares its key with a param (both
travel under ``parameter.<serviceId>``), the init config holds only values the loader can pass to
``wrapperInit``, and serviceId and version follow the template's rules (``names.py``).
"""

import os
import posixpath
from typing import Any, List, Optional, Set, cast

from aiges.declarations import Declarations
from aiges.errors import DeclarationError, DeclarationErrors
from aiges.fields import ParamField, PayloadField, StringParamField, _NumericParamField, shown_value
from aiges.tools.render import names, values
from aiges.tools.render.aiges_toml import sessions_per_second
from aiges.tools.render.options import Settings

# [wrapper] keys rendered from [tool.aiges]; declaring them in `config` too would give two sources.
RESERVED_CONFIG_KEYS = {"http_listen": "http_listen", "log.level": "log_level", "log.file": "log_file"}


def check(declarations: Declarations) -> Declarations:
    """Raise DeclarationErrors with every problem (one per problem); return the declarations when sound."""
    errors: List[DeclarationError] = []
    try:
        declarations.validate(check_samples=True)
    except DeclarationErrors as found:
        errors.extend(found.errors)
    # a sample outside the wrapper folder is that field's one problem (whether or not the file exists here)
    outside = {field.key for field in declarations.inputs if sample_outside(field)}
    errors = [error for error in errors if error.field not in outside]
    reported: Set[Optional[str]] = {error.field for error in errors}
    errors.extend(error for error in render_problems(declarations) if error.field not in reported)
    if errors:
        raise DeclarationErrors(errors)
    return declarations


def render_problems(declarations: Declarations) -> List[DeclarationError]:
    errors: List[DeclarationError] = []

    def fail(message: str, field: Optional[str] = None, line: Optional[int] = None) -> None:
        errors.append(
            DeclarationError(
                message,
                file=declarations.source or None,
                field=field,
                line=line or (declarations.lines.get(field) if field else None) or declarations.lines.get("__class__"),
            )
        )

    for name, value, problem_of in (
        ("serviceId", declarations.meta.service_id, names.service_id_problem),
        ("version", declarations.meta.version, names.version_problem),
    ):
        if isinstance(value, str) and value.strip():  # missing or empty: Declarations.validate() says so
            problem = problem_of(value)
            if problem:
                fail(
                    "%s.%s %s (the template's rule)" % (declarations.class_name, name, problem),
                    field=name,
                    line=declarations.lines.get(name),
                )
    if not isinstance(declarations.meta.sub, str) or not declarations.meta.sub.strip():
        fail("%s.sub must be a non-empty string" % declarations.class_name, line=declarations.lines.get("sub"))
    for param in declarations.params:
        problem = param_value_problem(param)
        if problem:
            fail(problem, param.key)
    for payload in declarations.inputs:
        problem = sample_problem(payload)
        if problem:
            fail(problem, payload.key)
    param_keys = {param.key for param in declarations.params}
    for output in declarations.accepts:
        if output.key in param_keys:
            fail(
                "output key %r is also a param's key: an HTTP request names both under parameter.%s, so one would "
                "hide the other; rename one of them" % (output.key, declarations.meta.service_id),
                output.key,
                declarations.lines.get("output:" + output.key),
            )
    for key, value in declarations.config.items():
        problem = config_problem(key, value)
        if problem:
            fail("%s.config: %s" % (declarations.class_name, problem), line=declarations.lines.get("config"))
    return errors


# A session plugin's admission must keep up with at least this many new sessions per second.
MIN_SESSIONS_PER_SECOND = 1.0


def admission_problems(
    declarations: Declarations, settings: Settings, source: Optional[str] = None
) -> List[DeclarationError]:
    """What ``[fc]`` would starve: sessions whose licences come back too late for ordinary traffic.

    (``workers`` > ``fc_max`` is refused when the settings are read.)
    """
    if not declarations.is_session:
        return []
    rate = sessions_per_second(settings)
    if rate >= MIN_SESSIONS_PER_SECOND:
        return []
    return [
        DeclarationError(
            "[tool.aiges] fc_max = %d with fc_ttl = %d and fc_roll = %d admits at most %.2f new sessions per second: "
            "the loader keeps a session's licence until fc_ttl ms after its last frame (checked every fc_roll ms), "
            "so each session holds one for its duration + fc_ttl + up to fc_roll; raise fc_max or lower fc_ttl "
            "(at least %.0f session per second is needed)"
            % (settings.fc_max, settings.fc_ttl, settings.fc_roll, rate, MIN_SESSIONS_PER_SECOND),
            file=source,
        )
    ]


def param_value_problem(field: ParamField) -> Optional[str]:
    """Does the test value (sent by xtest and the local run) satisfy the bounds the schema publishes?"""
    value = field.test_value
    if value in (None, "") or isinstance(value, bool):
        return None
    if field.json_type == "string":
        string = cast(StringParamField, field)  # the param class of that json_type
        low, high = string.min_length, string.max_length
        if isinstance(value, str) and not low <= len(value) <= high:
            return "test value %s has length %d, outside minLength %d..maxLength %d" % (
                shown_value(field, value),
                len(value),
                low,
                high,
            )
    elif field.json_type in ("number", "integer"):
        numeric = cast(_NumericParamField, field)  # Number/IntegerParamField
        low, high = numeric.minimum, numeric.maximum
        if isinstance(value, (int, float)) and not low <= value <= high:
            return "test value %s is outside minimum %r..maximum %r" % (shown_value(field, value), low, high)
    return None


def sample_outside(field: PayloadField) -> bool:
    """Is the sample file outside the wrapper folder? (Both readers made paths inside it relative.)"""
    if field.inline_value() is not None or not isinstance(field.path, str):
        return False
    normal = posixpath.normpath(field.path.replace(os.sep, "/"))
    return os.path.isabs(field.path) or posixpath.isabs(normal) or normal == ".." or normal.startswith("../")


def sample_problem(field: PayloadField) -> Optional[str]:
    """The sample xtest sends must be in the image (under the wrapper folder) and not empty."""
    if sample_outside(field):
        return (
            "sample path %r is outside the wrapper folder: only that folder is copied into the image "
            "(/home/aiges), so xtest could not read it there; keep samples in wrapper/test_data/ (an absolute "
            "path is fine when it lies in the wrapper folder or in the image's /home/aiges)"
            % os.path.normpath(field.path)
        )
    try:
        data = field.sample_bytes()
    except (OSError, ValueError):
        return None  # reported by the field's own checks
    if not data:
        return (
            "the sample is empty: the loader rejects empty input and xtest empty files; "
            "give the field value=... or path=..."
        )
    return None


def config_problem(key: Any, value: Any) -> Optional[str]:
    if not isinstance(key, str) or not key.strip():
        return "keys must be non-empty strings, got %r" % (key,)
    if key in RESERVED_CONFIG_KEYS:
        return "%r is rendered from [tool.aiges] %s in pyproject.toml; set it there, not in config" % (
            key,
            RESERVED_CONFIG_KEYS[key],
        )
    if not values.is_scalar(value):
        return (
            "%r must be a string, number or boolean (the loader passes [wrapper] values to wrapperInit as "
            "strings), got %r" % (key, value)
        )
    return None
