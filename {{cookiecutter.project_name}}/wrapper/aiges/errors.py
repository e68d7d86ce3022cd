"""Error codes of the gRPC plugin protocol and the runtime's own exception types."""

from typing import Optional

# Ret codes of the gRPC plugin protocol (vendor ``aiges.errors``; the loader treats non-zero as failure).
OK = 0
INIT_ERROR = 30001  # wrapper.py could not be imported or instantiated
USER_INIT_ERROR = 30002  # wrapperInit returned non-zero or raised
USER_EXEC_ERROR = 30003  # wrapperOnceExec/Create/Write failed without its own error code
QUEUE_FULL = 30004  # aiges.serve: every worker busy and --queue calls already waiting
WORKER_LOST = 30008  # aiges.serve --processes: the worker process running the call (or session) exited

# Codes the loader itself reports to HTTP clients (docs/reference/errors.md#loader-codes), for messages and docs.
LOADER_CODES = {
    10009: "invalid or empty input",
    10102: "once request timed out",
    10106: "invalid output key or type (not requested in expect, or type mismatch)",
    10110: "licence exhausted",
    10905: "wrapperCreate failed",
    10907: "wrapperWrite failed",
    10909: "wrapperOnceExec failed",
    10910: "wrapperOnceExecAsync failed",
}


class AigesError(Exception):
    """Base class of every error the runtime raises on purpose."""


class DeclarationError(AigesError):
    """A wrapper's declarations are wrong: names the file, line and field when known."""

    def __init__(
        self, message: str, *, file: Optional[str] = None, line: Optional[int] = None, field: Optional[str] = None
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (":%d" % self.line if self.line else "") + ": "
        subject = "field %r: " % self.field if self.field else ""
        return where + subject + self.message


class DeclarationErrors(AigesError):
    """Several declaration problems found at once, reported together."""

    def __init__(self, errors: "list[DeclarationError]") -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class ResponseCheckError(AigesError):
    """A wrapper returned a response the loader would reject or mangle."""
