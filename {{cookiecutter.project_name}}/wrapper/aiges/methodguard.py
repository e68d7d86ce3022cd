"""Turn a PluginError raised in a loader method into that method's error answer.

WrapperBase's metaclass wraps the loader methods a subclass defines, so the answer is the same however
the method is called: by ``aiges.serve``, by the local run, or directly by the loader's C wrapper (CGO),
which knows nothing of Python exceptions (it would answer -1 and lose the code).
"""

import functools
from typing import Any, Callable, Dict

from aiges import hostclasses
from aiges.failures import PluginError, message_for
from aiges.utils.log import log


def _response(code: int) -> Any:
    return hostclasses.Response().response_err(code)


def _session(code: int) -> Any:
    reply = hostclasses.SessionCreateResponse()
    reply.handle = ""
    reply.error_code = code
    return reply


def _number(code: int) -> int:
    return code


ANSWERS: Dict[str, Callable[[int], Any]] = {
    "wrapperInit": _number,
    "wrapperFini": _number,
    "wrapperOnceExec": _response,
    "wrapperOnceExecAsync": _number,
    "wrapperCreate": _session,
    "wrapperWrite": _number,
    "wrapperRead": _response,
    "wrapperDestroy": _number,
    "wrapperLoadRes": _number,
    "wrapperUnloadRes": _number,
}


def guarded(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` answering a PluginError with the error shape of loader method ``name``."""
    if getattr(method, "__aiges_guarded__", False) or name not in ANSWERS:
        return method
    answer = ANSWERS[name]

    @functools.wraps(method)
    def guard(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except PluginError as error:
            declared = message_for(getattr(self, "errors", None), error.code)
            log.warning(
                "%s refused with %d%s%s",
                name,
                error.code,
                " (%s)" % declared if declared else "",
                ": %s" % error.detail if error.detail else "",
            )
            return answer(error.code)

    guard.__aiges_guarded__ = True  # type: ignore[attr-defined]  # a function attribute: the guard's mark
    return guard


def guard_methods(attrs: Dict[str, Any]) -> None:
    """Wrap, in a class body's ``attrs``, every loader method defined there (staticmethods are left alone)."""
    for name in ANSWERS:
        value = attrs.get(name)
        if callable(value) and not isinstance(value, (staticmethod, classmethod, type)):
            attrs[name] = guarded(name, value)
