"""A unary gRPC client over HTTP/2 on a unix socket, with nothing but the standard library and our framing.

Why our own: the runtime must not need grpcio, and WidgetPy plugins call the loader back (its
``CallbackService``: metering, tracing, pushed results). Those calls are small, unary and rare next to the
plugin's own serving, so one connection carries them one at a time (a lock), each call reading the
connection until its own stream ends. Everything the peer may send meanwhile is honoured: SETTINGS
(acknowledged; the frame size and initial window applied), PING (answered), WINDOW_UPDATE (what we send
respects the peer's windows exactly), GOAWAY (the connection is dropped and made again by the next call).
Our receive windows are as large as HTTP/2 allows and replenished as data arrives.

Before a call reuses the connection, what the peer sent while it was idle is read: a connection the peer closed
or is closing (GOAWAY) is replaced by a new one, so a loader that restarted is reached again by the next call.
A connection that breaks during a call fails that call with :class:`CallError` (``UNAVAILABLE``; it is not
repeated, as the loader may have acted on it); a peer that does not answer within ``timeout`` seconds fails the
call with ``DEADLINE_EXCEEDED``.
"""

import select
import socket
import struct
import threading
import urllib.parse
from typing import Dict, List, Optional, Tuple

from aiges.grpc import status
from aiges.grpc.h2 import frames, hpack

_PREFIX = struct.Struct(">BI")
_MAX_STREAM_ID = 2**31 - 1


class CallError(Exception):
    """A call that did not end with gRPC status OK: ``code`` (``aiges.grpc.status``) and ``details``."""

    def __init__(self, code: int, details: str) -> None:
        super().__init__("%s: %s" % (status.NAMES.get(code, str(code)), details))
        self.code = code
        self.details = details


class _Call:
    """What one stream has received so far."""

    def __init__(self, stream: int, window: int) -> None:
        self.stream = stream
        self.send_window = window
        self.headers: List[Tuple[str, str]] = []
        self.data = bytearray()
        self.ended = False
        self.reset: Optional[int] = None


class UnaryClient:
    """Unary calls to the gRPC server listening at the unix socket ``path`` (thread-safe: one call at a time)."""

    def __init__(self, path: str, timeout: float = 30.0, authority: str = "localhost") -> None:
        self.path = path
        self.timeout = timeout
        self.authority = authority
        self._lock = threading.Lock()
        self._sock: Optional[socket.socket] = None
        self._fresh_state()

    # --- public ---------------------------------------------------------------------------------------------
    def connect(self) -> None:
        """Open the connection now (calls open it themselves when needed); raises OSError."""
        with self._lock:
            self._ensure()

    def call(self, method: str, request: bytes) -> bytes:
        """Send ``request`` (a serialized message) to ``method`` ("/pkg.Service/Rpc"); the response message."""
        with self._lock:
            try:
                self._ensure()
                return self._call_once(method, request)
            except (OSError, frames.ConnectionError_, hpack.HpackError) as error:
                self._drop()
                if isinstance(error, socket.timeout):
                    raise CallError(status.DEADLINE_EXCEEDED, "no answer within %.1f s" % self.timeout) from None
                raise CallError(status.UNAVAILABLE, "%s: %s" % (self.path, error)) from None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # --- the connection -------------------------------------------------------------------------------------
    def _ensure(self) -> None:
        if self._sock is not None and self._next_stream < _MAX_STREAM_ID and self._still_open():
            return
        self._drop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
            sock.sendall(
                frames.PREFACE
                + frames.settings([(frames.ENABLE_PUSH, 0), (frames.INITIAL_WINDOW_SIZE, frames.MAX_WINDOW)])
                + frames.window_update(0, frames.MAX_WINDOW - frames.DEFAULT_WINDOW)
            )
        except OSError:
            sock.close()
            raise
        self._sock = sock

    def _still_open(self) -> bool:
        """Read what the peer sent while the connection was idle (SETTINGS, PING, GOAWAY, the end of the stream):
        False when it is closed or closing, so the next call opens a new one instead of failing on this one."""
        sock = self._sock
        assert sock is not None
        try:
            while select.select([sock], [], [], 0)[0]:
                chunk = sock.recv(65536)
                if not chunk:
                    return False
                self._buffer += chunk
                while self._complete_frame():
                    self._read_frame()
        except (OSError, frames.ConnectionError_, hpack.HpackError):
            return False
        return True

    def _complete_frame(self) -> bool:
        if len(self._buffer) < frames.HEADER_SIZE:
            return False
        length = frames.parse_header(self._buffer, 0)[0]
        return len(self._buffer) >= frames.HEADER_SIZE + length

    def _drop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._fresh_state()

    def _fresh_state(self) -> None:
        """What a new connection starts with (a dropped one's state is forgotten, so the next call reconnects)."""
        self._buffer = bytearray()
        self._decoder = hpack.Decoder()
        self._next_stream = 1
        self._peer_frame = frames.DEFAULT_MAX_FRAME
        self._peer_initial_window = frames.DEFAULT_WINDOW
        self._connection_window = frames.DEFAULT_WINDOW
        self._call: Optional[_Call] = None
        self._block: Optional[Tuple[int, int, bytearray]] = None  # (stream, flags, header block) until END_HEADERS

    def _send(self, data: bytes) -> None:
        assert self._sock is not None
        self._sock.sendall(data)

    # --- one call -------------------------------------------------------------------------------------------
    def _call_once(self, method: str, request: bytes) -> bytes:
        stream = self._next_stream
        self._next_stream += 2
        call = self._call = _Call(stream, self._peer_initial_window)
        block = hpack.encode(
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":path", method),
                (":authority", self.authority),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
            ]
        )
        self._send(frames.headers(stream, block, False, self._peer_frame))
        body = memoryview(_PREFIX.pack(0, len(request)) + request)
        while body:
            room = min(self._connection_window, call.send_window, self._peer_frame)
            if room <= 0:
                self._read_frame()
                if call.ended or call.reset is not None:
                    break
                continue
            chunk, body = body[:room], body[room:]
            self._connection_window -= len(chunk)
            call.send_window -= len(chunk)
            self._send(frames.frame(frames.DATA, 0 if body else frames.END_STREAM, stream, bytes(chunk)))
        while not call.ended and call.reset is None:
            self._read_frame()
        self._call = None
        return _answer(call)

    def _read_frame(self) -> None:
        while len(self._buffer) < frames.HEADER_SIZE:
            self._fill()
        length, kind, flags, stream = frames.parse_header(self._buffer, 0)
        while len(self._buffer) < frames.HEADER_SIZE + length:
            self._fill()
        payload = bytes(self._buffer[frames.HEADER_SIZE : frames.HEADER_SIZE + length])
        del self._buffer[: frames.HEADER_SIZE + length]
        self._handle(kind, flags, stream, payload)

    def _fill(self) -> None:
        assert self._sock is not None
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self._buffer += chunk

    def _handle(self, kind: int, flags: int, stream: int, payload: bytes) -> None:
        call = self._call
        mine = call is not None and stream == call.stream
        if kind == frames.SETTINGS:
            if not flags & frames.ACK:
                self._apply_settings(payload)
                self._send(frames.SETTINGS_ACK)
        elif kind == frames.PING:
            if not flags & frames.ACK:
                self._send(frames.ping_ack(payload[:8]))
        elif kind == frames.WINDOW_UPDATE:
            increment = frames.parse_u32(payload)
            if stream == 0:
                self._connection_window += increment
            elif mine and call is not None:
                call.send_window += increment
        elif kind == frames.GOAWAY:
            raise ConnectionResetError("the server sent GOAWAY")
        elif kind == frames.RST_STREAM:
            if mine and call is not None:
                call.reset = frames.parse_u32(payload)
        elif kind == frames.DATA:
            data = bytes(frames.strip_padding(memoryview(payload), flags))
            if payload:
                self._send(frames.window_update(0, len(payload)) + frames.window_update(stream, len(payload)))
            if mine and call is not None:
                call.data += data
                call.ended = call.ended or bool(flags & frames.END_STREAM)
        elif kind in (frames.HEADERS, frames.CONTINUATION):
            self._header_block(kind, flags, stream, payload)

    def _header_block(self, kind: int, flags: int, stream: int, payload: bytes) -> None:
        if kind == frames.HEADERS:
            fragment = frames.strip_padding(memoryview(payload), flags)
            if flags & frames.PRIORITY_FLAG:
                fragment = fragment[5:]
            self._block = (stream, flags, bytearray(fragment))
        elif self._block is not None:
            self._block[2].extend(payload)
        if self._block is None or not flags & frames.END_HEADERS:
            return
        block_stream, first_flags, block = self._block
        self._block = None
        fields = self._decoder.decode(bytes(block))
        call = self._call
        if call is not None and block_stream == call.stream:
            call.headers.extend(fields)
            call.ended = call.ended or bool(first_flags & frames.END_STREAM)

    def _apply_settings(self, payload: bytes) -> None:
        for key, value in frames.parse_settings(payload):
            if key == frames.MAX_FRAME_SIZE:
                self._peer_frame = value
            elif key == frames.INITIAL_WINDOW_SIZE:
                if self._call is not None:
                    self._call.send_window += value - self._peer_initial_window
                self._peer_initial_window = value


def _answer(call: _Call) -> bytes:
    """The response message of a finished call, or :class:`CallError`."""
    if call.reset is not None and not call.ended:
        raise CallError(status.UNAVAILABLE, "the server reset the stream (error code %d)" % call.reset)
    fields: Dict[str, str] = {}
    for name, value in call.headers:
        fields[name] = value
    code_text = fields.get("grpc-status")
    if fields.get(":status", "200") != "200":
        raise CallError(status.UNKNOWN, "HTTP status %s" % fields.get(":status"))
    if code_text is None:
        raise CallError(status.UNKNOWN, "the answer carried no grpc-status")
    code = int(code_text) if code_text.isdigit() else status.UNKNOWN
    if code != status.OK:
        raise CallError(code, urllib.parse.unquote(fields.get("grpc-message", "")))
    data = bytes(call.data)
    if len(data) < 5:
        raise CallError(status.INTERNAL, "the answer carried no message")
    flag, length = _PREFIX.unpack_from(data, 0)
    if flag & 1:
        raise CallError(status.INTERNAL, "a compressed answer (we asked for none)")
    return data[5 : 5 + length]
