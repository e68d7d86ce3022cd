"""Results on their way to the loader's ``communicate`` stream, which owns them.

Wrapper threads produce results at any time; the loader opens ``communicate`` once, right after it
connects and before ``wrapperInit`` (docs/how-to/deploy-to-loader.md), and reads every result from it. The first stream
therefore **owns** the results until it ends: a later ``communicate`` while the owner lives is
refused (:class:`Taken`), so no second client can take results meant for the loader or hold them
back by not reading. Results produced while no stream is open wait in a backlog and go to the
next owner; when the owner's call ends (the host cancelled or went away) whatever was still queued
for it goes back to the backlog, so no result is dropped while a host can still connect. At
shutdown the stream ends normally (the loader treats a stream error as fatal).

A transport that can send from any thread (the built-in one) passes ``send``: results then leave
from the thread that produced them, with no hand-over to the stream's own thread.
"""

import collections
import queue
import threading
from typing import Any, Callable, Deque, Iterator, Optional

_END = object()
# How long a new stream waits for a live owner to end before it is refused: a host that reconnects
# opens its new stream about when the server learns that the old connection is gone.
HANDOVER_WAIT = 0.5

# Sends one message now; False when the stream is gone. If the stream ends before the message has wholly
# left, the transport calls the second argument with the message, which goes back to the outbox.
Send = Callable[[Any, Callable[[Any], None]], bool]


class Taken(Exception):
    """A ``communicate`` stream was opened while another one owns the results."""


class _Stream:
    __slots__ = ("ended", "owner", "queue", "send")

    def __init__(self, send: Optional[Send], owner: Any) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.send = send
        self.owner = owner  # who opened it (see aiges.grpc.peers); the outbox only stores it
        self.ended = False


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)
        self._stream: Optional[_Stream] = None
        self._backlog: Deque[Any] = collections.deque()
        self._closed = False

    def put(self, message: Any) -> None:
        """From any thread."""
        while True:
            with self._lock:
                target = self._stream
                if target is None:
                    self._backlog.append(message)
                    return
            if target.send is None:
                target.queue.put(message)
                return
            if target.send(message, self._requeue):
                return
            self._release(target)  # that stream is gone: the message waits for the next owner

    @property
    def streams(self) -> int:
        """1 while a stream owns the results, else 0."""
        return 0 if self._stream is None else 1

    @property
    def owner(self) -> Any:
        """What the owning stream's opener passed as ``owner``; None when no stream is open."""
        stream = self._stream
        return None if stream is None else stream.owner

    def stream(self, context: Any = None, send: Optional[Send] = None, owner: Any = None) -> Iterator[Any]:
        """Claim the results for one ``communicate`` call (raises :class:`Taken` at once when another
        stream owns them) and return what the call yields until it ends or :meth:`close`. With
        ``send``, messages are sent through it instead (the iterator then yields nothing, it only waits)."""
        mine = _Stream(send, owner)
        with self._lock:
            if self._closed:
                return iter(())
            if self._stream is not None:
                self._released.wait_for(lambda: self._stream is None or self._closed, HANDOVER_WAIT)
                if self._closed:
                    return iter(())
                if self._stream is not None:
                    raise Taken("another communicate stream owns the results (the loader opens exactly one)")
            waiting = list(self._backlog)
            self._backlog.clear()
            if send is None:
                for message in waiting:
                    mine.queue.put(message)
                waiting = []
            self._stream = mine
        for index, message in enumerate(waiting):  # none without send
            assert send is not None
            if not send(message, self._requeue):
                with self._lock:
                    self._backlog.extendleft(reversed(waiting[index:]))
                break
        if context is not None and not context.add_callback(lambda: self._release(mine)):
            self._release(mine)  # the call already ended
        return self._yield(mine)

    def _yield(self, mine: _Stream) -> Iterator[Any]:
        try:
            while True:
                message = mine.queue.get()
                if message is _END:
                    return
                yield message
                del message  # waiting for the next must not keep this one (a big result) alive
        finally:
            self._release(mine)

    def _release(self, stream: _Stream) -> None:
        """The stream's call ended: it owns nothing any more; what it had not sent goes to the backlog."""
        with self._lock:
            if stream.ended:
                return
            stream.ended = True
            if self._stream is stream:
                self._stream = None
            self._released.notify_all()
        leftovers = []
        while True:
            try:
                message = stream.queue.get_nowait()
            except queue.Empty:
                break
            if message is not _END:
                leftovers.append(message)
        stream.queue.put(_END)  # wakes the call's own thread, if it still waits
        if leftovers and not self._closed:
            with self._lock:
                self._backlog.extend(leftovers)
            self._flush_backlog()

    def _requeue(self, message: Any) -> None:
        """A message that never wholly left on a stream that ended: it goes to the next owner."""
        if not self._closed:
            self.put(message)

    def _flush_backlog(self) -> None:
        """Messages parked while no stream owned them go to a stream that has claimed them since."""
        with self._lock:
            waiting = list(self._backlog) if self._stream is not None else []
            if waiting:
                self._backlog.clear()
        for message in waiting:
            self.put(message)

    def close(self) -> None:
        """End the stream after the messages already queued for it."""
        with self._lock:
            self._closed = True
            stream = self._stream
            self._released.notify_all()
        if stream is not None:
            stream.queue.put(_END)
