"""Which loader tag a session result belongs to.

The loader matches results on ``communicate`` by the request tag it gave ``wrapperCreate``, but
stream wrappers deliver with ``callback(resp, sid)`` or ``callback(resp, handle)``: this map takes a
session's sid and handle back to its tag (in practice tag == sid, docs/reference/runtime-api.md#methods,
but not by contract). The open sessions themselves are kept in the runtime's one
:class:`aiges.sessiontable.SessionTable`, the table the stubs use too.
"""

import threading
from typing import Dict, NamedTuple, Optional

from aiges.sessiontable import SessionTable


class Session(NamedTuple):
    tag: str
    sid: str


class ResultTags:
    """Thread-safe: written by create/destroy, read by callbacks from any wrapper thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open_sessions = SessionTable()  # handle -> Session, no limit: the loader's [fc] admits sessions
        self._tag_of: Dict[str, str] = {}  # sid or handle -> tag

    def expect(self, sid: str, tag: str) -> None:
        """Before wrapperCreate runs: results for ``sid`` go to ``tag``."""
        if sid and tag and sid != tag:
            with self._lock:
                self._tag_of[sid] = tag

    def open(self, handle: str, sid: str, tag: str) -> None:
        with self._lock:
            self.open_sessions.close(handle)  # a handle the wrapper reuses replaces the old session
            self.open_sessions.open(Session(tag, sid), handle)
            if handle != tag:
                self._tag_of[handle] = tag
            if sid and sid != tag:
                self._tag_of[sid] = tag

    def get(self, handle: str) -> Optional[Session]:
        return self.open_sessions.find(handle)

    def close(self, handle: str) -> None:
        with self._lock:
            session = self.open_sessions.close(handle)
            self._tag_of.pop(handle, None)
            if session is not None:
                self._tag_of.pop(session.sid, None)

    def forget_sid(self, sid: str) -> None:
        with self._lock:
            self._tag_of.pop(sid, None)

    def tag_for(self, tag: str) -> str:
        """The loader tag for what a wrapper passed to callback (sid, handle or the tag itself)."""
        return self._tag_of.get(tag, tag)
