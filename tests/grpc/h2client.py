"""A test client that speaks HTTP/2 to the plugin server frame by frame (python-hyper's ``h2``).

``h2`` produces what the client sends (preface, SETTINGS, HPACK-encoded headers with Huffman coding and
dynamic-table indexing, DATA, WINDOW_UPDATE, PING) and checks everything the server sends against its
own state machine: more DATA than the client granted, a frame larger than the client allows or a
malformed header block raises inside ``h2`` and is kept in ``Client.h2_error`` (a fixture fails the
test on it). What the server sent is also recorded frame by frame (``Client.frames``, parsed with
``hyperframe``), so tests can look at frame sizes, flags and order, and keep reading after a GOAWAY,
where ``h2`` stops. Tests may rewrite the frames ``h2`` is about to send (split a header block,
add padding) or write raw frames that ``h2`` would never produce.

Flow control is left entirely to the test: the client never gives window back on its own.
"""

import os
import socket
import struct
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import h2.exceptions
from aiges.grpc import wire
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.settings import SettingCodes, Settings
from hpack import Decoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
Header = Tuple[str, str]

# frame types, flags and error codes written out from RFC 9113 (not taken from the code under test)
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED = 0x1, 0x1, 0x4, 0x8
NO_ERROR, PROTOCOL_ERROR, FLOW_CONTROL_ERROR, STREAM_CLOSED, FRAME_SIZE_ERROR, CANCEL = 0x0, 0x1, 0x3, 0x5, 0x6, 0x8
MAX_WINDOW = 2**31 - 1

# gRPC status codes
OK, NOT_FOUND, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL = 0, 5, 8, 12, 13


def raw_frame(kind: int, flags: int, stream: int, payload: bytes = b"", length: Optional[int] = None) -> bytes:
    """A frame as bytes, exactly as given (``length`` may lie about the payload)."""
    size = len(payload) if length is None else length
    return struct.pack(">I", size)[1:] + struct.pack(">BBI", kind, flags, stream) + payload


def grpc_message(payload: bytes, compressed: bool = False) -> bytes:
    """gRPC length-prefixed message."""
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def grpc_headers(
    path: str, extra: Sequence[Header] = (), method: str = "POST", content_type: str = "application/grpc"
) -> List[Header]:
    return [
        (":method", method),
        (":scheme", "http"),
        (":path", path),
        (":authority", "127.0.0.1"),
        ("content-type", content_type),
        ("te", "trailers"),
        *extra,
    ]


def split_messages(data: bytes) -> List[Tuple[int, bytes]]:
    """(compressed flag, payload) of each length-prefixed message in ``data``; all of it must be used."""
    out = []
    offset = 0
    while offset < len(data):
        flag, length = struct.unpack_from(">BI", data, offset)
        payload = data[offset + 5 : offset + 5 + length]
        assert len(payload) == length, "a truncated gRPC message"
        out.append((flag, payload))
        offset += 5 + length
    return out


class StreamRecord:
    """Everything the server sent on one stream."""

    def __init__(self, stream_id: int) -> None:
        self.id = stream_id
        self.blocks: List[List[Header]] = []  # each decoded header block (response headers, trailers)
        self.block_frames: List[List[Frame]] = []  # the HEADERS (+ CONTINUATION) frames of each block
        self.data = bytearray()
        self.data_frames: List[int] = []  # flow-controlled length of every DATA frame
        self.ended = False  # END_STREAM seen
        self.reset: Optional[int] = None  # RST_STREAM error code

    @property
    def received(self) -> int:
        """Flow-controlled bytes the server sent on this stream."""
        return sum(self.data_frames)

    @property
    def done(self) -> bool:
        return self.ended or self.reset is not None

    def header(self, name: str, block: int = -1) -> Optional[str]:
        for key, value in self.blocks[block] if self.blocks else ():
            if key == name:
                return value
        return None

    @property
    def grpc_status(self) -> Optional[int]:
        """grpc-status of the trailers (or of a trailers-only response)."""
        for block in reversed(self.blocks):
            for key, value in block:
                if key == "grpc-status":
                    return int(value)
        return None

    @property
    def grpc_message(self) -> Optional[str]:
        for block in reversed(self.blocks):
            for key, value in block:
                if key == "grpc-message":
                    return value
        return None

    def messages(self) -> List[bytes]:
        return [payload for _, payload in split_messages(bytes(self.data))]

    def complete_messages(self) -> List[bytes]:
        """The messages received whole so far (the last one may still be arriving)."""
        out = []
        offset = 0
        data = bytes(self.data)
        while len(data) - offset >= 5:
            _, length = struct.unpack_from(">BI", data, offset)
            if len(data) - offset - 5 < length:
                break
            out.append(data[offset + 5 : offset + 5 + length])
            offset += 5 + length
        return out


def connect(address: str, timeout: float = 10.0, receive_buffer: Optional[int] = None) -> socket.socket:
    """A connected socket to ``address``: a unix socket's path (the plugin's default, as the handshake
    names it) or "host:port". ``receive_buffer`` is set before connecting (a small window)."""
    unix = address.startswith("/")
    sock = socket.socket(socket.AF_UNIX if unix else socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(timeout)
    if unix:
        sock.connect(address)
    else:
        host, port = address.rsplit(":", 1)
        sock.connect((host, int(port)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Client:
    """One HTTP/2 connection to ``address`` ("host:port", or a unix socket's path). ``settings``: the
    client's SETTINGS from the start."""

    def __init__(
        self, address: str, settings: Optional[Dict[int, int]] = None, timeout: float = 10.0, handshake: bool = True
    ) -> None:
        self.timeout = timeout
        self.sock = connect(address, timeout)
        self.h2 = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
        if settings:
            values: Dict[Any, int] = {
                SettingCodes.MAX_CONCURRENT_STREAMS: 100,
                SettingCodes.MAX_HEADER_LIST_SIZE: H2Connection.DEFAULT_MAX_HEADER_LIST_SIZE,
            }
            values.update(settings)
            self.h2.local_settings = Settings(client=True, initial_values=values)
        self.h2_error: Optional[Exception] = None  # what h2 found wrong in the server's frames
        self.frames: List[Frame] = []  # every frame the server sent, in order
        self.sent_frames: List[Frame] = []  # every frame this client sent through send()/flush()
        self.streams: Dict[int, StreamRecord] = {}
        self.server_settings: Dict[int, int] = {}
        self.settings_frames = 0
        self.settings_acks = 0
        self.ping_acks: List[bytes] = []
        self.goaway: Optional[GoAwayFrame] = None
        self.eof = False
        self._buffer = bytearray()
        self._block: Optional[Tuple[int, List[Frame]]] = None
        self._decoder = Decoder()
        self._decoder.max_header_list_size = 1 << 24
        self._pings = 0
        self._unchecked: List[bytes] = []  # frames received before start(): h2 sees them then
        self.started = False
        if handshake:
            self.start()

    def start(self) -> None:
        """Send the preface and SETTINGS (``h2``), and wait until the server has acknowledged them."""
        self.started = True
        self.h2.initiate_connection()
        self.flush()
        for raw in self._unchecked:
            self._check(raw)
        self._unchecked = []
        self.flush()
        self.wait(lambda: self.settings_acks >= 1 and self.settings_frames >= 1, "the server's SETTINGS and ACK")

    # --- sending --------------------------------------------------------------------------------------------
    def flush(self, rewrite: Optional[Callable[[List[Frame]], Iterable[Any]]] = None) -> None:
        """Send what ``h2`` has prepared; ``rewrite`` may replace its frames (bytes pass through as they are)."""
        pending = bytes(self.h2.data_to_send())
        if pending.startswith(PREFACE):
            self.sock.sendall(PREFACE)
            pending = pending[len(PREFACE) :]
        frames = parse_frames(pending)
        out = list(rewrite(frames)) if rewrite is not None else frames
        for item in out:
            if isinstance(item, Frame):
                self.sent_frames.append(item)
        if out:
            self.sock.sendall(b"".join(item if isinstance(item, bytes) else item.serialize() for item in out))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self,
        path: str,
        body: Optional[bytes] = None,
        extra: Sequence[Header] = (),
        end: bool = True,
        method: str = "POST",
        content_type: str = "application/grpc",
        rewrite: Optional[Callable[[List[Frame]], Iterable[Any]]] = None,
        pad_length: Optional[int] = None,
        chunk: Optional[int] = None,
    ) -> int:
        """Open a stream with a gRPC request: headers, then ``body`` (already framed as gRPC messages) in DATA
        frames of at most ``chunk`` bytes, ending the stream when ``end``. Returns the stream id."""
        stream_id = self.h2.get_next_available_stream_id()
        headers = grpc_headers(path, extra, method, content_type)
        self.h2.send_headers(stream_id, headers, end_stream=end and body is None)
        self.streams[stream_id] = StreamRecord(stream_id)
        if body is not None:
            size = chunk or self.h2.max_outbound_frame_size - (pad_length + 1 if pad_length is not None else 0)
            pieces = [body[start : start + size] for start in range(0, len(body), size)] or [b""]
            for index, piece in enumerate(pieces):
                self.h2.send_data(stream_id, piece, end_stream=end and index == len(pieces) - 1, pad_length=pad_length)
        self.flush(rewrite)
        return stream_id

    def unary(self, service: str, method: str, message: Any, **options: Any) -> StreamRecord:
        """A whole unary call; returns its stream once it ended."""
        stream_id = self.request(
            wire.service(service)[method].path, grpc_message(message.SerializeToString()), **options
        )
        return self.finish(stream_id)

    def finish(self, stream_id: int, timeout: Optional[float] = None) -> StreamRecord:
        stream = self.streams[stream_id]
        self.wait(lambda: stream.done, "the end of stream %d" % stream_id, timeout)
        return stream

    def grant(self, increment: int, stream_id: Optional[int] = None) -> None:
        """WINDOW_UPDATE: let the server send ``increment`` more bytes (connection window when no stream)."""
        self.h2.increment_flow_control_window(increment, stream_id)
        self.flush()

    def reset(self, stream_id: int, code: int = CANCEL) -> None:
        self.h2.reset_stream(stream_id, code)
        self.flush()

    def update_settings(self, settings: Dict[int, int]) -> None:
        acks = self.settings_acks
        self.h2.update_settings(settings)
        self.flush()
        self.wait(lambda: self.settings_acks > acks, "the SETTINGS ACK")

    def barrier(self) -> None:
        """PING and wait for its ACK: the server has handled every frame sent before it (it reads them in
        order) and has written what those frames let it write."""
        self._pings += 1
        opaque = struct.pack(">Q", self._pings)
        self.h2.ping(opaque)
        self.flush()
        self.wait(lambda: opaque in self.ping_acks, "the PING ACK")

    # --- receiving ------------------------------------------------------------------------------------------
    def wait(self, predicate: Callable[[], bool], what: str, timeout: Optional[float] = None) -> None:
        """Read frames until ``predicate()``; fails after ``timeout`` s or when the server closes first."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not predicate():
            if self.eof:
                raise AssertionError("the server closed the connection before %s" % what)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no %s within the time limit" % what)
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            self._received(chunk)

    def read_until_closed(self, timeout: Optional[float] = None) -> None:
        """Read until the server closes the connection (fails if it does not)."""
        self.wait(lambda: self.eof, "the end of the connection", timeout)

    def _received(self, chunk: bytes) -> None:
        if not chunk:
            self.eof = True
            return
        self._buffer += chunk
        offset = 0
        while len(self._buffer) - offset >= 9:
            frame, length = Frame.parse_frame_header(memoryview(bytes(self._buffer[offset : offset + 9])))
            if len(self._buffer) - offset - 9 < length:
                break
            raw = bytes(self._buffer[offset : offset + 9 + length])
            offset += 9 + length
            frame.parse_body(memoryview(raw[9:]))
            if self.started:
                self._check(raw)
            else:
                self._unchecked.append(raw)
            self._frame(frame)
        del self._buffer[:offset]
        try:  # h2's own answers (SETTINGS ACK, PING ACK)
            self.flush()
        except OSError:
            pass

    def _check(self, raw: bytes) -> None:
        """Let h2 judge one frame from the server (h2 stops at a GOAWAY; we read on)."""
        if self.h2_error is None and self.goaway is None:
            try:
                self.h2.receive_data(raw)
            except h2.exceptions.H2Error as error:  # the server broke the protocol as h2 sees it
                self.h2_error = error

    def _frame(self, frame: Frame) -> None:
        self.frames.append(frame)
        if isinstance(frame, (HeadersFrame, ContinuationFrame)):
            if isinstance(frame, HeadersFrame):
                self._block = (frame.stream_id, [frame])
            else:
                assert self._block is not None and self._block[0] == frame.stream_id, "a stray CONTINUATION"
                self._block[1].append(frame)
            if "END_HEADERS" in frame.flags:
                assert self._block is not None
                stream_id, parts = self._block
                self._block = None
                stream = self._stream(stream_id)
                stream.blocks.append(
                    [
                        (name.decode("utf-8"), value.decode("utf-8"))
                        for name, value in self._decoder.decode(b"".join(p.data for p in parts), raw=True)
                    ]
                )
                stream.block_frames.append(parts)
                if "END_STREAM" in parts[0].flags:
                    stream.ended = True
        elif isinstance(frame, DataFrame):
            stream = self._stream(frame.stream_id)
            stream.data += frame.data
            stream.data_frames.append(frame.flow_controlled_length)
            if "END_STREAM" in frame.flags:
                stream.ended = True
        elif isinstance(frame, RstStreamFrame):
            self._stream(frame.stream_id).reset = frame.error_code
        elif isinstance(frame, SettingsFrame):
            if "ACK" in frame.flags:
                self.settings_acks += 1
            else:
                self.settings_frames += 1
                self.server_settings.update(frame.settings)
        elif isinstance(frame, PingFrame) and "ACK" in frame.flags:
            self.ping_acks.append(bytes(frame.opaque_data))
        elif isinstance(frame, GoAwayFrame):
            self.goaway = frame

    def _stream(self, stream_id: int) -> StreamRecord:
        found = self.streams.get(stream_id)
        if found is None:
            found = self.streams[stream_id] = StreamRecord(stream_id)
        return found

    @property
    def connection_received(self) -> int:
        """Flow-controlled bytes the server sent on the whole connection."""
        return sum(frame.flow_controlled_length for frame in self.frames if isinstance(frame, DataFrame))

    def window_updates(self, stream_id: int = 0) -> List[int]:
        return [
            frame.window_increment
            for frame in self.frames
            if isinstance(frame, WindowUpdateFrame) and frame.stream_id == stream_id
        ]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def parse_frames(data: bytes) -> List[Frame]:
    """Complete frames in ``data`` (what ``h2`` prepared to send)."""
    frames = []
    offset = 0
    while offset < len(data):
        frame, length = Frame.parse_frame_header(memoryview(data[offset : offset + 9]))
        frame.parse_body(memoryview(data[offset + 9 : offset + 9 + length]))
        frames.append(frame)
        offset += 9 + length
    return frames


def split_header_block(frames: List[Frame], pieces: int) -> List[Any]:
    """Rewrite: every HEADERS frame's block goes out as HEADERS + CONTINUATION frames (``pieces`` in all)."""
    out: List[Any] = []
    for frame in frames:
        if not isinstance(frame, HeadersFrame) or "END_HEADERS" not in frame.flags:
            out.append(frame)
            continue
        block = frame.data
        size = max(1, -(-len(block) // pieces))
        parts = [block[start : start + size] for start in range(0, len(block), size)]
        flags = END_STREAM if "END_STREAM" in frame.flags else 0
        out.append(raw_frame(HEADERS, flags, frame.stream_id, parts[0]))
        for index, part in enumerate(parts[1:], 1):
            out.append(raw_frame(CONTINUATION, END_HEADERS if index == len(parts) - 1 else 0, frame.stream_id, part))
    return out


def pad_headers(frames: List[Frame], pad_length: int) -> List[Any]:
    """Rewrite: every HEADERS frame carries ``pad_length`` bytes of padding (non-zero, as a sloppy peer might)."""
    out: List[Any] = []
    for frame in frames:
        if isinstance(frame, HeadersFrame):
            payload = bytes([pad_length]) + frame.data + os.urandom(pad_length)
            flags = sum(
                bit for name, bit in (("END_STREAM", END_STREAM), ("END_HEADERS", END_HEADERS)) if name in frame.flags
            )
            out.append(raw_frame(HEADERS, flags | PADDED, frame.stream_id, payload))
        else:
            out.append(frame)
    return out
