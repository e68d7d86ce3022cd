"""The HTTP/2 protocol object (``aiges.grpc.h2.protocol.ServerProtocol``) on its own: bytes in, events and
bytes out, no socket, no thread, and a clock the test moves.

Two kinds of peers drive it. python-hyper's ``h2`` as a client, wired to it in memory (``Pair``), is the
oracle for what it sends: more DATA than the client granted, a frame over the client's limit or a
malformed header block raises inside ``h2``. Raw frames (``raw_frame``) play the hostile peer: the attacks
of ``test_h2_attacks.py`` replayed at the protocol level, where the flood limit's clock is the test's,
so "a burst, then a rate" is checked exactly instead of by CPU time. Hypothesis adds random byte
streams, random frame sequences and random split points, and checks the invariants after every step:
nothing but the protocol's own events comes out (it never raises), every answer is well-formed, a
violation ends with GOAWAY as the last frame, buffered input stays within the limits, and no more DATA
leaves than the peer's windows allow. The socket-level tests (``test_h2_attacks.py``,
``test_h2_fuzz.py``) stay: they test the I/O layer's limits.
"""

import os
import struct
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest
from aiges.grpc.h2 import protocol
from aiges.grpc.h2.protocol import (
    ConnectionTerminated,
    DataReceived,
    Event,
    GoAwayReceived,
    RequestReceived,
    ServerProtocol,
    StreamReset,
    WindowUpdated,
)
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import DataReceived as ClientDataReceived
from h2.events import ResponseReceived, StreamEnded, TrailersReceived
from h2.settings import SettingCodes
from h2client import (
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    FLOW_CONTROL_ERROR,
    FRAME_SIZE_ERROR,
    GOAWAY,
    HEADERS,
    MAX_WINDOW,
    NO_ERROR,
    PADDED,
    PING,
    PREFACE,
    PRIORITY,
    PROTOCOL_ERROR,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    STREAM_CLOSED,
    WINDOW_UPDATE,
    grpc_headers,
    grpc_message,
    raw_frame,
)
from hpack import Encoder
from hypothesis import given, settings
from hypothesis import strategies as st

# RFC 9113 7, written out (not taken from the code under test)
CANCEL, REFUSED_STREAM, COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x8, 0x7, 0x9, 0xB
DEFAULT_WINDOW, HEADER_SIZE, MAX_FRAME = 65535, 9, 16384
CHECK = "/grpc.health.v1.Health/Check"
EXAMPLES = int(os.environ.get("AIGES_FUZZ_EXAMPLES", "300"))


class Clock:
    """The protocol's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _block() -> bytes:
    """A Check request's header block that leaves the HPACK table alone: every copy decodes the same."""
    encoder = Encoder()
    encoder.header_table_size = 0
    return b"\x20" + encoder.encode(grpc_headers(CHECK)).lstrip(b"\x20")


BLOCK = _block()
MESSAGE = grpc_message(b"\x0a\x06plugin")
HELLO = PREFACE + raw_frame(SETTINGS, 0, 0)


def frames_of(data: bytes) -> List[Tuple[int, int, int, bytes]]:
    """(type, flags, stream, payload) of each frame in ``data``, which must hold whole frames only."""
    out, offset = [], 0
    while offset < len(data):
        assert len(data) - offset >= HEADER_SIZE, "a cut frame header: %r" % data[offset:]
        length = int.from_bytes(data[offset : offset + 3], "big")
        kind, flags, stream = data[offset + 3], data[offset + 4], struct.unpack_from(">I", data, offset + 5)[0]
        payload = data[offset + HEADER_SIZE : offset + HEADER_SIZE + length]
        assert len(payload) == length, "a cut frame"
        out.append((kind, flags, stream, payload))
        offset += HEADER_SIZE + length
    return out


def u32(payload: bytes, offset: int = 0) -> int:
    return struct.unpack_from(">I", payload, offset)[0]


class Raw:
    """The hostile peer: raw frames in, every event and output frame recorded."""

    def __init__(self, hello: bytes = HELLO) -> None:
        self.clock = Clock()
        self.server = ServerProtocol(self.clock)
        self.server.initiate()
        self.out: List[Tuple[int, int, int, bytes]] = []
        self.events: List[Event] = []
        self.collect()
        if hello:
            self.send(hello)

    def collect(self) -> List[Tuple[int, int, int, bytes]]:
        new = frames_of(self.server.data_to_send())
        self.out += new
        return new

    def send(self, data: bytes) -> List[Event]:
        events = self.server.receive(data)
        self.events += events
        self.collect()
        return events

    def request(self, stream_id: int, end: bool = True) -> List[Event]:
        return self.send(
            raw_frame(HEADERS, END_HEADERS, stream_id, BLOCK)
            + (raw_frame(DATA, END_STREAM, stream_id, MESSAGE) if end else b"")
        )

    def sent(self, kind: int, stream: Optional[int] = None) -> List[Tuple[int, int, int, bytes]]:
        return [f for f in self.out if f[0] == kind and (stream is None or f[2] == stream)]

    def terminated(self) -> ConnectionTerminated:
        """The connection ended: a ConnectionTerminated event, our GOAWAY as the last frame, with its code."""
        ends = [event for event in self.events if isinstance(event, ConnectionTerminated)]
        assert len(ends) == 1, "events: %s" % self.events[-5:]
        assert self.out[-1][0] == GOAWAY, "frames after GOAWAY: %s" % self.out[-3:]
        assert u32(self.out[-1][3], 4) == ends[0].error_code
        return ends[0]


class Pair:
    """python-hyper's h2 as a client, wired in memory to a ServerProtocol: the oracle for what we send."""

    def __init__(self, client_settings: Optional[Dict[int, int]] = None) -> None:
        self.clock = Clock()
        self.server = ServerProtocol(self.clock)
        self.client = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
        self.client.initiate_connection()
        if client_settings:
            self.client.update_settings(client_settings)
        self.server.initiate()
        self.events: List[Event] = []
        self.client_events: List[Any] = []
        self.wire: List[Tuple[int, int, int, bytes]] = []  # frames the server sent
        self.pump()

    def pump(self) -> None:
        """Carry bytes both ways until both sides are quiet."""
        while True:
            out = self.client.data_to_send()
            if out:
                self.events += self.server.receive(out)
            back = self.server.data_to_send()
            if back:
                self.wire += frames_of(back)
                self.client_events += self.client.receive_data(back)  # raises if we broke the protocol
            if not out and not back:
                return

    def request(self, extra: Tuple[Tuple[str, str], ...] = (), body: Optional[bytes] = MESSAGE) -> int:
        stream_id = self.client.get_next_available_stream_id()
        self.client.send_headers(stream_id, grpc_headers(CHECK, extra), end_stream=body is None)
        if body is not None:
            self.client.send_data(stream_id, body, end_stream=True)
        self.pump()
        return stream_id

    def received(self, stream_id: int) -> Tuple[List[Tuple[str, str]], bytes, List[Tuple[str, str]], bool]:
        """What the client got on a stream: response headers, data, trailers, ended."""
        headers: List[Tuple[str, str]] = []
        trailers: List[Tuple[str, str]] = []
        data, ended = b"", False
        for event in self.client_events:
            if getattr(event, "stream_id", None) != stream_id:
                continue
            if isinstance(event, ResponseReceived):
                headers = list(event.headers)
            elif isinstance(event, ClientDataReceived):
                data += event.data
            elif isinstance(event, TrailersReceived):
                trailers = list(event.headers)
            elif isinstance(event, StreamEnded):
                ended = True
        return headers, data, trailers, ended

    def grant(self, increment: int, stream_id: Optional[int] = None) -> None:
        self.client.increment_flow_control_window(increment, stream_id)
        self.pump()

    def stream(self, stream_id: int) -> Any:
        found = [e.stream for e in self.events if isinstance(e, RequestReceived) and e.stream_id == stream_id]
        assert found, "no request on stream %d" % stream_id
        return found[0]


OK_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]
OK_TRAILERS = [("grpc-status", "0")]


# --- the ordinary path -----------------------------------------------------------------------------------
def test_the_server_speaks_first_its_settings_then_the_whole_receive_window():
    server = ServerProtocol()
    server.initiate()
    (kind, flags, stream, payload), update = frames_of(server.data_to_send())
    assert (kind, flags, stream) == (SETTINGS, 0, 0)
    values = dict(struct.unpack_from(">HI", payload, offset) for offset in range(0, len(payload), 6))
    assert values[SettingCodes.ENABLE_PUSH] == 0 and values[SettingCodes.INITIAL_WINDOW_SIZE] == MAX_WINDOW
    assert 8 * 1024 <= values[SettingCodes.MAX_HEADER_LIST_SIZE] <= 64 * 1024
    assert 1 <= values[SettingCodes.MAX_CONCURRENT_STREAMS] <= 10000
    assert update[0] == WINDOW_UPDATE and update[2] == 0 and u32(update[3]) == MAX_WINDOW - DEFAULT_WINDOW
    assert server.data_to_send() == b""  # what was taken is gone


def test_a_unary_request_and_its_answer_pass_through_the_protocol_object():
    pair = Pair()
    stream_id = pair.request(extra=(("x-trace", "t-1"),))
    request, data = pair.events
    assert isinstance(request, RequestReceived) and request.stream_id == stream_id and not request.end_stream
    assert (":path", CHECK) in request.headers and ("x-trace", "t-1") in request.headers
    assert isinstance(data, DataReceived) and data.data == MESSAGE and data.end_stream
    assert pair.server.send(data.stream, OK_HEADERS, MESSAGE, OK_TRAILERS)
    pair.pump()
    headers, body, trailers, ended = pair.received(stream_id)
    assert dict(headers)[":status"] == "200" and body == MESSAGE and trailers == OK_TRAILERS and ended
    assert pair.server.open_streams == 0
    assert not pair.server.send(data.stream, None, MESSAGE, None)  # the stream is over


def test_a_request_without_a_body_ends_with_its_headers_and_trailers_only_answers_it():
    pair = Pair()
    stream_id = pair.request(body=None)
    (request,) = pair.events
    assert isinstance(request, RequestReceived) and request.end_stream
    assert pair.server.send_headers(request.stream, [*OK_HEADERS, ("grpc-status", "12")], end_stream=True)
    pair.pump()
    headers, body, _, ended = pair.received(stream_id)
    assert dict(headers)["grpc-status"] == "12" and body == b"" and ended


def test_events_come_one_at_a_time_so_an_answer_leaves_before_the_ack_of_a_later_ping():
    raw = Raw()
    raw.server.feed(raw_frame(HEADERS, END_HEADERS | END_STREAM, 1, BLOCK) + raw_frame(PING, 0, 0, b"barrier!"))
    event = raw.server.next_event()
    assert isinstance(event, RequestReceived)
    assert not raw.collect(), "frames after the request were handled before it"
    raw.server.send_headers(event.stream, [*OK_HEADERS, ("grpc-status", "0")], end_stream=True)
    assert raw.server.next_event() is None  # the PING: no event, its ACK follows the answer
    assert [f[0] for f in raw.collect()] == [HEADERS, PING]


def test_client_trailers_end_its_stream_as_empty_data():
    raw = Raw()
    raw.request(1, end=False)
    raw.send(raw_frame(HEADERS, END_HEADERS | END_STREAM, 1, b"\x40\x03x-t\x01v"))  # literal, indexed: x-t: v
    data = raw.events[-1]
    assert isinstance(data, DataReceived) and data.data == b"" and data.end_stream


def test_headers_after_the_end_of_a_request_reset_its_stream_and_do_not_end_it_twice():
    raw = Raw()
    raw.request(1)  # HEADERS, DATA with END_STREAM: the request is complete, its answer still to come
    raw.send(raw_frame(HEADERS, END_HEADERS | END_STREAM, 1, BLOCK))  # a half-closed (remote) stream
    assert [type(event) for event in raw.events] == [RequestReceived, DataReceived, StreamReset]
    assert raw.sent(RST_STREAM, 1)[0][3] == struct.pack(">I", STREAM_CLOSED)  # RFC 9113 5.1
    assert not raw.server.terminated and raw.server.open_streams == 0


def test_padding_is_removed_from_data():
    raw = Raw()
    raw.request(1, end=False)
    raw.send(raw_frame(DATA, END_STREAM | PADDED, 1, bytes([3]) + MESSAGE + b"pad"))
    assert raw.events[-1].data == MESSAGE


def test_the_peer_goaway_is_an_event_and_open_streams_go_on():
    pair = Pair()
    stream_id = pair.request(body=None)
    pair.client.close_connection()
    pair.pump()
    assert isinstance(pair.events[-1], GoAwayReceived) and pair.server.going_away
    assert pair.server.send(pair.stream(stream_id), OK_HEADERS, MESSAGE, OK_TRAILERS)


def test_our_goaway_refuses_new_streams_and_lets_open_ones_finish():
    raw = Raw()
    raw.request(1, end=False)
    assert raw.server.goaway(b"stopping") and not raw.server.goaway(b"again")
    raw.collect()
    (goaway,) = raw.sent(GOAWAY)
    assert u32(goaway[3]) == 1 and u32(goaway[3], 4) == NO_ERROR and goaway[3][8:] == b"stopping"
    raw.request(3)
    assert raw.sent(RST_STREAM, 3)[0][3] == struct.pack(">I", REFUSED_STREAM)
    raw.send(raw_frame(DATA, END_STREAM, 1, MESSAGE))
    assert isinstance(raw.events[-1], DataReceived) and raw.events[-1].stream_id == 1


# --- flow control ----------------------------------------------------------------------------------------
def test_data_waits_for_the_peer_window_and_leaves_exactly_as_it_is_granted():
    pair = Pair({SettingCodes.INITIAL_WINDOW_SIZE: 0})
    stream_id = pair.request()
    stream = pair.stream(stream_id)
    payload = os.urandom(100000)
    assert pair.server.send(stream, OK_HEADERS, payload, OK_TRAILERS)
    pair.pump()
    assert pair.received(stream_id)[1] == b"" and pair.server.queued == len(payload)
    pair.grant(1000, stream_id)
    assert pair.received(stream_id)[1] == payload[:1000] and pair.server.queued == len(payload) - 1000
    assert isinstance(pair.events[-1], WindowUpdated) and pair.events[-1].delta == 1000
    pair.grant(MAX_WINDOW - 1000, stream_id)  # the connection's window (65535) now holds the rest back
    assert len(pair.received(stream_id)[1]) == DEFAULT_WINDOW and pair.server.send_window == 0
    pair.grant(1 << 20)
    _, body, trailers, ended = pair.received(stream_id)
    assert body == payload and trailers == OK_TRAILERS and ended and pair.server.queued == 0
    sizes = [len(f[3]) for f in pair.wire if f[0] == DATA]
    assert max(sizes) <= MAX_FRAME and sum(sizes) == len(payload)


def test_a_larger_initial_window_from_settings_releases_queued_data_on_every_stream():
    pair = Pair({SettingCodes.INITIAL_WINDOW_SIZE: 0})
    pair.grant(1 << 24)
    streams = [pair.request() for _ in range(3)]
    for stream_id in streams:
        pair.server.send(pair.stream(stream_id), OK_HEADERS, b"m" * 5000, OK_TRAILERS)
    pair.pump()
    pair.client.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 1 << 16})
    pair.pump()
    assert all(pair.received(stream_id)[1:] == (b"m" * 5000, OK_TRAILERS, True) for stream_id in streams)


def test_the_peer_max_frame_size_is_respected_for_data_and_header_blocks():
    pair = Pair({SettingCodes.MAX_FRAME_SIZE: 20000, SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    pair.grant(1 << 20)
    stream_id = pair.request()
    big_trailers = [("grpc-status", "0"), ("grpc-message", "x" * 50000)]
    pair.server.send(pair.stream(stream_id), OK_HEADERS, b"d" * 70000, big_trailers)
    pair.pump()
    assert pair.received(stream_id)[1:] == (b"d" * 70000, big_trailers, True)
    assert max(len(f[3]) for f in pair.wire) <= 20000
    assert any(f[0] == CONTINUATION for f in pair.wire)


def test_a_reset_by_the_peer_hands_back_what_had_not_left():
    pair = Pair({SettingCodes.INITIAL_WINDOW_SIZE: 10})
    stream_id = pair.request()
    stream = pair.stream(stream_id)
    pair.server.send(stream, OK_HEADERS, b"first" * 10, None, unsent="first")
    pair.server.send(stream, None, b"second", None, unsent="second")
    pair.pump()
    pair.client.reset_stream(stream_id, CANCEL)
    pair.pump()
    reset = pair.events[-1]
    assert isinstance(reset, StreamReset) and reset.remote and reset.code == CANCEL
    assert reset.unsent == ["first", "second"] and pair.server.queued == 0 and pair.server.open_streams == 0
    assert not pair.server.send(stream, None, b"late", None)


def test_a_stream_window_overflow_resets_only_that_stream():
    raw = Raw(PREFACE + raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 0)))
    raw.request(1)
    stream = raw.events[0].stream
    raw.server.send(stream, OK_HEADERS, b"x" * 100, None, unsent="answer")
    raw.collect()
    raw.send(raw_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", MAX_WINDOW)))
    raw.send(raw_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 101)))  # one over 2**31-1 (100 bytes had left)
    assert raw.sent(RST_STREAM, 1)[-1][3] == struct.pack(">I", FLOW_CONTROL_ERROR)
    reset = raw.events[-1]
    assert isinstance(reset, StreamReset) and not reset.remote and reset.unsent == []  # all 100 bytes had left
    raw.request(3)
    assert isinstance(raw.events[-2], RequestReceived) and raw.events[-2].stream_id == 3


def test_our_reset_and_the_connection_end_hand_back_unsent_data_once():
    raw = Raw(PREFACE + raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 0)))
    raw.request(1)
    raw.request(3)
    one, three = raw.events[0].stream, raw.events[2].stream
    raw.server.send(one, OK_HEADERS, b"a" * 10, None, unsent="one")
    raw.server.send(three, OK_HEADERS, b"b" * 10, None, unsent="three")
    assert raw.server.reset_stream(one, CANCEL) == ["one"] and raw.server.reset_stream(one, CANCEL) is None
    raw.collect()
    assert raw.sent(RST_STREAM, 1)[0][3] == struct.pack(">I", CANCEL)
    assert raw.server.close() == [(three, ["three"])] and raw.server.close() == []
    assert raw.server.queued == 0 and not raw.server.send(three, None, b"late", None)
    assert raw.server.receive(raw_frame(PING, 0, 0, bytes(8))) == [] and raw.server.data_to_send() == b""


def test_an_answer_before_the_request_ended_tells_the_client_to_stop():
    raw = Raw()
    raw.request(1, end=False)
    raw.server.send(
        raw.events[0].stream,
        None,
        None,
        [*OK_HEADERS, ("grpc-status", "8")],
        trailers_only=[*OK_HEADERS, ("grpc-status", "8")],
    )
    raw.collect()
    assert raw.sent(RST_STREAM, 1)[0][3] == struct.pack(">I", NO_ERROR)  # RFC 9113 8.1
    assert raw.send(raw_frame(DATA, END_STREAM, 1, MESSAGE)) == []  # late data for it: dropped, not an error
    assert not raw.server.terminated


# --- violations: GOAWAY with the RFC 9113 code, and nothing more is read --------------------------------
VIOLATIONS = {
    "a bad preface": (PROTOCOL_ERROR, b"GET / HTTP/1.1\r\n\r\n"),
    "DATA on stream 0": (PROTOCOL_ERROR, raw_frame(DATA, 0, 0, b"x")),
    "DATA on an idle stream": (PROTOCOL_ERROR, raw_frame(DATA, 0, 99, b"x")),
    "HEADERS on an even stream": (PROTOCOL_ERROR, raw_frame(HEADERS, END_HEADERS, 2, BLOCK)),
    "HEADERS on stream 0": (PROTOCOL_ERROR, raw_frame(HEADERS, END_HEADERS, 0, BLOCK)),
    "trailers without END_STREAM": (
        PROTOCOL_ERROR,
        raw_frame(HEADERS, END_HEADERS, 1, BLOCK) + raw_frame(HEADERS, END_HEADERS, 1, BLOCK),
    ),
    "a frame over 16384 bytes": (FRAME_SIZE_ERROR, raw_frame(DATA, 0, 1, bytes(MAX_FRAME + 1))),
    "PUSH_PROMISE": (PROTOCOL_ERROR, raw_frame(PUSH_PROMISE, END_HEADERS, 1, struct.pack(">I", 2) + BLOCK)),
    "a header block interrupted": (PROTOCOL_ERROR, raw_frame(HEADERS, 0, 1, BLOCK) + raw_frame(PING, 0, 0, bytes(8))),
    "CONTINUATION without HEADERS": (PROTOCOL_ERROR, raw_frame(CONTINUATION, END_HEADERS, 1, BLOCK)),
    "PING of 7 bytes": (FRAME_SIZE_ERROR, raw_frame(PING, 0, 0, bytes(7))),
    "PING on a stream": (PROTOCOL_ERROR, raw_frame(PING, 0, 1, bytes(8))),
    "SETTINGS on a stream": (PROTOCOL_ERROR, raw_frame(SETTINGS, 0, 1)),
    "SETTINGS of 5 bytes": (FRAME_SIZE_ERROR, raw_frame(SETTINGS, 0, 0, bytes(5))),
    "SETTINGS ACK with a payload": (FRAME_SIZE_ERROR, raw_frame(SETTINGS, 0x1, 0, bytes(6))),
    "INITIAL_WINDOW_SIZE over 2**31-1": (FLOW_CONTROL_ERROR, raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 2**31))),
    "MAX_FRAME_SIZE under 16384": (PROTOCOL_ERROR, raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 5, 1000))),
    "WINDOW_UPDATE of 0 on the connection": (PROTOCOL_ERROR, raw_frame(WINDOW_UPDATE, 0, 0, bytes(4))),
    "WINDOW_UPDATE of 3 bytes": (FRAME_SIZE_ERROR, raw_frame(WINDOW_UPDATE, 0, 0, bytes(3))),
    "connection window over 2**31-1": (
        FLOW_CONTROL_ERROR,
        raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_WINDOW)),
    ),
    "RST_STREAM on stream 0": (PROTOCOL_ERROR, raw_frame(RST_STREAM, 0, 0, bytes(4))),
    "GOAWAY on a stream": (PROTOCOL_ERROR, raw_frame(GOAWAY, 0, 1, bytes(8))),
    "GOAWAY of 7 bytes": (FRAME_SIZE_ERROR, raw_frame(GOAWAY, 0, 0, bytes(7))),
    "a padded frame without its pad length": (PROTOCOL_ERROR, raw_frame(HEADERS, END_HEADERS | PADDED, 1)),
    "padding longer than the frame": (PROTOCOL_ERROR, raw_frame(HEADERS, END_HEADERS | PADDED, 1, b"\x09abc")),
    "bad header compression": (COMPRESSION_ERROR, raw_frame(HEADERS, END_HEADERS, 1, b"\x80")),  # index 0
    "a header integer past 2**31": (COMPRESSION_ERROR, raw_frame(HEADERS, END_HEADERS, 1, b"\xff" * 8)),
}


@pytest.mark.parametrize("violation", list(VIOLATIONS))
def test_a_violation_ends_the_connection_with_goaway_and_later_input_is_ignored(violation):
    code, data = VIOLATIONS[violation]
    raw = Raw(hello=b"" if violation == "a bad preface" else HELLO)
    raw.send(data)
    assert raw.terminated().error_code == code
    assert u32(raw.out[-1][3]) == (1 if violation == "trailers without END_STREAM" else 0)  # the last processed
    assert raw.server.buffered == 0
    assert raw.server.receive(raw_frame(PING, 0, 0, bytes(8)) + HELLO) == [] and raw.server.data_to_send() == b""


def test_the_goaway_reports_the_last_stream_processed():
    raw = Raw()
    raw.request(1)
    raw.request(5)
    raw.send(raw_frame(PING, 0, 3, bytes(8)))
    raw.terminated()
    assert u32(raw.out[-1][3]) == 5


def test_a_request_on_a_stream_already_closed_gets_stream_closed():
    raw = Raw()
    raw.request(5)
    raw.request(3)  # lower than one opened: closed, not idle (RFC 9113 5.1.1)
    assert raw.sent(RST_STREAM, 3)[0][3] == struct.pack(">I", STREAM_CLOSED) and not raw.server.terminated


# --- the attacks of test_h2_attacks.py, at the protocol level ---------------------------------------------
FLOODS = {
    "PING": lambda n: raw_frame(PING, 0, 0, bytes(8)) * n,
    "SETTINGS": lambda n: raw_frame(SETTINGS, 0, 0) * n,
    "WINDOW_UPDATE": lambda n: raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)) * n,
    "empty DATA": lambda n: raw_frame(HEADERS, END_HEADERS, 1, BLOCK) + raw_frame(DATA, 0, 1) * n,
    "PRIORITY": lambda n: raw_frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15)) * n,
    "unknown frame types": lambda n: raw_frame(0xEE, 0, 0, b"?") * n,
    "rapid reset": lambda n: b"".join(
        raw_frame(HEADERS, END_HEADERS, stream_id, BLOCK)
        + raw_frame(RST_STREAM, 0, stream_id, struct.pack(">I", CANCEL))
        for stream_id in range(1, 2 * n, 2)
    ),
    "requests on closed streams": lambda n: (
        raw_frame(HEADERS, END_HEADERS | END_STREAM, 2 * n + 1, BLOCK)
        + b"".join(raw_frame(HEADERS, END_HEADERS | END_STREAM, stream_id, BLOCK) for stream_id in range(1, 2 * n, 2))
    ),
}


@pytest.mark.parametrize("flood", list(FLOODS))
def test_a_flood_that_makes_no_progress_ends_after_its_burst_with_enhance_your_calm(flood):
    raw = Raw()
    raw.send(FLOODS[flood](3 * protocol.FLOOD_BURST))  # all at one instant: only the burst is allowed
    assert raw.terminated().error_code == ENHANCE_YOUR_CALM
    answered = len(raw.sent(PING)) + len(raw.sent(SETTINGS)) - 1 + len(raw.sent(RST_STREAM))
    assert answered <= protocol.FLOOD_BURST + 1  # bounded work: nothing past the burst was answered
    assert len(raw.events) <= 2 * protocol.FLOOD_BURST + 3


@pytest.mark.parametrize("flood", list(FLOODS))
def test_the_same_frames_at_a_steady_pace_under_the_rate_are_served(flood):
    raw = Raw()
    frames = frames_of(FLOODS[flood](2 * protocol.FLOOD_BURST))
    for frame in frames:
        raw.clock.now += 1.0 / protocol.FLOOD_RATE  # one frame per refill: the bucket never runs dry
        raw.send(raw_frame(*frame))
    assert not raw.server.terminated, raw.events[-1]


def test_rapid_reset_costs_a_token_per_reset_and_the_bucket_refills_with_time():
    raw = Raw()
    raw.send(FLOODS["rapid reset"](protocol.FLOOD_BURST - 10))
    assert not raw.server.terminated
    raw.clock.now += protocol.FLOOD_BURST / protocol.FLOOD_RATE  # a full refill
    stream_id = 2 * protocol.FLOOD_BURST + 1
    raw.send(
        b"".join(
            raw_frame(HEADERS, END_HEADERS, s, BLOCK) + raw_frame(RST_STREAM, 0, s, struct.pack(">I", 8))
            for s in range(stream_id, stream_id + 2 * (protocol.FLOOD_BURST - 10), 2)
        )
    )
    assert not raw.server.terminated
    resets = [event for event in raw.events if isinstance(event, StreamReset)]
    assert len(resets) == 2 * (protocol.FLOOD_BURST - 10) and all(event.remote for event in resets)
    assert raw.server.open_streams == 0


def test_data_sent_by_us_gives_tokens_back_so_window_updates_for_it_are_free():
    pair = Pair({SettingCodes.INITIAL_WINDOW_SIZE: 0})
    stream_id = pair.request()
    payload = b"w" * (3 * protocol.FLOOD_BURST)
    pair.server.send(pair.stream(stream_id), OK_HEADERS, payload, OK_TRAILERS)
    for _ in range(len(payload)):  # a window of one byte at a time: one DATA frame and one update each
        pair.grant(1, stream_id)
    assert pair.received(stream_id)[1:] == (payload, OK_TRAILERS, True) and not pair.server.terminated


def test_a_window_update_and_a_ping_for_each_data_frame_we_send_are_no_flood():
    """grpc-go answers each DATA frame it reads on its own with a WINDOW_UPDATE and, its BDP estimator, a
    PING: results sent one at a time (from worker processes, or a wrapper's callback thread) draw both."""
    pair = Pair({SettingCodes.INITIAL_WINDOW_SIZE: 0})
    stream_id = pair.request()
    payload = b"w" * (3 * protocol.FLOOD_BURST)
    pair.server.send(pair.stream(stream_id), OK_HEADERS, payload, OK_TRAILERS)
    for _ in range(len(payload)):  # all at one instant: only what our own frames earned pays for them
        pair.client.ping(b"bdp-ping")
        pair.grant(1, stream_id)
    assert pair.received(stream_id)[1:] == (payload, OK_TRAILERS, True) and not pair.server.terminated


def test_a_continuation_flood_ends_at_the_cap_with_bounded_memory():
    raw = Raw()
    flood = raw_frame(HEADERS, 0, 1, BLOCK[:3]) + raw_frame(CONTINUATION, 0, 1) * 40000
    for start in range(0, len(flood), MAX_FRAME):  # as the socket would deliver it
        raw.send(flood[start : start + MAX_FRAME])
        assert raw.server.buffered <= protocol.MAX_HEADER_BLOCK + HEADER_SIZE + MAX_FRAME
    assert raw.terminated().error_code == ENHANCE_YOUR_CALM
    assert not any(isinstance(event, RequestReceived) for event in raw.events)


def test_a_header_block_in_too_many_small_continuation_frames_is_refused():
    raw = Raw()
    block = BLOCK + b"\x00\x05x-pad\x7f\x81\x17" + b"p" * 3000  # + a literal 3000-byte field
    raw.send(
        raw_frame(HEADERS, 0, 1, block[:1])
        + b"".join(
            raw_frame(CONTINUATION, END_HEADERS if i == len(block) - 1 else 0, 1, block[i : i + 1])
            for i in range(1, len(block))
        )
    )
    assert raw.terminated().error_code == ENHANCE_YOUR_CALM


@pytest.mark.parametrize("size", [300 * 1024, 1000 * 1024])
def test_a_header_block_far_over_the_limit_is_not_decoded_and_ends_the_connection(size):
    raw = Raw()
    block = BLOCK + b"\x00\x05x-big\x7f" + _varint(size - 127) + b"m" * size
    parts = [block[start : start + MAX_FRAME] for start in range(0, len(block), MAX_FRAME)]
    raw.send(
        raw_frame(HEADERS, END_STREAM, 1, parts[0])
        + b"".join(
            raw_frame(CONTINUATION, END_HEADERS if i == len(parts) - 1 else 0, 1, part)
            for i, part in enumerate(parts)
            if i
        )
    )
    assert raw.terminated().error_code == ENHANCE_YOUR_CALM
    assert not any(isinstance(event, RequestReceived) for event in raw.events) and not raw.sent(HEADERS)


def _varint(number: int) -> bytes:
    out = bytearray()
    while number >= 128:
        out.append(number % 128 + 128)
        number //= 128
    return bytes([*out, number])


def test_a_header_list_over_the_limit_fails_its_stream_with_431_and_the_connection_goes_on():
    pair = Pair()
    stream_id = pair.request(extra=(("x-metadata", "m" * (protocol.MAX_HEADER_LIST + 1000)),))
    headers, _, _, ended = pair.received(stream_id)
    fields = dict(headers)
    assert fields[":status"] == "431" and fields["grpc-status"] == "8" and "header list" in fields["grpc-message"]
    assert ended and not any(isinstance(event, RequestReceived) for event in pair.events)
    next_id = pair.request(extra=(("x-metadata", "m" * (protocol.MAX_HEADER_LIST + 1000)),))  # indexed by now
    assert dict(pair.received(next_id)[0])[":status"] == "431"  # the HPACK tables stayed in step
    small = pair.request()
    assert pair.stream(small).id == small and not pair.server.terminated


def test_streams_over_the_limit_are_refused_and_their_data_dropped():
    raw = Raw()
    raw.send(
        b"".join(
            raw_frame(HEADERS, END_HEADERS, stream_id, BLOCK) for stream_id in range(1, 2 * protocol.MAX_STREAMS, 2)
        )
    )
    assert raw.server.open_streams == protocol.MAX_STREAMS and not raw.sent(RST_STREAM)
    refused = 2 * protocol.MAX_STREAMS + 1
    raw.request(refused)
    assert raw.sent(RST_STREAM, refused)[0][3] == struct.pack(">I", REFUSED_STREAM)
    assert not raw.server.terminated and raw.server.open_streams == protocol.MAX_STREAMS


def test_a_zero_window_peer_holds_what_it_asked_for_and_new_streams_are_refused_past_the_queue_cap():
    raw = Raw(PREFACE + raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 0)))
    raw.request(1)
    huge = bytes(protocol.MAX_QUEUED + 1)
    raw.server.send(raw.events[0].stream, OK_HEADERS, huge, None)
    raw.collect()
    assert not raw.sent(DATA) and raw.server.queued == len(huge)
    raw.request(3)
    assert raw.sent(RST_STREAM, 3)[0][3] == struct.pack(">I", REFUSED_STREAM)
    raw.send(raw_frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL)))  # the peer gives up: the queue is free
    assert raw.server.queued == 0
    raw.request(5)
    assert isinstance(raw.events[-2], RequestReceived) and raw.events[-2].stream_id == 5


# --- hypothesis: random input, invariants after every step ----------------------------------------------
stream_ids = st.one_of(st.sampled_from([0, 1, 3, 5, 7, 2, 0x7FFFFFFF]), st.integers(0, 2**31 - 1))
flag_values = st.one_of(st.sampled_from([0, 0x1, 0x4, 0x5, 0x8, 0x20, 0x24, 0x25]), st.integers(0, 255))
small_ids = st.sampled_from([1, 3, 5, 7])
plausible = st.one_of(
    st.builds(
        lambda s, f, cut: (HEADERS, f, s, BLOCK[:cut]),
        st.one_of(small_ids, stream_ids),
        flag_values,
        st.integers(0, len(BLOCK)),
    ),
    st.builds(lambda s, e: (HEADERS, END_HEADERS | e, s, BLOCK), small_ids, st.sampled_from([0, END_STREAM])),
    st.builds(
        lambda s, f, p: (CONTINUATION, f, s, p),
        stream_ids,
        flag_values,
        st.one_of(st.just(BLOCK), st.binary(max_size=48)),
    ),
    st.builds(lambda s, f: (DATA, f, s, MESSAGE), st.one_of(small_ids, stream_ids), flag_values),
    st.builds(
        lambda entries: (SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in entries)),
        st.lists(st.tuples(st.integers(0, 8), st.one_of(st.integers(0, 2**17), st.integers(0, 2**32 - 1))), max_size=3),
    ),
    st.builds(
        lambda s, n: (WINDOW_UPDATE, 0, s, struct.pack(">I", n)),
        st.one_of(st.just(0), small_ids, stream_ids),
        st.one_of(st.integers(0, 1 << 17), st.integers(0, 2**32 - 1)),
    ),
    st.builds(
        lambda s, c: (RST_STREAM, 0, s, struct.pack(">I", c)), st.one_of(small_ids, stream_ids), st.integers(0, 20)
    ),
    st.builds(lambda f, p: (PING, f, 0, p), flag_values, st.binary(min_size=8, max_size=8)),
    st.builds(lambda s, p: (PRIORITY, 0, s, p), stream_ids, st.binary(min_size=5, max_size=5)),
    st.builds(lambda s, p: (GOAWAY, 0, s, p), st.sampled_from([0, 0, 1]), st.binary(min_size=6, max_size=12)),
)
arbitrary = st.tuples(st.integers(0, 255), flag_values, stream_ids, st.binary(max_size=48))
frame_lists = st.lists(st.one_of(plausible, plausible, arbitrary), min_size=1, max_size=16)
ANSWER = b"r" * 100000  # larger than the default window: every answer exercises flow control
ERROR_CODES = {PROTOCOL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, COMPRESSION_ERROR, ENHANCE_YOUR_CALM}


class Checked:
    """A ServerProtocol fed by the fuzzer, answering every request, checked after every step."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.server = ServerProtocol(self.clock)
        self.server.initiate()
        self.out = frames_of(self.server.data_to_send())
        self.events: List[Event] = []
        self.ended: Set[int] = set()  # streams we ended (END_STREAM or RST_STREAM): only RST_STREAM may follow
        self.sent_data: Dict[int, int] = {}

    def feed(self, data: bytes) -> None:
        """Feed ``data`` and handle its events one at a time, as the I/O layer does: every complete request
        is answered at once (so where the input was cut cannot change the output)."""
        self.server.feed(data)
        while True:
            try:
                event = self.server.next_event()
            except Exception as error:  # pragma: no cover - the failure message is the point
                raise AssertionError("the protocol object raised %r" % error) from error
            if event is None:
                break
            assert isinstance(event, Event)
            self.events.append(event)
            if isinstance(event, (RequestReceived, DataReceived)) and event.end_stream:
                self.server.send(event.stream, OK_HEADERS, ANSWER, OK_TRAILERS)
        self.check(frames_of(self.server.data_to_send()))

    def check(self, new: List[Tuple[int, int, int, bytes]]) -> None:
        server = self.server
        assert not (self.out and self.out[-1][0] == GOAWAY and new), "frames after our GOAWAY"
        for kind, flags, stream, payload in new:
            assert stream & 0x80000000 == 0, "reserved bit set"
            assert len(payload) <= server.peer_max_frame
            assert kind == RST_STREAM or stream not in self.ended, "a frame on stream %d after we ended it" % stream
            if kind == GOAWAY:
                assert stream == 0 and len(payload) >= 8
            elif kind == RST_STREAM:
                assert stream and len(payload) == 4
                self.ended.add(stream)
            elif kind == PING:
                assert stream == 0 and len(payload) == 8 and flags == 0x1
            elif kind == SETTINGS:
                assert stream == 0 and flags == 0x1 and not payload  # only ACKs after our first
            elif kind == WINDOW_UPDATE:
                assert len(payload) == 4 and 0 < u32(payload) <= MAX_WINDOW
            else:
                assert kind in (HEADERS, CONTINUATION, DATA) and stream % 2 == 1, (kind, stream)
                if kind == DATA:
                    self.sent_data[stream] = self.sent_data.get(stream, 0) + len(payload)
                if kind in (HEADERS, DATA) and flags & END_STREAM:
                    self.ended.add(stream)
        self.out += new
        assert server.send_window >= 0 and server.queued >= 0
        assert server.queued == sum(server.unsent_bytes(s) for s in server.streams.values())
        assert server.buffered <= HEADER_SIZE + MAX_FRAME + protocol.MAX_HEADER_BLOCK
        assert server.open_streams <= protocol.MAX_STREAMS
        if server.terminated:
            (end,) = [event for event in self.events if isinstance(event, ConnectionTerminated)]
            assert end.error_code in ERROR_CODES and self.out[-1][0] == GOAWAY
            assert u32(self.out[-1][3], 4) == end.error_code

    def check_windows(self, frames: List[Tuple[int, int, int, bytes]]) -> None:
        """No more DATA left than the peer's windows allowed, recomputed from the frames it sent: the
        connection's exactly (65535 + its updates), each stream's at most (the largest initial window it
        announced + the stream's updates)."""
        connection, initial = DEFAULT_WINDOW, DEFAULT_WINDOW
        per_stream: Dict[int, int] = {}
        for kind, _, stream, payload in frames:
            if kind == WINDOW_UPDATE and len(payload) == 4:
                if stream:
                    per_stream[stream] = per_stream.get(stream, 0) + u32(payload) % 2**31
                else:
                    connection += u32(payload) % 2**31
            elif kind == SETTINGS and len(payload) % 6 == 0:
                for offset in range(0, len(payload), 6):
                    key, value = struct.unpack_from(">HI", payload, offset)
                    if key == 4 and value <= MAX_WINDOW:
                        initial = max(initial, value)
        assert sum(self.sent_data.values()) <= connection
        for stream, sent in self.sent_data.items():
            assert sent <= initial + per_stream.get(stream, 0), "stream %d: %d bytes" % (stream, sent)


def _wire(frames: List[Tuple[int, int, int, bytes]]) -> bytes:
    return b"".join(raw_frame(*frame) for frame in frames)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(frame_lists)
def test_any_frame_sequence_keeps_the_invariants(frames):
    checked = Checked()
    checked.feed(HELLO)
    processed = []
    for frame in frames:
        if checked.server.terminated:
            break
        processed.append(frame)
        checked.feed(raw_frame(*frame))
    checked.check_windows(processed)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=400), st.booleans())
def test_any_bytes_keep_the_invariants(data, after_preface):
    checked = Checked()
    checked.feed((HELLO if after_preface else b"") + data)
    if not after_preface and not PREFACE.startswith(data[: len(PREFACE)]):
        assert checked.server.terminated


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(frame_lists, st.lists(st.integers(0, 2000), max_size=8))
def test_where_the_input_is_split_changes_nothing(frames, cuts):
    data = HELLO + _wire(frames)
    whole, pieces = Checked(), Checked()
    whole.feed(data)
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    for start, end in zip(points, points[1:]):
        pieces.feed(data[start:end])
    assert [repr(event) for event in pieces.events] == [repr(event) for event in whole.events]
    assert pieces.out == whole.out


def test_the_fuzzer_reaches_the_interesting_states():
    """The strategies are not vacuous: a known sequence from them answers a request through flow control."""
    checked = Checked()
    checked.feed(HELLO + raw_frame(HEADERS, END_HEADERS | END_STREAM, 1, BLOCK))
    assert checked.sent_data[1] == DEFAULT_WINDOW and checked.server.queued == len(ANSWER) - DEFAULT_WINDOW
    checked.feed(
        raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20))
        + raw_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1 << 20))
    )
    assert checked.sent_data[1] == len(ANSWER) and 1 in checked.ended
