"""``aiges.concurrent.fixpool.FixedPool``: at most ``capacity`` objects (e.g. model workers), by key.

API as in the vendor SDK 0.16.0: ``set_capacity(n)``, ``add(obj) -> (added, key)`` with keys
``worker-<n>``, ``get(key)``, ``remove(key)``, ``clear_all()``, and the ``capacity``/``allocated``
counters. Fixed: each pool has its own objects (the vendor's ``pool`` dict was one class attribute
shared by every pool in the process), a key freed by ``remove`` is never handed out again while
another object still holds it (the vendor reused ``worker-<allocated>`` and overwrote a live
object), and the pool is safe to use from several threads (the loader calls in parallel).
"""

import itertools
import threading
from typing import Any, Dict, Optional, Tuple

from aiges.concurrent.pool import Pool


class FixedPool(Pool):
    """A pool of at most ``capacity`` objects."""

    def __init__(self, capacity: int = 1) -> None:
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self.pool: Dict[str, Any] = {}
        self.capacity = capacity
        self.allocated = 0

    def set_capacity(self, c: int) -> None:
        if isinstance(c, bool) or not isinstance(c, int) or c < 0:
            raise ValueError("FixedPool capacity must be a non-negative integer, got %r" % (c,))
        self.capacity = c

    def get(self, key: str) -> Optional[Any]:
        return self.pool.get(key)

    def add(self, obj: Any) -> Tuple[bool, str]:
        """Keep ``obj``; ``(True, key)``, or ``(False, "")`` when the pool is full."""
        with self._lock:
            if len(self.pool) >= self.capacity:
                return False, ""
            key = "worker-%d" % next(self._numbers)
            while key in self.pool:
                key = "worker-%d" % next(self._numbers)
            self.pool[key] = obj
            self.allocated = len(self.pool)
            return True, key

    def remove(self, key: str) -> bool:
        with self._lock:
            self.pool.pop(key, None)
            self.allocated = len(self.pool)
        return True

    def clear_all(self) -> None:
        with self._lock:
            self.pool = {}
            self.allocated = 0
