"""The open sessions of a WidgetPy plugin: one lock per handle, and where a session's results go.

The vendor's server keeps no session table and no lock, so two calls for one session (a Write racing a
Read, a Destroy during a Write) ran the wrapper's methods at the same time. Here every call naming a handle
holds that handle's lock while the wrapper runs; calls for different sessions still run side by side.

Results a wrapper pushes for a session (the old API's ``callback(resp, sid)``) go to the loader's
``AsyncCallback`` when it offers one; without it they wait in the session's ``pending`` list for the next
``Read`` (a choice: the protocol leaves it open, docs/explanation/widgetpy.md).
"""

import threading
from typing import Any, Dict, List, Optional

from aiges.sessiontable import SessionTable


class Session:
    __slots__ = ("lock", "pending", "sid", "tag")

    def __init__(self, sid: str = "", tag: str = "") -> None:
        self.sid = sid
        self.tag = tag
        self.lock = threading.Lock()
        self.pending: List[Any] = []  # result items waiting for Read


class Sessions:
    """Thread-safe; a handle that was never created still gets a lock of its own (the wrapper decides what it
    means), which :meth:`close` drops again."""

    def __init__(self) -> None:
        self._table = SessionTable()  # handle -> Session
        self._lock = threading.Lock()
        self._by_name: Dict[str, str] = {}  # sid or tag -> handle

    def open(self, handle: str, sid: str, tag: str) -> Session:
        session = Session(sid, tag)
        with self._lock:
            self._table.close(handle)  # a handle the wrapper reuses replaces the old session
            self._table.open(session, handle)
            for name in (sid, tag):
                if name:
                    self._by_name[name] = handle
        return session

    def get(self, handle: str) -> Session:
        """The session of ``handle``, made on first use for a handle the server did not create."""
        with self._lock:
            session = self._table.find(handle)
            if session is None:
                session = Session(tag=handle)
                self._table.open(session, handle)
            return session

    def find(self, name: str) -> Optional[Session]:
        """The session a pushed result names: by handle, sid or tag."""
        with self._lock:
            session = self._table.find(name)
            if session is None and name in self._by_name:
                session = self._table.find(self._by_name[name])
            return session

    def close(self, handle: str) -> Optional[Session]:
        with self._lock:
            session = self._table.close(handle)
            if session is not None:
                for name in (session.sid, session.tag):
                    if self._by_name.get(name) == handle:
                        del self._by_name[name]
            return session

    def __len__(self) -> int:
        return len(self._table)
