"""The loader's admission control (``[fc]`` of aiges.toml), as measured through the real loader.

Spec 13.1, in short:

* ``max`` licences. A once request or a new session takes one; without a free licence the loader
  answers ``HTTP 500 {"code":10110,"message":"service license not enough"}`` at once (no queueing,
  the plugin never sees the request).
* A once licence is released **asynchronously**: the instance manager's ``Release`` goes through a
  channel after the answer is written, so a client's next request can arrive before its previous
  licence is free. Here a releaser thread takes released licences from a queue after
  ``release_delay`` seconds. The fake host's clients send their next request the moment an answer
  arrives (no HTTP turnaround), so ``max = 1`` is refused more often here than measured (0-20 of
  200 sequential requests there): the tests rely only on the direction.
* A session's licence is *not* released when the session ends or the client closes. Every query
  of the session (the loader polls for results every 50 ms while it runs) pushes its deadline to
  ``now + ttl``; a sweep every ``roll`` ms frees the sessions whose deadline has passed. So a
  session holds its licence for its duration + ttl + up to roll.

The clock is injectable (``clock``), so the session-rate scenarios run on simulated time: the sweep
runs at the multiples of ``roll`` that :meth:`Admission.advance` passes (``dealtimeout`` is a ticker).
"""

import queue
import threading
import time
from typing import Callable, Dict, Optional

LICENCE_REFUSED = 10110
REFUSAL_MESSAGE = "service license not enough"


class Refused(Exception):
    """What the client sees: HTTP 500 with code 10110."""

    def __init__(self) -> None:
        super().__init__("%d %s" % (LICENCE_REFUSED, REFUSAL_MESSAGE))
        self.code = LICENCE_REFUSED


class Admission:
    """Licences of one loader: ``max``, ``ttl`` and ``roll`` (ms) as in ``[fc]``."""

    def __init__(
        self,
        max: int,  # noqa: A002
        ttl: int,
        roll: int,
        clock: Callable[[], float] = time.monotonic,
        release_delay: float = 0.002,
    ) -> None:
        self.max = max
        self.ttl = ttl / 1000.0
        self.roll = roll / 1000.0
        self.clock = clock
        self.release_delay = release_delay
        self._lock = threading.Lock()
        self.in_use = 0
        self.peak = 0
        self.refused = 0
        self.admitted = 0
        self._sessions: Dict[str, float] = {}  # sid -> deadline (clock seconds)
        self._next_sweep = clock() + self.roll
        self._released: queue.Queue[Optional[int]] = queue.Queue()
        self._releaser: Optional[threading.Thread] = None

    @classmethod
    def from_fc(cls, fc: Dict[str, int], **options: object) -> "Admission":
        """From the ``[fc]`` table of a rendered aiges.toml (the loader fails without ``max``)."""
        return cls(int(fc["max"]), int(fc.get("ttl", 10000)), int(fc.get("roll", 5000)), **options)  # type: ignore

    # --- licences ------------------------------------------------------------------------------------
    def _take(self) -> None:
        with self._lock:
            if self.in_use >= self.max:
                self.refused += 1
                raise Refused()
            self.in_use += 1
            self.admitted += 1
            self.peak = max(self.peak, self.in_use)

    def _free(self) -> None:
        with self._lock:
            self.in_use -= 1

    # --- once ----------------------------------------------------------------------------------------
    def admit_once(self) -> None:
        """Take a licence for one once request; raises :class:`Refused`."""
        self._take()

    def refusal(self) -> Optional[int]:
        """:meth:`admit_once` for a host: None when admitted, else the code the client gets."""
        try:
            self.admit_once()
        except Refused as refused:
            return refused.code
        return None

    def answered_once(self) -> None:
        """The answer was written: the licence comes back a little later, on the releaser thread."""
        if self._releaser is None:
            with self._lock:
                if self._releaser is None:
                    self._releaser = threading.Thread(target=self._release_loop, name="fc-release", daemon=True)
                    self._releaser.start()
        self._released.put(1)

    def _release_loop(self) -> None:
        while True:
            item = self._released.get()
            if item is None:
                return
            time.sleep(self.release_delay)
            self._free()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every once licence released so far is free again (between test phases)."""
        deadline = time.monotonic() + timeout
        while not self._released.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(self.release_delay * 2 + 0.01)

    def close(self) -> None:
        self._released.put(None)

    # --- sessions --------------------------------------------------------------------------------------
    def open_session(self, sid: str) -> None:
        """A new session takes a licence (raises :class:`Refused`); its deadline starts now."""
        self.advance()
        self._take()
        with self._lock:
            self._sessions[sid] = self.clock() + self.ttl

    def query(self, sid: str) -> None:
        """A frame or a result poll of a live session: its deadline moves to now + ttl."""
        self.advance()
        with self._lock:
            if sid in self._sessions:
                self._sessions[sid] = self.clock() + self.ttl

    def session_refusal(self, sid: str) -> Optional[int]:
        """:meth:`open_session` for a host: None when admitted, else the code the loader logs."""
        try:
            self.open_session(sid)
        except Refused as refused:
            return refused.code
        return None

    def close_session(self, sid: str) -> None:
        """The session ended or the client closed: nothing is released (the sweep does it)."""
        self.advance()

    def advance(self) -> None:
        """Run every sweep (``dealtimeout``, each ``roll``) due by the clock's time."""
        now = self.clock()
        while self._next_sweep <= now:
            self._sweep(self._next_sweep)
            self._next_sweep += self.roll

    def _sweep(self, at: float) -> None:
        with self._lock:
            expired = [sid for sid, deadline in self._sessions.items() if deadline <= at]
            for sid in expired:
                del self._sessions[sid]
                self.in_use -= 1


class FakeClock:
    """Simulated seconds for the session scenarios."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
