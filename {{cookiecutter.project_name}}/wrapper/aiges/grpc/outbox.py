"""Results on their way to the loader's ``communicate`` stream.

Wrapper threads produce results at any time; each open ``communicate`` call is a generator on its
own gRPC thread. A result goes to the most recently opened live stream (the loader opens one, and a
new one after a reconnect); results produced while none is open wait in a backlog (the loader opens
``communicate`` before ``wrapperInit``). When a stream's call ends (the host cancelled or went away)
its generator is woken and returns, and whatever was still queued for it moves to another stream or
the backlog, so no result is dropped while a host is connected. At shutdown every stream ends
normally (the loader treats a stream error as fatal).

A transport that can send from any thread (the built-in one) passes ``send``: results then leave
from the thread that produced them, with no hand-over to the stream's own thread.
"""
import collections
import queue
import threading
from typing import Any, Callable, Deque, Iterator, List, Optional

_END = object()

# Sends one message now; False when the stream is gone. If the stream ends before the message has wholly
# left, the transport calls the second argument with the message, which goes to another stream.
Send = Callable[[Any, Callable[[Any], None]], bool]


class _Stream:
    __slots__ = ("queue", "send")

    def __init__(self, send: Optional[Send] = None) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.send = send


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: List[_Stream] = []
        self._backlog: Deque[Any] = collections.deque()
        self._closed = False

    def put(self, message: Any) -> None:
        """From any thread."""
        while True:
            with self._lock:
                if not self._streams:
                    self._backlog.append(message)
                    return
                target = self._streams[-1]
            if target.send is None:
                target.queue.put(message)
                return
            if target.send(message, self._requeue):
                return
            self._detach(target)  # that stream is gone: try the next one, or keep it in the backlog

    @property
    def streams(self) -> int:
        return len(self._streams)

    def stream(self, context: Any = None, send: Optional[Send] = None) -> Iterator[Any]:
        """What one ``communicate`` call yields, until the call ends or :meth:`close`. With ``send``,
        messages are sent through it instead (this generator then yields nothing, it only waits)."""
        mine = _Stream(send)
        with self._lock:
            if self._closed:
                return
            waiting = list(self._backlog)
            self._backlog.clear()
            if send is None:
                for message in waiting:
                    mine.queue.put(message)
                waiting = []
            self._streams.append(mine)
        for index, message in enumerate(waiting):
            if not send(message, self._requeue):  # type: ignore[misc]
                with self._lock:
                    self._backlog.extendleft(reversed(waiting[index:]))
                break
        if context is not None and not context.add_callback(lambda: mine.queue.put(_END)):
            mine.queue.put(_END)  # the call already ended
        try:
            while True:
                message = mine.queue.get()
                if message is _END:
                    return
                yield message
        finally:
            self._detach(mine)

    def _detach(self, stream: _Stream) -> None:
        with self._lock:
            if stream in self._streams:
                self._streams.remove(stream)
        leftovers = []
        while True:
            try:
                message = stream.queue.get_nowait()
            except queue.Empty:
                break
            if message is not _END:
                leftovers.append(message)
        if not self._closed:
            for message in leftovers:
                self.put(message)
            if stream.send is not None:
                self._flush_backlog()

    def _requeue(self, message: Any) -> None:
        """A message that never wholly left on a stream that ended: it goes to the newest stream."""
        if not self._closed:
            self.put(message)

    def _flush_backlog(self) -> None:
        """Messages parked while a direct stream was being replaced go to the newest stream."""
        with self._lock:
            waiting = list(self._backlog) if self._streams else []
            if waiting:
                self._backlog.clear()
        for message in waiting:
            self.put(message)

    def close(self) -> None:
        """End every stream after the messages already queued for it."""
        with self._lock:
            self._closed = True
            streams = list(self._streams)
        for stream in streams:
            stream.queue.put(_END)
