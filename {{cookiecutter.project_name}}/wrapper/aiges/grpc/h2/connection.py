"""One HTTP/2 connection's I/O: its socket, its reader threads and its writes, around the protocol object.

The HTTP/2 state machine is ``protocol.ServerProtocol`` (bytes in, events and bytes out); this module
feeds it what the socket reads, hands its events to a ``Handler`` (the gRPC layer) and writes what it
has to send. One lock guards the protocol object and the order of bytes on the socket.

One thread at a time reads a connection. Two threads take turns at it: when the handler queues wrapper
work and a wrapper slot is free, the reading thread adopts the work and runs it itself while the other
thread takes over the socket (leader/follower), so a request starts on the thread that read it, with
no hand-over on its path. The protocol object keeps the unparsed input between turns. Any thread may
send: writes go out under the lock, in order, in as few ``sendall`` calls as possible. Nothing here
blocks on the peer's flow-control window: data that does not fit waits in the protocol object and
leaves when the peer's WINDOW_UPDATE arrives (read by the reader thread), so a sender never waits for
a frame only it could read.

A quiet peer (nothing for PARK_AFTER seconds) costs no thread: the readers end and the server's poller
watches the socket until it is readable again. A peer that breaks the protocol gets its GOAWAY, then
the connection ends (after a bounded linger); one that takes nothing from its socket for WRITE_TIMEOUT
loses it (docs: "Hardening" in explanation/grpc-transport.md).
"""

import logging
import socket
import struct
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

from aiges.grpc import workers
from aiges.grpc.h2 import protocol
from aiges.grpc.h2.protocol import ConnectionTerminated, DataReceived, RequestReceived, Stream, StreamReset

log = logging.getLogger("aiges.serve")

READ_SIZE = 256 * 1024
LINGER_SECONDS, LINGER_BYTES = 1.0, 4 * 1024 * 1024  # reading on after a GOAWAY (see _linger)
WRITE_TIMEOUT = 10.0  # a peer that takes nothing from its socket for this long loses the connection
PARK_AFTER = 2.0  # seconds without a byte from the peer before the reader threads hand the socket to the poller
GATHER_FROM, GATHER_BYTES, GATHER_BATCH = 8, 256 * 1024, 512  # when _flush gathers pieces instead of joining

_PARK: Callable[[], None] = lambda: None  # noqa: E731 - what _read_frames returns when the peer went quiet


class Handler:
    """What the gRPC layer implements; called on the connection's reader thread, the lock not held."""

    def on_headers(
        self, connection: "Connection", stream: Stream, headers: List[Tuple[str, str]], end_stream: bool
    ) -> None:
        raise NotImplementedError

    def on_data(self, connection: "Connection", stream: Stream, data: bytes, end_stream: bool) -> None:
        raise NotImplementedError

    def on_reset(self, connection: "Connection", stream: Stream) -> None:
        """The stream ended abnormally: the peer reset it, or the connection closed."""
        raise NotImplementedError


class Connection(workers.Host):
    """See the module docstring. ``start()`` starts it; when the connection is gone, the handler has
    been told about every stream still open.

    ``park(connection)``, when given, is called once the peer has sent nothing for PARK_AFTER seconds:
    the reader threads have ended and the caller watches the socket (one thread for all quiet
    connections), calling ``resume()`` when it is readable. ``closing(connection)`` is called on close."""

    def __init__(
        self,
        sock: socket.socket,
        handler: Handler,
        park: Optional[Callable[["Connection"], None]] = None,
        closing: Optional[Callable[["Connection"], None]] = None,
    ) -> None:
        self.sock = sock
        self.handler = handler
        self._park = park
        self._closing = closing
        self.active_at = time.monotonic()  # when the last stream opened (what an idle timeout counts from)
        self.lock = threading.Lock()  # the protocol object, and the order of bytes on the socket
        self.protocol = protocol.ServerProtocol()
        self.closed = False
        # reading: two threads take turns (see _turns); the parse state lives in the protocol object
        self._baton = threading.Lock()
        self._standby = 0  # threads waiting for the baton (0 or 1)
        self._threads = 0  # reader threads alive (reading, standing by, or running an adopted job)
        self._parked = False  # the peer is quiet: no reader thread; the poller watches the socket
        self._standby_lock = threading.Lock()
        self._job: Optional[Callable[[], None]] = None

    # --- reading ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Send our SETTINGS and start the connection's two reader threads."""
        try:
            # Kernel timeouts, no cost per call: a send that makes no progress for WRITE_TIMEOUT fails (and the
            # connection ends), a recv that gets nothing for PARK_AFTER returns so the reader threads can park.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(WRITE_TIMEOUT))
            if self._park is not None:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(PARK_AFTER))
            with self.lock:
                self.protocol.initiate()
                self._flush()
        except OSError:
            self.close()
            return
        self.resume()

    def resume(self) -> None:
        """(Re)start reading: two reader threads, counting those still running an adopted job."""
        with self._standby_lock:
            if self.closed:
                return
            self._parked = False
            missing = 2 - self._threads
            self._threads += max(0, missing)
        for turn in range(missing):
            threading.Thread(target=self._turns, name="aiges-conn-%d" % turn, daemon=True).start()

    def adopt(self, job: Callable[[], None]) -> bool:
        """Called by ``Workers.submit`` on the reading thread: run ``job`` on it once the other reader
        has taken over the socket (only when that reader is standing by)."""
        if self._job is None and not self.closed and self._standby:
            self._job = job
            return True
        return False

    def _turns(self) -> None:
        """Body of both reader threads: whoever holds the baton reads; a reader that adopts a job hands
        the baton to the other, runs the job, then stands by for its next turn."""
        baton, count = self._baton, self._standby_lock
        while True:
            with count:
                self._standby += 1
            baton.acquire()
            with count:
                self._standby -= 1
                leave = self.closed or self._parked
                if leave:
                    self._threads -= 1
            if leave:
                baton.release()
                return
            workers.hosting(self)
            try:
                job = self._read_until_job()
            finally:
                workers.hosting(None)
                baton.release()
            if job is None or job is _PARK:
                with count:
                    self._threads -= 1
                if job is _PARK and self._park is not None:
                    self._park(self)
                return
            job()
            del job  # standing by must not keep the request it ran alive

    def _read_until_job(self) -> Optional[Callable[[], None]]:
        """Read and handle events until a job is adopted (returned) or the connection ends (None)."""
        try:
            job = self._read_frames()
            if job is _PARK:
                with self._standby_lock:
                    self._parked = True  # before the baton goes: the thread standing by leaves instead of reading
                return job
            if job is not None:
                return job
            self._linger()  # our GOAWAY went out
        except OSError:
            pass  # the peer went away
        self.close()
        return None

    def _linger(self) -> None:
        """After our GOAWAY: end our side and read (and drop) what the peer still sends, for a bounded
        time and amount. Closing a socket with unread input sends a TCP reset, which can destroy the
        GOAWAY in the peer's receive buffer before the peer has read it."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(LINGER_SECONDS)
            deadline = time.monotonic() + LINGER_SECONDS
            left = LINGER_BYTES
            while left > 0 and time.monotonic() < deadline:
                chunk = self.sock.recv(min(left, READ_SIZE))
                if not chunk:
                    return
                left -= len(chunk)
        except OSError:
            pass

    def _read_frames(self) -> Optional[Callable[[], None]]:
        """Feed the protocol object and dispatch its events, one at a time (the next frame is parsed only
        after the last event was handled); a job (adopted), _PARK, or None after a protocol error."""
        h2 = self.protocol
        lock = self.lock
        recv = self.sock.recv
        handler = self.handler
        while True:
            with lock:
                event = h2.next_event()
                self._flush()  # what the frames before the event called for (nothing, mostly)
            if event is None:
                try:
                    chunk = recv(READ_SIZE)
                except BlockingIOError:  # SO_RCVTIMEO: nothing for PARK_AFTER seconds
                    if self._park is None:
                        continue
                    return _PARK
                if not chunk:
                    raise OSError("connection closed by the client")
                h2.feed(chunk)  # the input buffer is the reader's alone: no lock
                continue
            if isinstance(event, DataReceived):
                handler.on_data(self, event.stream, event.data, event.end_stream)
            elif isinstance(event, RequestReceived):
                self.active_at = time.monotonic()
                handler.on_headers(self, event.stream, event.headers, event.end_stream)
            elif isinstance(event, StreamReset):
                self._ended(event.stream, event.unsent)
            elif isinstance(event, ConnectionTerminated):
                log.warning("HTTP/2 protocol error from the client, closing the connection: %s", event.message)
                return None
            job = self._job
            if job is not None:  # the other reader continues from here
                self._job = None
                return job

    def _ended(self, stream: Stream, unsent: List[Any]) -> None:
        """After a stream ended abnormally (lock not held): its call is cancelled, then whatever had not
        wholly left goes back to its senders."""
        try:
            self.handler.on_reset(self, stream)
        finally:
            for callback in unsent:
                try:
                    callback()
                except Exception:
                    log.exception("error while re-routing an unsent message")

    # --- writing (any thread) --------------------------------------------------------------------------
    def send(
        self,
        stream: Stream,
        headers: Optional[bytes],
        data: Optional[protocol.Body],
        trailers: Optional[bytes],
        trailers_only: Optional[bytes] = None,
        dropped: Optional[Callable[[], None]] = None,
    ) -> bool:
        """Queue, in order, and send what the peer's windows allow now (``ServerProtocol.send``). False
        when the stream is gone; if it ends before ``data`` has wholly left, ``dropped()`` is called."""
        with self.lock:
            if self.closed or not self.protocol.send(stream, headers, data, trailers, trailers_only, dropped):
                return False
            try:
                self._flush()
            except OSError:
                return False
            return True

    def reset(self, stream: Stream, code: int) -> None:
        """End a stream abnormally (RST_STREAM) from our side; its call is cancelled."""
        with self.lock:
            unsent = self.protocol.reset_stream(stream, code)
            self._flush_quietly()
        if unsent is not None:
            self._ended(stream, unsent)

    def _flush(self) -> None:
        """Write what the protocol object has to send (lock held); OSError when the socket failed.
        Small output is joined and sent with one ``sendall``; a large body's pieces are gathered by
        ``sendmsg`` as they are, so its bytes are copied only by the kernel."""
        pieces = self.protocol.pieces_to_send()
        if not pieces:
            return
        try:
            if len(pieces) == 1:
                self.sock.sendall(pieces[0])
            elif len(pieces) < GATHER_FROM or sum(map(len, pieces)) < GATHER_BYTES:
                self.sock.sendall(b"".join(pieces))
            else:
                _send_gathered(self.sock, pieces)
        except OSError as error:
            self._broken(error)
            raise

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except OSError:
            pass

    def _broken(self, error: OSError) -> None:
        """A send failed or timed out (lock held), maybe halfway through a frame: nothing more can be sent.
        Shutting the socket down wakes whoever reads it (a reader thread or the poller), which closes."""
        if isinstance(error, BlockingIOError) and not self.closed:
            log.warning("the client took nothing from the connection for %.0f s: closing it", WRITE_TIMEOUT)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- ending ----------------------------------------------------------------------------------------
    def goaway(self, debug: bytes = b"", wait: float = WRITE_TIMEOUT) -> None:
        """Refuse new streams (the ones open go on); the client reconnects elsewhere if it must. Waits at
        most ``wait`` seconds for a send in progress (a peer that does not read must not hold up a stop)."""
        if not self.lock.acquire(timeout=wait):
            self._broken(OSError("a send did not finish within %.1f s" % wait))
            return
        try:
            if not self.closed and self.protocol.goaway(debug):
                self._flush_quietly()
        finally:
            self.lock.release()

    def expire(self, idle_timeout: float) -> None:
        """The idle timeout: no stream for ``idle_timeout`` seconds. GOAWAY(NO_ERROR), then the end of the
        connection: no call is lost (there is none), and a client that wants more connects again.
        Called by the poller, so it never waits: not for the lock (a send in progress: next time), not
        for the peer (the GOAWAY goes out only if the socket takes it at once). The shutdown wakes the
        connection's reader (a thread, or the poller for a parked one), which closes it."""
        if self.closed or self.protocol.goaway_sent or not self.lock.acquire(blocking=False):
            return
        try:
            log.info("closing a connection idle for %.0f s", idle_timeout)
            if self.protocol.goaway(b"idle for %d s" % idle_timeout):
                try:
                    self.sock.send(self.protocol.data_to_send(), socket.MSG_DONTWAIT)
                except OSError:
                    pass
            self._broken(OSError("idle"))
        finally:
            self.lock.release()

    def close(self) -> None:
        """Close the socket and end every open stream (their calls see a cancellation)."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            if self._closing is not None:
                self._closing(self)
            ended = self.protocol.close()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for stream, unsent in ended:
            try:
                self._ended(stream, unsent)
            except Exception:
                log.exception("error while ending a call")

    @property
    def open_streams(self) -> int:
        return self.protocol.open_streams


def _send_gathered(sock: socket.socket, pieces: List[Any]) -> None:
    """``sendall`` for a list of bytes-like pieces, without joining them: ``sendmsg`` takes up to
    GATHER_BATCH at a time (the kernel's limit is IOV_MAX, 1024) and may take part of one."""
    index, count = 0, len(pieces)
    while index < count:
        batch = pieces[index : index + GATHER_BATCH]
        sent = sock.sendmsg(batch)
        for piece in batch:
            size = len(piece)
            if sent < size:
                if sent:
                    pieces[index] = memoryview(piece)[sent:]
                break
            sent -= size
            index += 1


def _timeval(seconds: float) -> bytes:
    """struct timeval for SO_SNDTIMEO / SO_RCVTIMEO."""
    return struct.pack("ll", int(seconds), int((seconds % 1) * 1e6))
