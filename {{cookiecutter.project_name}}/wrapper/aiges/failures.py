"""A plugin's error codes, declared once, and the exception that answers with one from any method.

A wrapper declares ``class Errors(ErrorCodes)`` with ``NAME = code, "message"`` members and sets
``errors = Errors``; raising ``PluginError(Errors.NAME, "detail")`` from any loader method then answers
the loader with that code in every mode (the guard in :mod:`aiges.sdk` turns it into the method's
error shape), and ``wrapperError(code)`` answers with the declared message.
"""

import enum
from typing import Any, Optional

# Codes the runtime answers with when the wrapper declares none of its own (the 300xx family of the
# runtime's own codes, next to 30001-30004; docs/reference/errors.md lists them).
BAD_PARAM = 30005
SESSIONS_FULL = 30006
UNKNOWN_SESSION = 30007

RUNTIME_MESSAGES = {
    BAD_PARAM: "invalid parameter",
    SESSIONS_FULL: "too many open sessions",
    UNKNOWN_SESSION: "unknown or closed session handle",
}


class ErrorCodes(enum.IntEnum):
    """Base of a plugin's error table: each member is ``NAME = code, "message"`` and compares equal to its code."""

    message: str  # each member's (an annotation only: not a member)

    def __new__(cls, code: int, message: str = "") -> "ErrorCodes":
        member = int.__new__(cls, code)
        member._value_ = code
        member.message = message
        return member

    def __str__(self) -> str:
        return "%d %s" % (int(self), self.message)


class PluginError(Exception):
    """A request the plugin refuses: answered with ``code`` (never a traceback), ``detail`` is logged."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = int(code)
        self.detail = detail

    def __str__(self) -> str:
        return "%d: %s" % (self.code, self.detail) if self.detail else str(self.code)


class ParamError(PluginError):
    """A param of a request that breaks its declaration (``field`` is the param's key)."""

    def __init__(self, code: int, field: str, detail: str) -> None:
        super().__init__(code, "param %r: %s" % (field, detail))
        self.field = field


def member(errors: Any, name: str, fallback: int) -> int:
    """The code of member ``name`` of a wrapper's ``errors`` table, else the runtime's ``fallback``."""
    found = getattr(errors, name, None) if errors is not None else None
    return int(found) if isinstance(found, int) else fallback


def message_for(errors: Any, code: int) -> Optional[str]:
    """The declared message of ``code`` in a wrapper's table (or the runtime's own), None when unknown."""
    if isinstance(errors, type) and issubclass(errors, ErrorCodes):
        try:
            return errors(code).message or errors(code).name.replace("_", " ").lower()
        except ValueError:
            pass
    elif isinstance(errors, dict) and code in errors:
        return str(errors[code])
    return RUNTIME_MESSAGES.get(code)
