"""The open sessions of a session plugin: handles, a limit, and refusals with the plugin's codes.

Every session plugin needs the same bookkeeping (a handle per ``wrapperCreate``, a lookup per
``wrapperWrite``, removal in ``wrapperDestroy``, all from the loader's threads at once); this table does
it under one lock and raises :class:`aiges.failures.PluginError` where a refusal is the answer, which the
method guard turns into the method's error code.
"""

import itertools
import threading
from typing import Any, Dict, Iterator, Optional

from aiges.failures import SESSIONS_FULL, UNKNOWN_SESSION, PluginError, member


class SessionTable:
    """Thread-safe ``handle -> state`` for open sessions, at most ``limit`` at once (0: no limit)."""

    def __init__(self, limit: int = 0, errors: Any = None, prefix: str = "session-") -> None:
        if limit < 0:
            raise ValueError("limit must be 0 (none) or positive, got %r" % (limit,))
        self.limit = limit
        self.prefix = prefix
        self._full = member(errors, "BUSY", SESSIONS_FULL)
        self._unknown = member(errors, "NO_SESSION", UNKNOWN_SESSION)
        self._states: Dict[str, Any] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    def open(self, state: Any, handle: Optional[str] = None) -> str:
        """Store ``state`` under a new handle (or ``handle``); PluginError when the table is full."""
        with self._lock:
            if self.limit and len(self._states) >= self.limit:
                raise PluginError(self._full, "%d sessions are open, the limit" % self.limit)
            if handle is None:
                handle = "%s%d" % (self.prefix, next(self._numbers))
            elif handle in self._states:
                raise ValueError("session handle %r is already open" % (handle,))
            self._states[handle] = state
            return handle

    def get(self, handle: str) -> Any:
        """The state of an open session; PluginError for a handle never opened or already closed."""
        with self._lock:
            try:
                return self._states[handle]
            except KeyError:
                raise PluginError(self._unknown, "no open session %r" % (handle,)) from None

    def find(self, handle: str) -> Any:
        """The state of an open session, or None (no refusal: for callers that decide themselves)."""
        with self._lock:
            return self._states.get(handle)

    def close(self, handle: str) -> Any:
        """Forget a session (idempotent); returns its state, or None when it was not open."""
        with self._lock:
            return self._states.pop(handle, None)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()

    def __contains__(self, handle: object) -> bool:
        with self._lock:
            return handle in self._states

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._states))
