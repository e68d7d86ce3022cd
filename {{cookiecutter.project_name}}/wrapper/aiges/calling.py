"""Call wrapper methods the way every loader generation does, whatever signature the user wrote.

The C wrapper, its older generations and the gRPC server call the same method with different
argument lists (docs/reference/runtime-api.md#methods), and real wrappers are written against each of them. The runtime
therefore describes a call by its canonical arguments and lets :func:`call_flexibly` pass each
method exactly what it accepts: by name where the parameter has a recognisable name (so a
``persId`` third parameter never receives the request tag), by position otherwise.
"""

import functools
import inspect
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

# Canonical argument name -> the parameter names users give it (compared case-insensitively).
ALIASES: Dict[str, Tuple[str, ...]] = {
    "usrTag": ("usrtag", "usertag", "usr_tag", "user_tag", "tag"),
    "persId": ("persid", "psrid", "pers_id", "psr_id", "persids", "psrids"),
    "sid": ("sid", "session_id"),
}
_NAME_TO_CANONICAL = {alias: canonical for canonical, names in ALIASES.items() for alias in names}


@functools.lru_cache(maxsize=256)
def _plan(function: Callable[..., Any]) -> Tuple[Tuple[Tuple[str, bool], ...], bool, Tuple[str, ...]]:
    """(positional parameters as (name, required)), accepts *args, keyword-only names."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # builtins without a signature: give them everything
        return (), True, ()
    positional: List[Tuple[str, bool]] = []
    var_positional = False
    keyword_only: List[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional.append((parameter.name, parameter.default is parameter.empty))
        elif parameter.kind is parameter.VAR_POSITIONAL:
            var_positional = True
        elif parameter.kind is parameter.KEYWORD_ONLY:
            keyword_only.append(parameter.name)
    return tuple(positional), var_positional, tuple(keyword_only)


def arguments_for(method: Callable[..., Any], canonical: Sequence[Tuple[str, Any]]) -> Tuple[List[Any], Dict[str, Any]]:
    """Positional and keyword arguments to call ``method`` with, from ``canonical`` (name, value) pairs."""
    target = getattr(method, "__func__", method)
    positional, var_positional, keyword_only = _plan(target)
    if hasattr(method, "__self__") and positional:
        positional = positional[1:]  # bound method: drop ``self``
    values = dict(canonical)
    if var_positional and not positional:
        return [value for _, value in canonical], {}
    args: List[Any] = []
    used = set()
    for index, (name, required) in enumerate(positional):
        wanted = _resolve(_NAME_TO_CANONICAL.get(name.lower()), values)
        if wanted is not None and wanted in values:
            args.append(values[wanted])
            used.add(wanted)
        elif (
            index < len(canonical)
            and canonical[index][0] not in used
            and (_NAME_TO_CANONICAL.get(name.lower()) is None)
        ):
            canonical_name = canonical[index][0]
            if canonical_name in ALIASES and not required:
                break  # an optional parameter with an unrelated name: do not guess
            args.append(canonical[index][1])
            used.add(canonical_name)
        elif required:
            raise TypeError(
                "%s() needs an argument %r that the loader does not provide"
                % (getattr(target, "__name__", "method"), name)
            )
        else:
            break
    if var_positional and len(args) == len(positional):
        args.extend(value for name, value in canonical[len(args) :] if name not in used)
    keywords = {}
    for name in keyword_only:
        wanted = _resolve(_NAME_TO_CANONICAL.get(name.lower()), values)
        if wanted is not None and wanted in values and wanted not in used:
            keywords[name] = values[wanted]
    return args, keywords


def _resolve(wanted: Optional[str], values: Dict[str, Any]) -> Optional[str]:
    """The loader's request tag is the sid (docs/reference/runtime-api.md#methods): either stands in for the other."""
    if wanted == "sid" and "sid" not in values and "usrTag" in values:
        return "usrTag"
    if wanted == "usrTag" and "usrTag" not in values and "sid" in values:
        return "sid"
    return wanted


def call_flexibly(method: Callable[..., Any], canonical: Sequence[Tuple[str, Any]]) -> Any:
    """Call ``method`` with the canonical arguments it accepts (see module docstring)."""
    args, keywords = arguments_for(method, canonical)
    return method(*args, **keywords)


def session_handle(result: Any) -> Tuple[str, int]:
    """(handle, error code) from what ``wrapperCreate`` returned: a str or a SessionCreateResponse."""
    if result is None:
        return "", -1
    if isinstance(result, (str, bytes)):
        handle = result.decode("utf-8", "replace") if isinstance(result, bytes) else result
        return handle, 0 if handle else -1
    handle = getattr(result, "handle", "")
    code = getattr(result, "error_code", 0) or 0
    return ("" if handle is None else str(handle)), int(code)


def error_text(wrapper: Any, code: int) -> Optional[str]:
    """The wrapper's own message for ``code`` (``wrapperError``), never raising."""
    try:
        message = call_flexibly(wrapper.wrapperError, [("code", code)])
    except Exception as error:  # noqa: BLE001 - a broken wrapperError must not hide the real error
        return "wrapperError(%d) raised %s: %s" % (code, type(error).__name__, error)
    return None if message is None else str(message)
