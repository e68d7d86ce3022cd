"""One HTTP/2 connection, server side: frames in, frames out, flow control, stream bookkeeping.

One thread at a time reads a connection, parses frames and hands stream events to a ``Handler``
(the gRPC layer). Two threads take turns at it: when the handler queues wrapper work and a wrapper
slot is free, the reading thread adopts the work and runs it itself while the other thread takes
over the socket (leader/follower), so a request starts on the thread that read it, with no
hand-over on its path. Any thread may send: writes go out under one lock, in order, in as few
``sendall`` calls as possible. Nothing here blocks on the peer's flow-control window: data that
does not fit waits in its stream's queue and leaves when the peer's WINDOW_UPDATE arrives (read by
the reader thread), so a sender never waits for a frame only it could read.

Our receive windows are as large as HTTP/2 allows and are replenished in big steps: the gRPC layer
bounds what it buffers by the maximum message size, so per-stream windows would only add round
trips. What we send respects the peer's windows and frame size exactly.

A quiet peer (nothing for PARK_AFTER seconds) costs no thread: the readers end and the server's
poller watches the socket until it is readable again. The peer is not trusted: every frame costs
O(1) work, header blocks, streams, queued bytes and no-progress frames are capped, and each
violation is answered with the RFC 9113 code (docs: "Hardening" in explanation/grpc-transport.md).
"""
import collections
import logging
import socket
import struct
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from aiges.grpc import workers
from aiges.grpc.h2 import frames, hpack

log = logging.getLogger("aiges.serve")

READ_SIZE = 256 * 1024
OUR_MAX_FRAME = frames.DEFAULT_MAX_FRAME  # we never raise SETTINGS_MAX_FRAME_SIZE
RECEIVE_WINDOW = frames.MAX_WINDOW
REPLENISH_AT = RECEIVE_WINDOW // 2
MAX_STREAMS = 1000  # SETTINGS_MAX_CONCURRENT_STREAMS: the loader keeps a handful; each stream may hold a thread

# Limits against a hostile peer (see docs/explanation/grpc-transport.md, "Hardening"). Every one of them
# is far above what a gRPC client needs, and each check costs O(1) per frame.
MAX_HEADER_LIST = 64 * 1024  # SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce (RFC 9113 6.5.2)
MAX_HEADER_BLOCK = 4 * MAX_HEADER_LIST  # compressed octets of one header block read at most
MAX_CONTINUATIONS = 64  # CONTINUATION frames per header block: 16 carry MAX_HEADER_BLOCK in 16 KB frames
MAX_QUEUED = 64 * 1024 * 1024  # response bytes waiting for the peer's window; beyond, new streams are refused
# Frames that cost us work but make no progress (PING, SETTINGS, RST_STREAM, PRIORITY, empty DATA, unknown
# types, refused streams): a token bucket of FLOOD_BURST frames refilled at FLOOD_RATE per second.
FLOOD_BURST = 2000
FLOOD_RATE = 500.0
LINGER_SECONDS, LINGER_BYTES = 1.0, 4 * 1024 * 1024  # reading on after a GOAWAY (see _linger)
WRITE_TIMEOUT = 10.0  # a peer that takes nothing from its socket for this long loses the connection
PARK_AFTER = 2.0  # seconds without a byte from the peer before the reader threads hand the socket to the poller

_PARK: Callable[[], None] = lambda: None  # noqa: E731 - what _read_frames returns when the peer went quiet

_HEADERS, _DATA = 0, 1


class Stream:
    """One request stream: its send window and queue, and what the gRPC layer keeps on it."""

    __slots__ = ("call", "headers_sent", "id", "local_closed", "queue", "received", "remote_closed", "reset",
                 "send_window")

    def __init__(self, stream_id: int, send_window: int) -> None:
        self.id = stream_id
        self.send_window = send_window
        # [kind, payload, end_stream, dropped]: ``dropped`` is called if the stream ends before the item left
        self.queue: Deque[List[Any]] = collections.deque()
        self.headers_sent = False
        self.received = 0  # data bytes not yet given back with WINDOW_UPDATE
        self.remote_closed = False
        self.local_closed = False
        self.reset = False
        self.call: Any = None  # the gRPC layer's object for this stream


class Handler:
    """What the gRPC layer implements; called on the connection's reader thread."""

    def on_headers(self, connection: "Connection", stream: Stream, headers: List[Tuple[str, str]],
                   end_stream: bool) -> None:
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

    def __init__(self, sock: socket.socket, handler: Handler,
                 park: Optional[Callable[["Connection"], None]] = None,
                 closing: Optional[Callable[["Connection"], None]] = None) -> None:
        self.sock = sock
        self.handler = handler
        self._park = park
        self._closing = closing
        self.active_at = time.monotonic()  # when the last stream opened (what an idle timeout counts from)
        self.lock = threading.Lock()  # everything below, and the order of bytes on the socket
        self.streams: Dict[int, Stream] = {}
        self.blocked: Dict[int, Stream] = {}  # streams waiting for connection window (insertion order)
        self.send_window = frames.DEFAULT_WINDOW
        self.peer_initial_window = frames.DEFAULT_WINDOW
        self.peer_max_frame = frames.DEFAULT_MAX_FRAME
        self.received = 0
        self.last_stream = 0  # the highest stream we processed (what a GOAWAY reports)
        self.highest_stream = 0  # the highest stream the peer opened, refused ones included: lower ids are not idle
        self.queued = 0  # DATA bytes in the streams' queues (waiting for the peer's windows)
        self._tokens = float(FLOOD_BURST)
        self._tokens_at = time.monotonic()
        self.going_away = False  # the peer sent GOAWAY
        self.goaway_sent = False  # we did: new streams are refused
        self.closed = False
        self._decoder = hpack.Decoder()
        # a header block still arriving: [stream, flags of its HEADERS, fragments, octets so far, CONTINUATIONs]
        self._continuing: Optional[List[Any]] = None
        # reading: two threads take turns (see _turns); the parse state lives here between turns
        self._baton = threading.Lock()
        self._standby = 0  # threads waiting for the baton (0 or 1)
        self._threads = 0  # reader threads alive (reading, standing by, or running an adopted job)
        self._parked = False  # the peer is quiet: no reader thread; the poller watches the socket
        self._standby_lock = threading.Lock()
        self._job: Optional[Callable[[], None]] = None
        self._buffer = bytearray()
        self._preface_left = len(frames.PREFACE)
        self._pending_parse = False  # the buffer may hold whole frames the last reader left unparsed

    # --- reading ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Send our SETTINGS and start the connection's two reader threads."""
        try:
            # Kernel timeouts, no cost per call: a send that makes no progress for WRITE_TIMEOUT fails (and the
            # connection ends), a recv that gets nothing for PARK_AFTER returns so the reader threads can park.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(WRITE_TIMEOUT))
            if self._park is not None:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(PARK_AFTER))
            self._write(frames.settings([(frames.INITIAL_WINDOW_SIZE, RECEIVE_WINDOW),
                                         (frames.ENABLE_PUSH, 0), (frames.MAX_CONCURRENT_STREAMS, MAX_STREAMS),
                                         (frames.MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST)])
                        + frames.window_update(0, RECEIVE_WINDOW - frames.DEFAULT_WINDOW))
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

    def _read_until_job(self) -> Optional[Callable[[], None]]:
        """Read and handle frames until a job is adopted (returned) or the connection ends (None)."""
        try:
            job = self._read_frames()
            if job is _PARK:
                with self._standby_lock:
                    self._parked = True  # before the baton goes: the thread standing by leaves instead of reading
            return job
        except frames.ConnectionError_ as error:
            log.warning("HTTP/2 protocol error from the client, closing the connection: %s", error)
            self._send_quietly(frames.goaway(self.last_stream, error.code, str(error).encode("utf-8", "replace")))
            self._linger()
        except hpack.HpackError as error:
            log.warning("bad header compression from the client, closing the connection: %s", error)
            self._send_quietly(frames.goaway(self.last_stream, frames.COMPRESSION_ERROR))
            self._linger()
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
        buffer = self._buffer
        recv = self.sock.recv
        while True:
            if self._pending_parse:
                self._pending_parse = False
            else:
                try:
                    chunk = recv(READ_SIZE)
                except BlockingIOError:  # SO_RCVTIMEO: nothing for PARK_AFTER seconds
                    if self._park is None:
                        continue
                    return _PARK
                if not chunk:
                    raise OSError("connection closed by the client")
                buffer += chunk
            if self._preface_left:
                seen = bytes(buffer[:self._preface_left])
                if seen != frames.PREFACE[:len(seen)]:
                    raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "not an HTTP/2 client (bad preface)")
                if len(buffer) < self._preface_left:
                    continue
                del buffer[:self._preface_left]
                self._preface_left = 0
            offset = 0
            available = len(buffer)
            while available - offset >= frames.HEADER_SIZE:
                length, kind, flags, stream_id = frames.parse_header(buffer, offset)
                if length > OUR_MAX_FRAME:
                    raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "frame of %d bytes" % length)
                end = offset + frames.HEADER_SIZE + length
                if end > available:
                    break
                self._frame(kind, flags, stream_id, bytes(buffer[offset + frames.HEADER_SIZE:end]))
                offset = end
                job = self._job
                if job is not None:  # the other reader continues from here
                    del buffer[:offset]
                    self._pending_parse = len(buffer) >= frames.HEADER_SIZE
                    self._job = None
                    return job
            if offset:
                del buffer[:offset]

    def _frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> None:
        if self._continuing is not None and kind != frames.CONTINUATION:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "expected CONTINUATION")
        if kind == frames.DATA:
            self._on_data(flags, stream_id, payload)
        elif kind == frames.HEADERS:
            self._on_headers(flags, stream_id, payload)
        elif kind == frames.CONTINUATION:
            self._on_continuation(flags, stream_id, payload)
        elif kind == frames.WINDOW_UPDATE:
            self._on_window_update(stream_id, payload)
        elif kind == frames.PING:
            if stream_id:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "PING on a stream")
            if len(payload) != 8:
                raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "PING of %d bytes" % len(payload))
            if not flags & frames.ACK:
                self._spend("PING")
                self._write(frames.ping_ack(payload))
        elif kind == frames.SETTINGS:
            self._on_settings(flags, stream_id, payload)
        elif kind == frames.RST_STREAM:
            if len(payload) != 4 or not stream_id:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "bad RST_STREAM")
            self._spend("RST_STREAM")  # also bounds "rapid reset" (CVE-2023-44487): open, reset, repeat
            self._on_reset(stream_id)
        elif kind == frames.GOAWAY:
            self.going_away = True
        elif kind == frames.PUSH_PROMISE:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "a client must not push")
        else:  # PRIORITY and unknown frame types are ignored (RFC 9113 5.5), but not for free
            self._spend("PRIORITY or unknown")

    def _spend(self, what: str) -> None:
        """Take one token for a frame that makes no progress; a peer that keeps sending them faster than
        FLOOD_RATE per second (after a burst of FLOOD_BURST) is flooding us: ENHANCE_YOUR_CALM (RFC 9113 7)."""
        now = time.monotonic()
        tokens = min(float(FLOOD_BURST), self._tokens + (now - self._tokens_at) * FLOOD_RATE)
        self._tokens_at = now
        if tokens < 1.0:
            raise frames.ConnectionError_(frames.ENHANCE_YOUR_CALM, "flood of frames that make no progress (%s): "
                                          "over %d at %d per second" % (what, FLOOD_BURST, FLOOD_RATE))
        self._tokens = tokens - 1.0

    def _on_data(self, flags: int, stream_id: int, payload: bytes) -> None:
        if not stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "DATA on stream 0")
        self.received += len(payload)
        if self.received >= REPLENISH_AT:
            self._write(frames.window_update(0, self.received))
            self.received = 0
        if not payload and not flags & frames.END_STREAM:
            self._spend("empty DATA")
        stream = self.streams.get(stream_id)
        if stream is None or stream.remote_closed:
            if stream_id > self.highest_stream:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "DATA on idle stream %d" % stream_id)
            return  # a stream we already finished, reset or refused: the data is dropped (RFC 9113 5.1)
        data = payload if not flags & frames.PADDED else bytes(frames.strip_padding(memoryview(payload), flags))
        stream.received += len(payload)
        if stream.received >= REPLENISH_AT:
            self._write(frames.window_update(stream_id, stream.received))
            stream.received = 0
        end = bool(flags & frames.END_STREAM)
        if end:
            stream.remote_closed = True
        self.handler.on_data(self, stream, data, end)
        if end:
            self._forget_if_done(stream)

    def _on_headers(self, flags: int, stream_id: int, payload: bytes) -> None:
        if not stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "HEADERS on stream 0")
        view = frames.strip_padding(memoryview(payload), flags)
        if flags & frames.PRIORITY_FLAG:
            if len(view) < 5:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "HEADERS too short for its priority")
            view = view[5:]
        if flags & frames.END_HEADERS:
            self._header_block(stream_id, flags, bytes(view))
        else:
            self._continuing = [stream_id, flags, [bytes(view)], len(view), 0]

    def _on_continuation(self, flags: int, stream_id: int, payload: bytes) -> None:
        """One more fragment of a header block. A block must be decoded whole (HPACK state), so the
        only answer to an endless one is ending the connection: both caps are connection errors,
        ENHANCE_YOUR_CALM as RFC 9113 7 names it for excessive load (a CONTINUATION flood, CVE-2024-27316)."""
        continuing = self._continuing
        if continuing is None or continuing[0] != stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "unexpected CONTINUATION")
        continuing[4] += 1
        if continuing[4] > MAX_CONTINUATIONS:
            raise frames.ConnectionError_(frames.ENHANCE_YOUR_CALM, "header block in more than %d CONTINUATION "
                                          "frames" % MAX_CONTINUATIONS)
        continuing[3] += len(payload)
        if continuing[3] > MAX_HEADER_BLOCK:
            raise frames.ConnectionError_(frames.ENHANCE_YOUR_CALM, "header block over %d bytes" % MAX_HEADER_BLOCK)
        continuing[2].append(payload)
        if flags & frames.END_HEADERS:
            self._continuing = None
            self._header_block(stream_id, continuing[1], b"".join(continuing[2]))

    def _header_block(self, stream_id: int, flags: int, block: bytes) -> None:
        headers = self._decoder.decode(block)  # always: the decoder's table must see every block
        end = bool(flags & frames.END_STREAM)
        size = sum(len(name) + len(value) for name, value in headers) + 32 * len(headers)  # RFC 9113 6.5.2
        stream = self.streams.get(stream_id)
        if stream is not None:  # trailers from the client: only the end of its stream matters
            if not end:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "trailers without END_STREAM")
            stream.remote_closed = True
            self.handler.on_data(self, stream, b"", True)
            self._forget_if_done(stream)
            return
        if not stream_id % 2:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "client stream id %d is even" % stream_id)
        if stream_id <= self.highest_stream:  # a stream that is already closed: the request gets an answer
            self._spend("HEADERS on a closed stream")
            self._write(frames.rst_stream(stream_id, frames.STREAM_CLOSED))
            return
        self.highest_stream = stream_id  # from now on the stream is closed or open, never idle (RFC 9113 5.1.1)
        if self.goaway_sent or len(self.streams) >= MAX_STREAMS or self.queued > MAX_QUEUED:
            self._spend("refused stream")  # not processed: the client may retry it
            self._write(frames.rst_stream(stream_id, frames.REFUSED_STREAM))
            return
        self.last_stream = stream_id
        self.active_at = time.monotonic()
        if size > MAX_HEADER_LIST:
            self._too_large(stream_id, size, end)
            return
        stream = Stream(stream_id, self.peer_initial_window)
        stream.remote_closed = end
        with self.lock:
            self.streams[stream_id] = stream
        self.handler.on_headers(self, stream, headers, end)
        if end:
            self._forget_if_done(stream)

    def _too_large(self, stream_id: int, size: int, end: bool) -> None:
        """A request whose header list is over the SETTINGS_MAX_HEADER_LIST_SIZE we advertised. RFC 9113
        10.5.1 lets a server answer it with HTTP 431, after decoding the block (done: the HPACK state stays
        in step), so only this stream fails: gRPC's RESOURCE_EXHAUSTED in a Trailers-Only response (the
        connection, which the loader has only one of, goes on)."""
        log.warning("refused a request whose header list is %d bytes (limit %d)", size, MAX_HEADER_LIST)
        message = "header list of %d bytes over the limit of %d" % (size, MAX_HEADER_LIST)
        block = hpack.encode([(":status", "431"), ("content-type", "application/grpc"), ("grpc-status", "8"),
                              ("grpc-message", message)])
        out = frames.headers(stream_id, block, True, self.peer_max_frame)
        if not end:  # we answered before the client finished sending: tell it to stop (RFC 9113 8.1)
            out += frames.rst_stream(stream_id, frames.NO_ERROR)
        self._write(out)

    def _on_settings(self, flags: int, stream_id: int, payload: bytes) -> None:
        if stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "SETTINGS on a stream")
        if flags & frames.ACK:
            if payload:
                raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload")
            return
        self._spend("SETTINGS")
        grown = False
        with self.lock:
            initial = None
            for key, value in frames.parse_settings(payload):
                if key == frames.INITIAL_WINDOW_SIZE:
                    if value > frames.MAX_WINDOW:
                        raise frames.ConnectionError_(frames.FLOW_CONTROL_ERROR, "initial window %d" % value)
                    initial = value  # only the last value counts (RFC 9113 6.5.3): streams are adjusted once
                elif key == frames.MAX_FRAME_SIZE:
                    if not frames.DEFAULT_MAX_FRAME <= value <= 2 ** 24 - 1:
                        raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "max frame size %d" % value)
                    self.peer_max_frame = value
            if initial is not None and initial != self.peer_initial_window:
                delta = initial - self.peer_initial_window
                self.peer_initial_window = initial
                for stream in self.streams.values():
                    stream.send_window += delta
                grown = delta > 0
            out = [frames.SETTINGS_ACK]
            if grown:
                for stream in list(self.streams.values()):
                    self._drain(stream, out)
            self.sock.sendall(b"".join(out))

    def _on_window_update(self, stream_id: int, payload: bytes) -> None:
        if len(payload) != 4:
            raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "WINDOW_UPDATE of %d bytes" % len(payload))
        increment = frames.parse_u32(payload)
        self._spend("WINDOW_UPDATE")  # each DATA frame we send gives a token back: the updates it causes are free
        dropped: Optional[List[Callable[[], None]]] = None
        with self.lock:
            out: List[bytes] = []
            if not stream_id:
                if not increment:
                    raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "WINDOW_UPDATE of 0")
                self.send_window += increment
                if self.send_window > frames.MAX_WINDOW:
                    raise frames.ConnectionError_(frames.FLOW_CONTROL_ERROR, "connection window overflow")
                waiting, self.blocked = list(self.blocked.values()), {}
                for stream in waiting:
                    self._drain(stream, out)
            else:
                stream = self.streams.get(stream_id)
                if stream is None:
                    return
                if not increment or stream.send_window + increment > frames.MAX_WINDOW:
                    dropped = self._reset_locked(
                        stream, frames.PROTOCOL_ERROR if not increment else frames.FLOW_CONTROL_ERROR, out)
                else:
                    stream.send_window += increment
                    self._drain(stream, out)
            if out:
                self.sock.sendall(b"".join(out))
        if dropped is not None:
            self._ended(stream, dropped)

    def _on_reset(self, stream_id: int) -> None:
        with self.lock:
            stream = self.streams.get(stream_id)
            if stream is None:
                return
            self.streams.pop(stream_id, None)
            self.blocked.pop(stream_id, None)
            stream.reset = True
            dropped = self._take_unsent(stream)
        self._ended(stream, dropped)

    def _ended(self, stream: Stream, dropped: List[Callable[[], None]]) -> None:
        """After a stream ended abnormally (lock not held): its call is cancelled, then whatever had not
        wholly left goes back to its senders."""
        try:
            self.handler.on_reset(self, stream)
        finally:
            for callback in dropped:
                try:
                    callback()
                except Exception:
                    log.exception("error while re-routing an unsent message")

    def _forget_if_done(self, stream: Stream) -> None:
        if stream.local_closed and stream.remote_closed:
            with self.lock:
                self.streams.pop(stream.id, None)

    # --- writing (any thread) --------------------------------------------------------------------------
    def send(self, stream: Stream, headers: Optional[bytes], data: Optional[bytes], trailers: Optional[bytes],
             trailers_only: Optional[bytes] = None, dropped: Optional[Callable[[], None]] = None) -> bool:
        """Queue, in order, and send what the peer's windows allow now: ``headers`` (only if the stream has
        sent none yet), ``data``, ``trailers`` (they end the stream; ``trailers_only`` replaces them when
        the stream has sent nothing at all). All optional. False when the stream is gone; if it ends
        before ``data`` has wholly left, ``dropped()`` is called."""
        with self.lock:
            if stream.reset or stream.local_closed or self.closed:
                return False
            queue = stream.queue
            if not stream.headers_sent:
                if data is None and trailers_only is not None:
                    trailers = trailers_only
                elif headers is not None:
                    queue.append([_HEADERS, headers, False, None])
                stream.headers_sent = True
            if data is not None:
                queue.append([_DATA, data, False, dropped])
                self.queued += len(data)
            if trailers is not None:
                queue.append([_HEADERS, trailers, True, None])
            out: List[bytes] = []
            self._drain(stream, out)
            if out:
                try:
                    self.sock.sendall(b"".join(out) if len(out) > 1 else out[0])
                except OSError as error:
                    self._broken(error)
                    return False
            return True

    def reset(self, stream: Stream, code: int) -> None:
        """End a stream abnormally (RST_STREAM) from our side; its call is cancelled."""
        with self.lock:
            out: List[bytes] = []
            dropped = self._reset_locked(stream, code, out)
            if out:
                self._sendall_quietly(b"".join(out))
        if dropped is not None:
            self._ended(stream, dropped)

    def _reset_locked(self, stream: Stream, code: int, out: List[bytes]) -> Optional[List[Callable[[], None]]]:
        """Reset ``stream``; what the caller must pass to :meth:`_ended` once the lock is released (None
        when it had already ended)."""
        if stream.reset or self.streams.pop(stream.id, None) is None:
            return None
        stream.reset = True
        self.blocked.pop(stream.id, None)
        out.append(frames.rst_stream(stream.id, code))
        return self._take_unsent(stream)

    def _drain(self, stream: Stream, out: List[bytes]) -> None:
        """Move what the windows allow from ``stream.queue`` to ``out`` (lock held)."""
        queue = stream.queue
        while queue:
            item = queue[0]
            if item[0] == _HEADERS:
                out.append(frames.headers(stream.id, item[1], item[2], self.peer_max_frame))
                queue.popleft()
                if item[2]:
                    self._finished_locally(stream, out)
                continue
            payload = item[1]
            end = bool(len(queue) == 1 and item[2])
            if not len(payload):
                out.append(frames.header(0, frames.DATA, frames.END_STREAM if end else 0, stream.id))
                queue.popleft()
                continue
            allowed = min(self.send_window, stream.send_window)
            if allowed <= 0:
                if self.send_window <= 0:
                    self.blocked[stream.id] = stream
                return
            size = self.peer_max_frame
            sent = 0
            total = len(payload)
            view = memoryview(payload)
            sent_frames = 0
            while sent < total and allowed > 0:
                chunk = min(size, allowed, total - sent)
                out.append(frames.header(chunk, frames.DATA, 0, stream.id))
                out.append(view[sent:sent + chunk])
                sent += chunk
                allowed -= chunk
                sent_frames += 1
            self.send_window -= sent
            stream.send_window -= sent
            self.queued -= sent
            self._tokens += sent_frames  # the peer may answer each with a WINDOW_UPDATE or PING (see _spend)
            if sent < total:
                item[1] = view[sent:]
                if self.send_window <= 0:
                    self.blocked[stream.id] = stream
                return
            queue.popleft()

    def _finished_locally(self, stream: Stream, out: List[bytes]) -> None:
        stream.local_closed = True
        if stream.remote_closed:
            self.streams.pop(stream.id, None)
        else:  # we answered before the client finished sending: tell it to stop (RFC 9113 8.1)
            self.streams.pop(stream.id, None)
            stream.reset = True
            out.append(frames.rst_stream(stream.id, frames.NO_ERROR))

    def _write(self, data: bytes) -> None:
        with self.lock:
            try:
                self.sock.sendall(data)
            except OSError as error:
                self._broken(error)
                raise

    def _send_quietly(self, data: bytes) -> None:
        with self.lock:
            self._sendall_quietly(data)

    def _sendall_quietly(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as error:
            self._broken(error)

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
            if self.goaway_sent or self.closed:
                return
            self.goaway_sent = True
            self._sendall_quietly(frames.goaway(self.last_stream, frames.NO_ERROR, debug))
        finally:
            self.lock.release()

    def expire(self, idle_timeout: float) -> None:
        """The idle timeout: no stream for ``idle_timeout`` seconds. GOAWAY(NO_ERROR), then the end of the
        connection: no call is lost (there is none), and a client that wants more connects again.
        Called by the poller, so it never waits: not for the lock (a send in progress: next time), not
        for the peer (the GOAWAY goes out only if the socket takes it at once). The shutdown wakes the
        connection's reader (a thread, or the poller for a parked one), which closes it."""
        if self.closed or self.goaway_sent or not self.lock.acquire(blocking=False):
            return
        try:
            log.info("closing a connection idle for %.0f s", idle_timeout)
            self.goaway_sent = True
            try:
                self.sock.send(frames.goaway(self.last_stream, frames.NO_ERROR, b"idle for %d s" % idle_timeout),
                               socket.MSG_DONTWAIT)
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
            streams = list(self.streams.values())
            self.streams.clear()
            self.blocked.clear()
            unsent = []
            for stream in streams:
                stream.reset = True
                unsent.append(self._take_unsent(stream))
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for stream, dropped in zip(streams, unsent):
            try:
                self._ended(stream, dropped)
            except Exception:
                log.exception("error while ending a call")

    @property
    def open_streams(self) -> int:
        return len(self.streams)

    def _take_unsent(self, stream: Stream) -> List[Callable[[], None]]:
        """Empty the stream's queue (lock held): the ``dropped`` callbacks of data that had not wholly left."""
        dropped = [item[3] for item in stream.queue if item[0] == _DATA and item[3] is not None]
        self.queued -= sum(len(item[1]) for item in stream.queue if item[0] == _DATA)
        stream.queue.clear()
        return dropped


def _timeval(seconds: float) -> bytes:
    """struct timeval for SO_SNDTIMEO / SO_RCVTIMEO."""
    return struct.pack("ll", int(seconds), int((seconds % 1) * 1e6))
