"""The server side of one HTTP/2 connection as a state machine: bytes in, events and bytes out (sans-IO).

``ServerProtocol`` holds everything RFC 9113 asks of a connection (frames, HPACK, stream states, flow
control, SETTINGS, PING, GOAWAY, RST_STREAM) and the hardening limits, and nothing else: no socket, no
thread, no lock, no clock but the one it is given. The caller (``connection.py``) feeds it what the peer
sent (:meth:`~ServerProtocol.feed`), takes events one at a time (:meth:`~ServerProtocol.next_event`) or
all at once (:meth:`~ServerProtocol.receive`), asks it to send (:meth:`~ServerProtocol.send` and friends),
and writes :meth:`~ServerProtocol.data_to_send` to the peer. It is not thread-safe: one lock around it.

Events come one at a time on purpose: a frame after a request is not parsed before the request's event
has been handled, so what the handler sends in answer leaves before the answer to a later PING (the
order a peer sees is the order it sent), and the I/O layer may hand the rest of the input to another
thread between two events.

Our receive windows are as large as HTTP/2 allows and are replenished in big steps: the gRPC layer
bounds what it buffers by the maximum message size, so per-stream windows would only add round trips.
What we send respects the peer's windows and frame size exactly: data that does not fit waits in its
stream's queue and leaves when the peer's WINDOW_UPDATE (or SETTINGS) arrives.

The peer is not trusted: every frame costs O(1) work, header blocks, streams, queued bytes and frames that
make no progress are capped, and each violation is answered with the RFC 9113 code: GOAWAY for the
connection (then the :class:`ConnectionTerminated` event, and nothing more is read) or RST_STREAM for a
stream (docs: "Hardening" in explanation/grpc-transport.md). Nothing the peer sends makes it raise.
"""

import collections
import logging
import time
from itertools import chain
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple, Union

from aiges.grpc.h2 import frames, hpack

log = logging.getLogger("aiges.serve")

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
# What each DATA frame we send gives back: grpc-go answers a DATA frame it reads on its own with a WINDOW_UPDATE
# and a BDP PING, so results that leave one at a time (worker processes, callback threads) draw two frames each.
TOKENS_PER_DATA_FRAME = 2

_HEADERS, _DATA = 0, 1
Block = Union[bytes, Sequence[Tuple[str, str]]]  # an HPACK-encoded header block, or the fields to encode
Body = Union[bytes, memoryview, List[Any]]  # DATA bytes, or pieces of them (bytes-like) to send in order


class Stream:
    """One request stream: its state, its send window and queue, and what the caller keeps on it (``call``)."""

    __slots__ = (
        "call",
        "headers_sent",
        "id",
        "local_closed",
        "queue",
        "received",
        "remote_closed",
        "reset",
        "send_window",
    )

    def __init__(self, stream_id: int, send_window: int) -> None:
        self.id = stream_id
        self.send_window = send_window
        # [kind, payload, end_stream, unsent]: ``unsent`` is handed back if the stream ends before the item left
        self.queue: Deque[List[Any]] = collections.deque()
        self.headers_sent = False
        self.received = 0  # data bytes not yet given back with WINDOW_UPDATE
        self.remote_closed = False  # the peer sent END_STREAM
        self.local_closed = False  # we did
        self.reset = False  # ended abnormally (RST_STREAM either way, or the connection's end)
        self.call: Any = None  # the caller's object for this stream

    def __repr__(self) -> str:
        return "Stream(%d%s%s%s, window %d, %d queued)" % (
            self.id,
            ", remote closed" if self.remote_closed else "",
            ", local closed" if self.local_closed else "",
            ", reset" if self.reset else "",
            self.send_window,
            len(self.queue),
        )


# --- events ------------------------------------------------------------------------------------------------
class Event:
    """Something the peer did that the caller must act on."""

    __slots__: Tuple[str, ...] = ()

    def __repr__(self) -> str:
        return "%s(%s)" % (
            type(self).__name__,
            ", ".join("%s=%r" % (name, getattr(self, name)) for name in self.__slots__),
        )


class RequestReceived(Event):
    """A new stream's request headers (decoded); ``end_stream``: the request has no body."""

    __slots__ = ("end_stream", "headers", "stream")

    def __init__(self, stream: Stream, headers: List[Tuple[str, str]], end_stream: bool) -> None:
        self.stream, self.headers, self.end_stream = stream, headers, end_stream

    @property
    def stream_id(self) -> int:
        return self.stream.id


class DataReceived(Event):
    """Request body bytes (padding removed); ``end_stream``: the last of them. Trailers from the client
    arrive as an empty DataReceived with ``end_stream`` (only the end of its stream matters to gRPC)."""

    __slots__ = ("data", "end_stream", "stream")

    def __init__(self, stream: Stream, data: bytes, end_stream: bool) -> None:
        self.stream, self.data, self.end_stream = stream, data, end_stream

    @property
    def stream_id(self) -> int:
        return self.stream.id


class StreamReset(Event):
    """A stream ended abnormally: the peer reset it (``remote``), or we did for a flow-control error.
    ``unsent``: the tokens given with data that had not wholly left, in order."""

    __slots__ = ("code", "remote", "stream", "unsent")

    def __init__(self, stream: Stream, code: int, remote: bool, unsent: List[Any]) -> None:
        self.stream, self.code, self.remote, self.unsent = stream, code, remote, unsent

    @property
    def stream_id(self) -> int:
        return self.stream.id


class WindowUpdated(Event):
    """The peer granted send window (stream 0: the connection's); queued data that now fits is in
    :meth:`ServerProtocol.data_to_send` already."""

    __slots__ = ("delta", "stream_id")

    def __init__(self, stream_id: int, delta: int) -> None:
        self.stream_id, self.delta = stream_id, delta


class GoAwayReceived(Event):
    """The peer will open no more streams; the open ones go on."""

    __slots__ = ("additional_data", "error_code", "last_stream_id")

    def __init__(self, error_code: int, last_stream_id: int, additional_data: bytes) -> None:
        self.error_code, self.last_stream_id, self.additional_data = error_code, last_stream_id, additional_data


class ConnectionTerminated(Event):
    """The peer broke the protocol: our GOAWAY(``error_code``) is the last of :meth:`data_to_send`, the
    input is no longer read, and the caller should end the connection (every open stream with it)."""

    __slots__ = ("error_code", "message")

    def __init__(self, error_code: int, message: str) -> None:
        self.error_code, self.message = error_code, message


class ServerProtocol:
    """See the module docstring. ``clock``: seconds, monotonic (the flood limit's token bucket)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.streams: Dict[int, Stream] = {}
        self._blocked: Dict[int, Stream] = {}  # streams waiting for connection window (insertion order)
        self.send_window = frames.DEFAULT_WINDOW  # the connection's, as the peer granted it
        self.peer_initial_window = frames.DEFAULT_WINDOW
        self.peer_max_frame = frames.DEFAULT_MAX_FRAME
        self._received = 0  # connection data bytes not yet given back with WINDOW_UPDATE
        self.last_stream = 0  # the highest stream we processed (what a GOAWAY reports)
        self.highest_stream = 0  # the highest stream the peer opened, refused ones included: lower ids are not idle
        self.queued = 0  # DATA bytes in the streams' queues (waiting for the peer's windows)
        self._tokens = float(FLOOD_BURST)
        self._tokens_at = clock()
        self.going_away = False  # the peer sent GOAWAY
        self.goaway_sent = False  # we did: new streams are refused
        self.terminated = False  # we ended the connection for a protocol error: input is dropped
        self.closed = False
        self._decoder = hpack.Decoder()
        # a header block still arriving: [stream, flags of its HEADERS, fragments, octets so far, CONTINUATIONs]
        self._continuing: Optional[List[Any]] = None
        self._buffer = bytearray()
        self._offset = 0  # where the next frame starts in _buffer (consumed bytes are dropped at the next feed)
        self._preface_left = len(frames.PREFACE)
        self._out: List[Any] = []  # bytes (and memoryviews of queued data) for the peer, in order

    # --- input ------------------------------------------------------------------------------------------
    def initiate(self) -> None:
        """Our connection preface: SETTINGS (our limits) and the connection window opened all the way."""
        self._out.append(
            frames.settings(
                [
                    (frames.INITIAL_WINDOW_SIZE, RECEIVE_WINDOW),
                    (frames.ENABLE_PUSH, 0),
                    (frames.MAX_CONCURRENT_STREAMS, MAX_STREAMS),
                    (frames.MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST),
                ]
            )
            + frames.window_update(0, RECEIVE_WINDOW - frames.DEFAULT_WINDOW)
        )

    def feed(self, data: bytes) -> None:
        """Bytes from the peer, to be parsed by :meth:`next_event` (dropped once the connection is done)."""
        if self.terminated or self.closed:
            return
        buffer = self._buffer
        if self._offset:
            del buffer[: self._offset]
            self._offset = 0
        buffer += data

    def receive(self, data: bytes) -> List[Event]:
        """:meth:`feed`, then every event the input makes (python-hyper's ``receive_data``)."""
        self.feed(data)
        events: List[Event] = []
        while True:
            event = self.next_event()
            if event is None:
                return events
            events.append(event)

    def next_event(self) -> Optional[Event]:
        """Parse frames until one makes an event; None when the input fed so far is used up."""
        if self.terminated or self.closed:
            return None
        try:
            return self._next_event()
        except frames.ConnectionError_ as error:
            return self._terminate(error.code, str(error))
        except hpack.HpackError as error:
            return self._terminate(frames.COMPRESSION_ERROR, "bad header compression: %s" % error)

    @property
    def buffered(self) -> int:
        """Input bytes held: unparsed input and a header block still arriving."""
        held = len(self._buffer) - self._offset
        if self._continuing is not None:
            held += self._continuing[3]
        return held

    def _terminate(self, code: int, message: str) -> ConnectionTerminated:
        self.terminated = True
        self._buffer = bytearray()
        self._offset = 0
        self._continuing = None
        debug = message.encode("utf-8", "replace") if code != frames.COMPRESSION_ERROR else b""
        self._out.append(frames.goaway(self.last_stream, code, debug))
        return ConnectionTerminated(code, message)

    def _next_event(self) -> Optional[Event]:
        buffer = self._buffer
        if self._preface_left:
            seen = bytes(buffer[: self._preface_left])
            if seen != frames.PREFACE[: len(seen)]:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "not an HTTP/2 client (bad preface)")
            if len(buffer) < self._preface_left:
                return None
            self._offset = self._preface_left
            self._preface_left = 0
        available = len(buffer)
        offset = self._offset
        view = memoryview(buffer)  # payloads copied once (a bytearray slice would copy twice); released below
        try:
            while available - offset >= frames.HEADER_SIZE:
                length, kind, flags, stream_id = frames.parse_header(buffer, offset)
                if length > OUR_MAX_FRAME:
                    raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "frame of %d bytes" % length)
                end = offset + frames.HEADER_SIZE + length
                if end > available:
                    break
                payload = view[offset + frames.HEADER_SIZE : end].tobytes()
                self._offset = offset = end
                event = self._frame(kind, flags, stream_id, payload)
                if event is not None:
                    return event
            return None
        finally:
            view.release()  # before feed() grows the buffer

    def _frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> Optional[Event]:
        if self._continuing is not None and kind != frames.CONTINUATION:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "expected CONTINUATION")
        if kind == frames.DATA:
            return self._on_data(flags, stream_id, payload)
        if kind == frames.HEADERS:
            return self._on_headers(flags, stream_id, payload)
        if kind == frames.CONTINUATION:
            return self._on_continuation(flags, stream_id, payload)
        if kind == frames.WINDOW_UPDATE:
            return self._on_window_update(stream_id, payload)
        if kind == frames.PING:
            if stream_id:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "PING on a stream")
            if len(payload) != 8:
                raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "PING of %d bytes" % len(payload))
            if not flags & frames.ACK:
                self._spend("PING")
                self._out.append(frames.ping_ack(payload))
            return None
        if kind == frames.SETTINGS:
            self._on_settings(flags, stream_id, payload)
            return None
        if kind == frames.RST_STREAM:
            if len(payload) != 4 or not stream_id:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "bad RST_STREAM")
            self._spend("RST_STREAM")  # also bounds "rapid reset" (CVE-2023-44487): open, reset, repeat
            return self._on_reset(stream_id, frames.parse_u32(payload))
        if kind == frames.GOAWAY:
            if stream_id:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "GOAWAY on a stream")
            if len(payload) < 8:
                raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "GOAWAY of %d bytes" % len(payload))
            self.going_away = True
            return GoAwayReceived(frames.parse_u32(payload[4:8]), frames.parse_u32(payload), payload[8:])
        if kind == frames.PUSH_PROMISE:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "a client must not push")
        self._spend("PRIORITY or unknown")  # ignored (RFC 9113 5.5), but not for free
        return None

    def _spend(self, what: str) -> None:
        """Take one token for a frame that makes no progress; a peer that keeps sending them faster than
        FLOOD_RATE per second (after a burst of FLOOD_BURST) is flooding us: ENHANCE_YOUR_CALM (RFC 9113 7)."""
        now = self._clock()
        tokens = min(float(FLOOD_BURST), self._tokens + (now - self._tokens_at) * FLOOD_RATE)
        self._tokens_at = now
        if tokens < 1.0:
            raise frames.ConnectionError_(
                frames.ENHANCE_YOUR_CALM,
                "flood of frames that make no progress (%s): "
                "over %d at %d per second" % (what, FLOOD_BURST, FLOOD_RATE),
            )
        self._tokens = tokens - 1.0

    def _on_data(self, flags: int, stream_id: int, payload: bytes) -> Optional[Event]:
        if not stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "DATA on stream 0")
        self._received += len(payload)
        if self._received >= REPLENISH_AT:
            self._out.append(frames.window_update(0, self._received))
            self._received = 0
        if not payload and not flags & frames.END_STREAM:
            self._spend("empty DATA")
        stream = self.streams.get(stream_id)
        if stream is None or stream.remote_closed:
            if stream_id > self.highest_stream:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "DATA on idle stream %d" % stream_id)
            return None  # a stream we already finished, reset or refused: the data is dropped (RFC 9113 5.1)
        data = payload if not flags & frames.PADDED else bytes(frames.strip_padding(memoryview(payload), flags))
        stream.received += len(payload)
        if stream.received >= REPLENISH_AT:
            self._out.append(frames.window_update(stream_id, stream.received))
            stream.received = 0
        end = bool(flags & frames.END_STREAM)
        if end:
            stream.remote_closed = True
        return DataReceived(stream, data, end)

    def _on_headers(self, flags: int, stream_id: int, payload: bytes) -> Optional[Event]:
        if not stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "HEADERS on stream 0")
        view = frames.strip_padding(memoryview(payload), flags)
        if flags & frames.PRIORITY_FLAG:
            if len(view) < 5:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "HEADERS too short for its priority")
            view = view[5:]
        if flags & frames.END_HEADERS:
            return self._header_block(stream_id, flags, bytes(view))
        self._continuing = [stream_id, flags, [bytes(view)], len(view), 0]
        return None

    def _on_continuation(self, flags: int, stream_id: int, payload: bytes) -> Optional[Event]:
        """One more fragment of a header block. A block must be decoded whole (HPACK state), so the
        only answer to an endless one is ending the connection: both caps are connection errors,
        ENHANCE_YOUR_CALM as RFC 9113 7 names it for excessive load (a CONTINUATION flood, CVE-2024-27316)."""
        continuing = self._continuing
        if continuing is None or continuing[0] != stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "unexpected CONTINUATION")
        continuing[4] += 1
        if continuing[4] > MAX_CONTINUATIONS:
            raise frames.ConnectionError_(
                frames.ENHANCE_YOUR_CALM, "header block in more than %d CONTINUATION frames" % MAX_CONTINUATIONS
            )
        continuing[3] += len(payload)
        if continuing[3] > MAX_HEADER_BLOCK:
            raise frames.ConnectionError_(frames.ENHANCE_YOUR_CALM, "header block over %d bytes" % MAX_HEADER_BLOCK)
        continuing[2].append(payload)
        if not flags & frames.END_HEADERS:
            return None
        self._continuing = None
        return self._header_block(stream_id, continuing[1], b"".join(continuing[2]))

    def _header_block(self, stream_id: int, flags: int, block: bytes) -> Optional[Event]:
        headers = self._decoder.decode(block)  # always: the decoder's table must see every block
        end = bool(flags & frames.END_STREAM)
        stream = self.streams.get(stream_id)
        if stream is not None:  # trailers from the client: only the end of its stream matters
            if stream.remote_closed:  # its stream had ended already: a stream error (RFC 9113 5.1)
                unsent = self.reset_stream(stream, frames.STREAM_CLOSED) or []
                return StreamReset(stream, frames.STREAM_CLOSED, False, unsent)
            if not end:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "trailers without END_STREAM")
            stream.remote_closed = True
            return DataReceived(stream, b"", True)
        if not stream_id % 2:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "client stream id %d is even" % stream_id)
        if stream_id <= self.highest_stream:  # a stream that is already closed: the request gets an answer
            self._spend("HEADERS on a closed stream")
            self._out.append(frames.rst_stream(stream_id, frames.STREAM_CLOSED))
            return None
        self.highest_stream = stream_id  # from now on the stream is closed or open, never idle (RFC 9113 5.1.1)
        if self.goaway_sent or len(self.streams) >= MAX_STREAMS or self.queued > MAX_QUEUED:
            self._spend("refused stream")  # not processed: the client may retry it
            self._out.append(frames.rst_stream(stream_id, frames.REFUSED_STREAM))
            return None
        self.last_stream = stream_id
        size = sum(map(len, chain.from_iterable(headers))) + 32 * len(headers)  # RFC 9113 6.5.2 (C loops only)
        if size > MAX_HEADER_LIST:
            self._too_large(stream_id, size, end)
            return None
        stream = Stream(stream_id, self.peer_initial_window)
        stream.remote_closed = end
        self.streams[stream_id] = stream
        return RequestReceived(stream, headers, end)

    def _too_large(self, stream_id: int, size: int, end: bool) -> None:
        """A request whose header list is over the SETTINGS_MAX_HEADER_LIST_SIZE we advertised. RFC 9113
        10.5.1 lets a server answer it with HTTP 431, after decoding the block (done: the HPACK state stays
        in step), so only this stream fails: gRPC's RESOURCE_EXHAUSTED in a Trailers-Only response (this
        server speaks only gRPC; the connection, which the loader has only one of, goes on)."""
        log.warning("refused a request whose header list is %d bytes (limit %d)", size, MAX_HEADER_LIST)
        message = "header list of %d bytes over the limit of %d" % (size, MAX_HEADER_LIST)
        block = hpack.encode(
            [(":status", "431"), ("content-type", "application/grpc"), ("grpc-status", "8"), ("grpc-message", message)]
        )
        self._out.append(frames.headers(stream_id, block, True, self.peer_max_frame))
        if not end:  # we answered before the client finished sending: tell it to stop (RFC 9113 8.1)
            self._out.append(frames.rst_stream(stream_id, frames.NO_ERROR))

    def _on_settings(self, flags: int, stream_id: int, payload: bytes) -> None:
        if stream_id:
            raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "SETTINGS on a stream")
        if flags & frames.ACK:
            if payload:
                raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload")
            return
        self._spend("SETTINGS")
        initial = None
        for key, value in frames.parse_settings(payload):
            if key == frames.INITIAL_WINDOW_SIZE:
                if value > frames.MAX_WINDOW:
                    raise frames.ConnectionError_(frames.FLOW_CONTROL_ERROR, "initial window %d" % value)
                initial = value  # only the last value counts (RFC 9113 6.5.3): streams are adjusted once
            elif key == frames.MAX_FRAME_SIZE:
                if not frames.DEFAULT_MAX_FRAME <= value <= 2**24 - 1:
                    raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "max frame size %d" % value)
                self.peer_max_frame = value
        self._out.append(frames.SETTINGS_ACK)
        if initial is not None and initial != self.peer_initial_window:
            delta = initial - self.peer_initial_window
            self.peer_initial_window = initial
            for stream in self.streams.values():
                stream.send_window += delta
            if delta > 0:
                for stream in list(self.streams.values()):
                    self._drain(stream)

    def _on_window_update(self, stream_id: int, payload: bytes) -> Optional[Event]:
        if len(payload) != 4:
            raise frames.ConnectionError_(frames.FRAME_SIZE_ERROR, "WINDOW_UPDATE of %d bytes" % len(payload))
        increment = frames.parse_u32(payload)
        self._spend("WINDOW_UPDATE")  # each DATA frame we send gives tokens back: the updates it causes are free
        if not stream_id:
            if not increment:
                raise frames.ConnectionError_(frames.PROTOCOL_ERROR, "WINDOW_UPDATE of 0")
            self.send_window += increment
            if self.send_window > frames.MAX_WINDOW:
                raise frames.ConnectionError_(frames.FLOW_CONTROL_ERROR, "connection window overflow")
            waiting, self._blocked = list(self._blocked.values()), {}
            for blocked in waiting:
                self._drain(blocked)
            return WindowUpdated(0, increment)
        stream = self.streams.get(stream_id)
        if stream is None:
            return None
        if not increment or stream.send_window + increment > frames.MAX_WINDOW:
            code = frames.PROTOCOL_ERROR if not increment else frames.FLOW_CONTROL_ERROR
            unsent = self.reset_stream(stream, code)
            return None if unsent is None else StreamReset(stream, code, False, unsent)
        stream.send_window += increment
        self._drain(stream)
        return WindowUpdated(stream_id, increment)

    def _on_reset(self, stream_id: int, code: int) -> Optional[Event]:
        stream = self.streams.pop(stream_id, None)
        if stream is None:
            return None
        self._blocked.pop(stream_id, None)
        stream.reset = True
        return StreamReset(stream, code, True, self._take_unsent(stream))

    # --- output -----------------------------------------------------------------------------------------
    def data_to_send(self) -> bytes:
        """What to write to the peer now, in order (and forget)."""
        out = self._out
        if not out:
            return b""
        data = b"".join(out) if len(out) > 1 else bytes(out[0])
        out.clear()
        return data

    def pieces_to_send(self) -> List[Any]:
        """:meth:`data_to_send` as the pieces it is made of (bytes, and views of queued data), not joined:
        a writer that gathers them (``sendmsg``) copies a large body once less."""
        out = self._out
        if not out:
            return []
        self._out = []
        return out

    def send(
        self,
        stream: Stream,
        headers: Optional[Block],
        data: Optional[Body],
        trailers: Optional[Block],
        trailers_only: Optional[Block] = None,
        unsent: Any = None,
    ) -> bool:
        """Queue, in order, and move to :meth:`data_to_send` what the peer's windows allow now:
        ``headers`` (only if the stream has sent none yet), ``data``, ``trailers`` (they end the stream;
        ``trailers_only`` replaces them when the stream has sent nothing at all). All optional; header
        blocks HPACK-encoded or as fields; ``data`` bytes-like, or a list of pieces of one body (never
        joined: a large message needs no copy made to add its gRPC prefix). False when the stream is
        gone. ``unsent``, when not None, comes back (:class:`StreamReset`, :meth:`reset_stream`,
        :meth:`close`) if the stream ends before ``data`` has wholly left."""
        if stream.reset or stream.local_closed or self.closed or self.terminated:
            return False
        queue = stream.queue
        if not stream.headers_sent:
            if data is None and trailers_only is not None:
                trailers = trailers_only
            elif headers is not None:
                queue.append([_HEADERS, _block(headers), False, None])
            stream.headers_sent = True
        if data is not None:
            if isinstance(data, list):  # pieces of one body, sent in order without joining them
                for piece in data[:-1]:
                    queue.append([_DATA, piece, False, None])
                    self.queued += len(piece)
                data = data[-1]
            queue.append([_DATA, data, False, unsent])
            self.queued += len(data)
        if trailers is not None:
            queue.append([_HEADERS, _block(trailers), True, None])
        self._drain(stream)
        return True

    def send_headers(self, stream: Stream, headers: Block, end_stream: bool = False) -> bool:
        """The response headers (once; ``end_stream``: a Trailers-Only response)."""
        if end_stream:
            return self.send(stream, None, None, headers, trailers_only=headers)
        return self.send(stream, headers, None, None)

    def send_data(self, stream: Stream, data: bytes, unsent: Any = None) -> bool:
        """Body bytes: sent as far as the windows allow, the rest queued until the peer grants more."""
        return self.send(stream, None, data, None, unsent=unsent)

    def send_trailers(self, stream: Stream, trailers: Block) -> bool:
        """The trailers: they end our side of the stream."""
        return self.send(stream, None, None, trailers)

    def unsent_bytes(self, stream: Stream) -> int:
        """DATA bytes of ``stream`` still waiting for the peer's windows."""
        return sum(len(item[1]) for item in stream.queue if item[0] == _DATA)

    def reset_stream(self, stream: Stream, code: int) -> Optional[List[Any]]:
        """End ``stream`` abnormally from our side (RST_STREAM); the ``unsent`` tokens of its data that
        had not wholly left (None when it had already ended)."""
        if stream.reset or self.terminated or self.streams.pop(stream.id, None) is None:
            return None  # (after our GOAWAY for a protocol error nothing is sent: close() ends the streams)
        stream.reset = True
        self._blocked.pop(stream.id, None)
        self._out.append(frames.rst_stream(stream.id, code))
        return self._take_unsent(stream)

    def goaway(self, debug: bytes = b"") -> bool:
        """Refuse new streams from now on (the open ones go on): GOAWAY(NO_ERROR), once. False when
        it had been sent already (or the connection is over)."""
        if self.goaway_sent or self.closed or self.terminated:
            return False
        self.goaway_sent = True
        self._out.append(frames.goaway(self.last_stream, frames.NO_ERROR, debug))
        return True

    def close(self) -> List[Tuple[Stream, List[Any]]]:
        """The connection is gone: every stream still open, with the ``unsent`` tokens of its data."""
        if self.closed:
            return []
        self.closed = True
        streams = list(self.streams.values())
        self.streams.clear()
        self._blocked.clear()
        ended = []
        for stream in streams:
            stream.reset = True
            ended.append((stream, self._take_unsent(stream)))
        return ended

    @property
    def open_streams(self) -> int:
        return len(self.streams)

    def _drain(self, stream: Stream) -> None:
        """Move what the windows allow from ``stream.queue`` to the output."""
        out = self._out
        queue = stream.queue
        while queue:
            item = queue[0]
            if item[0] == _HEADERS:
                out.append(frames.headers(stream.id, item[1], item[2], self.peer_max_frame))
                queue.popleft()
                if item[2]:
                    self._finished_locally(stream)
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
                    self._blocked[stream.id] = stream
                return
            size = self.peer_max_frame
            sent = 0
            total = len(payload)
            view = memoryview(payload)
            sent_frames = 0
            while sent < total and allowed > 0:
                chunk = min(size, allowed, total - sent)
                out.append(frames.header(chunk, frames.DATA, 0, stream.id))
                out.append(view[sent : sent + chunk])
                sent += chunk
                allowed -= chunk
                sent_frames += 1
            self.send_window -= sent
            stream.send_window -= sent
            self.queued -= sent
            # the peer may answer each with a WINDOW_UPDATE and a PING (grpc-go's BDP estimator: see _spend)
            self._tokens += TOKENS_PER_DATA_FRAME * sent_frames
            if sent < total:
                item[1] = view[sent:]
                if self.send_window <= 0:
                    self._blocked[stream.id] = stream
                return
            queue.popleft()

    def _finished_locally(self, stream: Stream) -> None:
        stream.local_closed = True
        self.streams.pop(stream.id, None)
        if not stream.remote_closed:  # we answered before the client finished sending: tell it to stop (8.1)
            stream.reset = True
            self._out.append(frames.rst_stream(stream.id, frames.NO_ERROR))

    def _take_unsent(self, stream: Stream) -> List[Any]:
        """Empty the stream's queue: the ``unsent`` tokens of data that had not wholly left."""
        unsent = [item[3] for item in stream.queue if item[0] == _DATA and item[3] is not None]
        self.queued -= sum(len(item[1]) for item in stream.queue if item[0] == _DATA)
        stream.queue.clear()
        return unsent


def _block(headers: Block) -> bytes:
    return headers if isinstance(headers, (bytes, bytearray)) else hpack.encode(headers)
