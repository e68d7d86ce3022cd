"""Which loader tag a session result belongs to.

The loader matches results on ``communicate`` by the request tag it gave ``wrapperCreate``, but
stream wrappers deliver with ``callback(resp, sid)`` or ``callback(resp, handle)``: this table maps
a session's sid and handle back to its tag (in practice tag == sid, docs/reference/runtime-api.md#methods, but not by
contract).
"""
import threading
from typing import Dict, NamedTuple, Optional


class Session(NamedTuple):
    tag: str
    sid: str


class SessionTable:
    """Thread-safe: written by create/destroy, read by callbacks from any wrapper thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_handle: Dict[str, Session] = {}
        self._tag_of: Dict[str, str] = {}  # sid or handle -> tag

    def expect(self, sid: str, tag: str) -> None:
        """Before wrapperCreate runs: results for ``sid`` go to ``tag``."""
        if sid and tag and sid != tag:
            with self._lock:
                self._tag_of[sid] = tag

    def open(self, handle: str, sid: str, tag: str) -> None:
        with self._lock:
            self._by_handle[handle] = Session(tag, sid)
            if handle != tag:
                self._tag_of[handle] = tag
            if sid and sid != tag:
                self._tag_of[sid] = tag

    def get(self, handle: str) -> Optional[Session]:
        return self._by_handle.get(handle)

    def close(self, handle: str) -> None:
        with self._lock:
            session = self._by_handle.pop(handle, None)
            self._tag_of.pop(handle, None)
            if session is not None:
                self._tag_of.pop(session.sid, None)

    def forget_sid(self, sid: str) -> None:
        with self._lock:
            self._tag_of.pop(sid, None)

    def tag_for(self, tag: str) -> str:
        """The loader tag for what a wrapper passed to callback (sid, handle or the tag itself)."""
        return self._tag_of.get(tag, tag)
