"""Our HTTP/2 + gRPC server (``aiges.grpc.h2``) as an independent HTTP/2 client sees it, frame by frame.

The client is python-hyper's ``h2`` over a plain socket (``h2client.py``): it checks every frame the
server sends against its own state machine (flow-control windows, frame sizes, header blocks), and the
tests decide exactly which frames go out, including the ones a well-behaved client never sends.
The server is the real ``python -m aiges.serve`` process with the echo wrapper. Where a test needs to
know that the server has handled what was sent, it uses a PING round trip (the server reads frames in
order and writes what they allow before it answers the PING), never a sleep.
"""

import gzip
import os
import shutil
import struct
import time
import urllib.parse
import zlib

import fakehost
import pytest
from aiges.grpc import wire
from conftest import RUNTIME_PARENT, WRAPPERS, plugin_env, tiny_png
from h2.settings import SettingCodes
from h2client import (
    CANCEL,
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    FLOW_CONTROL_ERROR,
    FRAME_SIZE_ERROR,
    GOAWAY,
    HEADERS,
    INTERNAL,
    MAX_WINDOW,
    NO_ERROR,
    NOT_FOUND,
    OK,
    PADDED,
    PING,
    PROTOCOL_ERROR,
    PUSH_PROMISE,
    RESOURCE_EXHAUSTED,
    SETTINGS,
    STREAM_CLOSED,
    UNIMPLEMENTED,
    WINDOW_UPDATE,
    Client,
    StreamRecord,
    grpc_headers,
    grpc_message,
    pad_headers,
    raw_frame,
    split_header_block,
)
from hpack import Encoder
from hyperframe.frame import ContinuationFrame, DataFrame, GoAwayFrame, HeadersFrame, PingFrame, SettingsFrame

MESSAGES = wire.protocol().messages
Request, RequestData, Response = MESSAGES["aiges.Request"], MESSAGES["aiges.RequestData"], MESSAGES["aiges.Response"]
CheckRequest = MESSAGES["grpc.health.v1.HealthCheckRequest"]
CheckResponse = MESSAGES["grpc.health.v1.HealthCheckResponse"]
WRAPPER, HEALTH = "aiges.WrapperService", "grpc.health.v1.Health"
COMMUNICATE = wire.service(WRAPPER)["communicate"].path
ONCE = wire.service(WRAPPER)["wrapperOnceExec"].path
CHECK = wire.service(HEALTH)["Check"].path
MAX_MESSAGE = 1024 * 1024  # the module's server runs with --max-message-mb 1
WINDOW = SettingCodes.INITIAL_WINDOW_SIZE
FRAME = SettingCodes.MAX_FRAME_SIZE


# --- the server and the clients --------------------------------------------------------------------------
def echo_folder(parent):
    folder = parent / "echo"
    (folder / "test_data").mkdir(parents=True)
    shutil.copy(WRAPPERS / "echo" / "wrapper.py", folder / "wrapper.py")
    (folder / "test_data" / "test.png").write_bytes(tiny_png())
    return folder


def initialise(address):
    with Client(address) as client:
        answer = client.unary(WRAPPER, "wrapperInit", MESSAGES["aiges.InitRequest"](config={"log.level": "debug"}))
        assert answer.grpc_status == OK and MESSAGES["aiges.Ret"].FromString(answer.messages()[0]).ret == 0
        assert client.h2_error is None, client.h2_error


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One echo plugin for the tests that do not stop it, initialised, largest message 1 MB."""
    plugin = fakehost.Plugin(
        fakehost.python_command(args=["--max-message-mb", "1"]),
        str(echo_folder(tmp_path_factory.mktemp("h2"))),
        env=plugin_env(),
    )
    plugin.start()
    try:
        initialise(plugin.address)
        yield plugin
    finally:
        plugin.close()


@pytest.fixture
def connect(server):
    """``connect(**options)`` -> a Client to the shared server (or ``address=``); each is closed after the
    test, which fails if h2 found anything wrong in what the server sent."""
    clients = []

    def make(address=None, **options):
        client = Client(address or server.address, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for client in clients:
        assert client.h2_error is None, "h2 rejected what the server sent: %r" % client.h2_error


@pytest.fixture
def own_server(wrapper_dir, spawn):
    """A fresh, initialised echo plugin for a test that stops it."""
    plugin = spawn(wrapper_dir("echo"), connect=False)
    initialise(plugin.address)
    return plugin


# --- gRPC helpers ----------------------------------------------------------------------------------------
def check(client, service="", **options):
    return client.unary(HEALTH, "Check", CheckRequest(service=service), **options)


def serving(stream):
    return stream.grpc_status == OK and CheckResponse.FromString(stream.messages()[0]).status == CheckResponse.SERVING


def once_request(tag, data, params=None):
    return Request(
        tag=tag,
        params={"sid": tag, **(params or {})},
        list=[RequestData(key="text", data=data, len=len(data), status=3)],
    )


def send_once(client, tag, data, params=None, **options):
    """wrapperOnceExec; its answer is empty, the result comes on communicate."""
    answer = client.unary(WRAPPER, "wrapperOnceExec", once_request(tag, data, params), **options)
    assert answer.grpc_status == OK, answer.blocks
    return answer


def open_communicate(client):
    """The loader's communicate stream: request headers, and nothing else for the plugin's whole life."""
    return client.request(COMMUNICATE, end=False)


def results(client, stream_id):
    return [Response.FromString(message) for message in client.streams[stream_id].complete_messages()]


def result(client, stream_id, tag, timeout=None):
    """The Response for ``tag`` on communicate ``stream_id``, waiting for it."""
    client.wait(
        lambda: any(r.tag == tag for r in results(client, stream_id)),
        "the result %r on stream %d" % (tag, stream_id),
        timeout,
    )
    return next(r for r in results(client, stream_id) if r.tag == tag)


def echoed(response):
    assert response.ret == 0, response
    return response.list[0].data


# --- 1. connection preface and SETTINGS ------------------------------------------------------------------
def test_the_server_sends_its_settings_first_and_acknowledges_the_clients(connect):
    client = connect(handshake=False)
    client.wait(lambda: client.frames, "the server's first frame")  # before the client has sent anything
    first = client.frames[0]
    assert isinstance(first, SettingsFrame) and "ACK" not in first.flags and first.stream_id == 0
    # Receive windows as large as HTTP/2 allows, on every stream and on the connection; no server push.
    assert first.settings[WINDOW] == MAX_WINDOW and first.settings[SettingCodes.ENABLE_PUSH] == 0
    client.start()  # the preface and our SETTINGS
    assert client.settings_acks == 1
    assert client.window_updates(0) == [MAX_WINDOW - 65535]
    assert serving(check(client))


def test_a_few_bytes_that_cannot_begin_the_preface_are_refused_at_once(connect):
    stranger = connect(handshake=False)
    stranger.send_raw(b"HELO\r\n")  # shorter than the 24-byte preface: no need to wait for the rest
    stranger.read_until_closed()
    assert stranger.goaway is not None and stranger.goaway.error_code == PROTOCOL_ERROR


def test_the_server_limits_concurrent_streams_in_its_settings_and_refuses_streams_beyond(connect):
    client = connect(handshake=False)
    client.wait(lambda: client.frames, "the server's first frame")
    limit = client.frames[0].settings[SettingCodes.MAX_CONCURRENT_STREAMS]
    assert 32 <= limit <= 10000  # room for the loader's concurrency, and a bound on threads


def test_a_client_that_does_not_speak_http2_gets_goaway_protocol_error_and_others_are_still_served(connect):
    stranger = connect(handshake=False)
    stranger.send_raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n")
    stranger.read_until_closed()
    assert stranger.goaway is not None and stranger.goaway.error_code == PROTOCOL_ERROR
    assert stranger.goaway.last_stream_id == 0
    assert serving(check(connect()))


# --- 2. PING ---------------------------------------------------------------------------------------------
def test_ping_is_answered_with_an_ack_carrying_the_same_eight_bytes(connect):
    client = connect()
    payloads = [b"\x00" * 8, b"bdp-ping", bytes(range(248, 256))]  # grpc-go's BDP estimator pings often
    for payload in payloads:
        client.send_raw(raw_frame(PING, 0, 0, payload))
    client.send_raw(raw_frame(PING, 0x1, 0, b"late-ack"))  # an ACK from the client is not answered
    client.barrier()
    answers = [frame for frame in client.frames if isinstance(frame, PingFrame)]
    assert [(bytes(f.opaque_data), "ACK" in f.flags, f.stream_id) for f in answers] == [
        (payload, True, 0) for payload in [*payloads, client.ping_acks[-1]]
    ]
    assert serving(check(client))


def test_unknown_frame_types_unknown_settings_and_priority_frames_are_ignored(connect):
    client = connect()
    open_stream = client.request(CHECK, end=False)
    client.send_raw(
        raw_frame(0xFA, 0xFF, 0, b"an extension frame")
        + raw_frame(0xFB, 0, open_stream, b"another one, on a stream")
        + raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 0x99, 12345))
        + raw_frame(0x2, 0, 11, struct.pack(">IB", 0, 15))
    )  # PRIORITY for an idle stream
    client.barrier()
    client.send_raw(raw_frame(DATA, END_STREAM, open_stream, grpc_message(CheckRequest().SerializeToString())))
    assert serving(client.finish(open_stream))
    assert client.goaway is None and client.settings_acks == 2


def test_frames_are_reassembled_whatever_the_tcp_segmentation(connect):
    client = connect(handshake=False)
    client.h2.initiate_connection()
    stream_id = client.h2.get_next_available_stream_id()
    client.h2.send_headers(stream_id, grpc_headers(CHECK))
    client.h2.send_data(stream_id, grpc_message(CheckRequest(service="plugin").SerializeToString()), end_stream=True)
    everything = bytes(client.h2.data_to_send())
    client.started = True  # h2 judges the server's frames from here on, as after start()
    for offset in range(len(everything)):  # the preface, SETTINGS, HEADERS and DATA one byte at a time
        client.send_raw(everything[offset : offset + 1])
    client.streams[stream_id] = StreamRecord(stream_id)
    assert serving(client.finish(stream_id))


# --- 3. flow control on what the server sends ------------------------------------------------------------
def test_a_large_result_is_sent_only_as_fast_as_the_client_grants_window_while_other_streams_answer(connect):
    client = connect(settings={WINDOW: 1000})  # streams get 1000 bytes; the connection keeps its 65535
    communicate = open_communicate(client)
    stream = client.streams[communicate]
    payload = os.urandom(200 * 1024)
    send_once(client, "fc-large", payload)
    stream_granted, connection_granted = 1000, 65535

    def within_windows():
        client.barrier()
        assert stream.received <= stream_granted
        assert client.connection_received <= connection_granted

    client.wait(lambda: stream.received == 1000, "the first 1000 bytes of the result")
    within_windows()
    assert stream.received == 1000 and not results(client, communicate)
    assert serving(check(client))  # the health check is not held up by the blocked result

    client.grant(300 * 1024, communicate)  # now only the connection window holds the result back
    stream_granted += 300 * 1024
    client.wait(lambda: client.connection_received == connection_granted, "a full connection window")
    within_windows()
    waiting = client.request(CHECK, grpc_message(CheckRequest(service="").SerializeToString()))
    client.barrier()
    assert client.streams[waiting].blocks and not client.streams[waiting].ended  # its message needs window

    while not (results(client, communicate) and client.streams[waiting].ended):
        client.grant(30000)
        connection_granted += 30000
        client.wait(
            lambda granted=connection_granted: (
                client.connection_received == granted
                or (results(client, communicate) and client.streams[waiting].ended)
            ),
            "more of the result",
        )
        within_windows()
    assert serving(client.streams[waiting])
    [response] = results(client, communicate)
    assert (response.tag, echoed(response)) == ("fc-large", payload)  # complete and byte-identical


def test_a_change_of_initial_window_size_applies_to_streams_already_open(connect):
    client = connect(settings={WINDOW: 1000})
    client.grant(1 << 20)  # the connection window is not what this test is about
    communicate = open_communicate(client)
    stream = client.streams[communicate]
    payload = os.urandom(20000)
    send_once(client, "fc-settings", payload)
    client.wait(lambda: stream.received == 1000, "the first 1000 bytes")
    client.barrier()
    assert stream.received == 1000

    client.update_settings({WINDOW: 5000})  # +4000 for the open stream
    client.wait(lambda: stream.received == 5000, "4000 more bytes")
    client.barrier()
    assert stream.received == 5000

    client.update_settings({WINDOW: 1000})  # -4000: the stream's window is now -4000
    client.grant(4100, communicate)  # ... and +100
    client.wait(lambda: stream.received == 5100, "100 more bytes")
    client.barrier()
    assert stream.received == 5100

    client.update_settings({WINDOW: 1 << 20})
    response = result(client, communicate, "fc-settings")
    assert echoed(response) == payload


def test_data_frames_respect_the_clients_max_frame_size(connect):
    client = connect(settings={WINDOW: 4 << 20})
    client.grant(16 << 20)
    communicate = open_communicate(client)
    stream = client.streams[communicate]
    first, second = os.urandom(200 * 1024), os.urandom(200 * 1024)

    send_once(client, "frames-default", first)
    assert echoed(result(client, communicate, "frames-default")) == first
    assert max(stream.data_frames) == 16384  # never more than the default limit, but up to it

    client.update_settings({FRAME: 65536})
    sizes_before = len(stream.data_frames)
    send_once(client, "frames-raised", second)
    assert echoed(result(client, communicate, "frames-raised")) == second
    assert 16384 < max(stream.data_frames[sizes_before:]) <= 65536


# --- 4. header blocks and DATA framing --------------------------------------------------------------------
@pytest.mark.parametrize("pieces", [2, 7])
def test_a_header_block_split_over_headers_and_continuation_frames_is_one_request(connect, pieces):
    client = connect()
    stream_id = client.request(
        CHECK,
        grpc_message(CheckRequest(service="plugin").SerializeToString()),
        rewrite=lambda frames: split_header_block(frames, pieces),
    )
    assert serving(client.finish(stream_id))


def test_a_header_block_larger_than_a_frame_arrives_in_continuation_frames_and_is_read_whole(connect):
    client = connect()
    big = [("x-big-metadata", "v" * 40000), ("x-after-the-big-one", "still-read")]
    sent = len(client.sent_frames)
    stream_id = client.request("/grpc.health.v1.Health/NoSuchMethod", grpc_message(b""), extra=big)
    assert any(isinstance(frame, ContinuationFrame) for frame in client.sent_frames[sent:])  # h2 had to split it
    answer = client.finish(stream_id)
    assert answer.grpc_status == UNIMPLEMENTED  # the :path before 40 KB of metadata was read right
    assert serving(check(client))  # and the dynamic table after it too


def test_padded_and_prioritised_headers_are_read(connect):
    client = connect()
    padded = client.request(
        CHECK,
        grpc_message(CheckRequest(service="").SerializeToString()),
        rewrite=lambda frames: pad_headers(frames, 33),
    )
    assert serving(client.finish(padded))
    stream_id = client.h2.get_next_available_stream_id()
    client.h2.send_headers(stream_id, grpc_headers(CHECK), priority_weight=200, priority_depends_on=0)
    client.h2.send_data(stream_id, grpc_message(CheckRequest(service="plugin").SerializeToString()), end_stream=True)
    client.streams[stream_id] = StreamRecord(stream_id)
    client.flush()
    assert any(isinstance(f, HeadersFrame) and "PRIORITY" in f.flags for f in client.sent_frames)
    assert serving(client.finish(stream_id))


@pytest.mark.parametrize("chunk", [1, 3, 4, 5, 6, 7000, 16384], ids=lambda size: "frames-of-%d" % size)
def test_a_message_in_data_frames_of_any_size_is_read_whole(connect, chunk):
    """A message's 5-byte prefix and its body may be cut anywhere between DATA frames: a message that
    spans frames is assembled in one buffer made to its size; the result (larger than a frame) is
    framed without a copy and arrives whole."""
    client = connect()
    communicate = open_communicate(client)
    client.grant(1 << 20)  # the result is larger than the 64 KB windows a client starts with
    client.grant(1 << 20, communicate)
    payload = os.urandom(20000 if chunk < 10 else 300000)
    body = grpc_message(once_request("chunk-%d" % chunk, payload, {"mode": "repeat", "times": "2"}).SerializeToString())
    client.finish(client.request(ONCE, body, chunk=chunk))
    assert echoed(result(client, communicate, "chunk-%d" % chunk)) == payload * 2


def test_two_messages_in_one_data_frame_and_one_cut_across_frames_on_a_streaming_call(connect):
    """Messages on a stream are split out wherever frames cut them (communicate carries the loader's
    requests this way)."""
    client = connect()
    first, second = (Request(tag="stream-%d" % n, params={"n": str(n)}).SerializeToString() for n in (1, 2))
    body = grpc_message(first) + grpc_message(second) + grpc_message(first)
    stream_id = client.request(COMMUNICATE, body, end=False, chunk=len(grpc_message(first)) + 3)
    client.barrier()
    assert not client.streams[stream_id].done  # communicate reads them and goes on; no error ended it


def test_padding_is_removed_from_data_frames_before_messages_are_read(connect):
    client = connect()
    communicate = open_communicate(client)
    payload = os.urandom(30000)

    def with_an_empty_padded_frame_first(frames):
        out = list(frames)
        index = next(i for i, frame in enumerate(out) if isinstance(frame, DataFrame))
        out.insert(index, raw_frame(DATA, PADDED, out[index].stream_id, bytes([10]) + b"\x00" * 10))
        return out

    body = grpc_message(once_request("padded", payload).SerializeToString())
    client.finish(client.request(ONCE, body, pad_length=200, chunk=1000, rewrite=with_an_empty_padded_frame_first))
    assert echoed(result(client, communicate, "padded")) == payload


def test_huffman_coded_and_indexed_headers_decode_over_many_requests_with_evictions(connect):
    client = connect()
    sent = len(client.sent_frames)
    metadata = [("user-agent", "grpc-go/1.60.1"), ("x-request-id", "request-0")]
    body = grpc_message(CheckRequest(service="").SerializeToString())
    for _ in range(2):
        assert serving(client.finish(client.request(CHECK, body, extra=metadata)))
    first, again = [frame.data for frame in client.sent_frames[sent:] if isinstance(frame, HeadersFrame)]
    assert len(first) < len(Encoder().encode(grpc_headers(CHECK, metadata), huffman=False))  # Huffman-coded
    assert len(again) * 3 < len(first)  # ... and the repeated fields went as dynamic-table indexes

    answered = 0
    for batch in range(15):  # 150 requests, 10 in flight at a time
        if batch == 5:
            client.h2.encoder.header_table_size = 256  # a dynamic table size update starts the next block
        if batch == 10:
            client.h2.encoder.header_table_size = 4096
        expected = {}
        for index in range(batch * 10, batch * 10 + 10):
            metadata = [
                ("user-agent", "grpc-go/1.60.1"),
                ("x-request-id", "request-%d" % index),
                ("x-filler", os.urandom(100).hex() if index % 4 == 0 else "same-as-before"),
            ]  # evictions
            if index % 3 == 2:  # the answer tells which :path the server decoded
                path = "/test.Missing/Call%d" % index
                expected[client.request(path, grpc_message(b""), extra=metadata)] = (UNIMPLEMENTED, path)
            else:
                expected[client.request(CHECK, body, extra=metadata)] = (OK, None)
        for stream_id, (code, path) in expected.items():
            answer = client.finish(stream_id)
            assert answer.grpc_status == code
            if path is not None:
                assert answer.grpc_message == "Method not found: " + path
            answered += 1
    assert answered == 150 and client.goaway is None


# --- 5. gRPC semantics -----------------------------------------------------------------------------------
def test_an_unknown_method_gets_a_trailers_only_response_with_status_unimplemented(connect):
    client = connect()
    answer = client.finish(client.request("/aiges.WrapperService/noSuchCall", grpc_message(b"")))
    assert answer.grpc_status == UNIMPLEMENTED
    assert answer.grpc_message == "Method not found: /aiges.WrapperService/noSuchCall"
    [frames] = answer.block_frames
    assert len(answer.blocks) == 1 and "END_STREAM" in frames[0].flags and not answer.data_frames
    assert dict(answer.blocks[0])[":status"] == "200"


@pytest.mark.parametrize(
    "method, content_type, http_status",
    [
        ("GET", "application/grpc", "405"),
        ("PUT", "application/grpc", "405"),
        ("POST", "application/json", "415"),
        ("POST", "text/plain", "415"),
    ],
)
def test_a_request_that_is_not_grpc_is_refused_with_an_http_status_and_grpc_status_internal(
    connect, method, content_type, http_status
):
    client = connect()
    body = None if method == "GET" else grpc_message(CheckRequest().SerializeToString())
    answer = client.finish(client.request(CHECK, body, method=method, content_type=content_type))
    assert dict(answer.blocks[0])[":status"] == http_status
    assert answer.grpc_status == INTERNAL and len(answer.blocks) == 1 and not answer.data_frames
    assert serving(check(client))


def test_content_type_application_grpc_plus_proto_is_grpc(connect):
    client = connect()
    body = grpc_message(CheckRequest().SerializeToString())
    assert serving(client.finish(client.request(CHECK, body, content_type="application/grpc+proto")))


def test_a_message_over_the_size_limit_is_resource_exhausted_and_the_connection_goes_on(connect):
    client = connect(settings={WINDOW: 4 << 20})
    client.grant(16 << 20)
    communicate = open_communicate(client)
    size = MAX_MESSAGE
    while len(once_request("at-limit", bytes(size)).SerializeToString()) > MAX_MESSAGE:
        size -= 1
    largest = once_request("at-limit", b"\xab" * size)
    body = largest.SerializeToString()
    assert len(body) == MAX_MESSAGE
    assert client.finish(client.request(ONCE, grpc_message(body))).grpc_status == OK
    assert echoed(result(client, communicate, "at-limit")) == largest.list[0].data

    too_large = client.finish(client.request(ONCE, grpc_message(b"\x00" * (MAX_MESSAGE + 1))))
    assert too_large.grpc_status == RESOURCE_EXHAUSTED
    assert "larger than max" in urllib.parse.unquote(too_large.grpc_message)
    assert serving(check(client))  # same connection


@pytest.mark.parametrize("encoding, compress", [("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_a_compressed_request_is_accepted(connect, encoding, compress):
    client = connect()
    communicate = open_communicate(client)
    payload = b"compress me " * 5000
    body = grpc_message(compress(once_request("zip-" + encoding, payload).SerializeToString()), compressed=True)
    answer = client.finish(client.request(ONCE, body, extra=[("grpc-encoding", encoding)]))
    assert answer.grpc_status == OK
    assert echoed(result(client, communicate, "zip-" + encoding)) == payload


def test_a_compressed_request_that_inflates_past_the_size_limit_is_resource_exhausted(connect):
    client = connect()
    bomb = gzip.compress(b"\x00" * (4 * MAX_MESSAGE))
    assert len(bomb) < 10000
    answer = client.finish(
        client.request(CHECK, grpc_message(bomb, compressed=True), extra=[("grpc-encoding", "gzip")])
    )
    assert answer.grpc_status == RESOURCE_EXHAUSTED
    assert serving(check(client))


def test_an_unsupported_compression_is_unimplemented(connect):
    client = connect()
    body = grpc_message(b"not really snappy", compressed=True)
    answer = client.finish(client.request(CHECK, body, extra=[("grpc-encoding", "snappy")]))
    assert answer.grpc_status == UNIMPLEMENTED and "snappy" in answer.grpc_message


@pytest.mark.parametrize("body", [b"", grpc_message(b"") * 2], ids=["no-message", "two-messages"])
def test_a_unary_call_needs_exactly_one_request_message(connect, body):
    client = connect()
    answer = client.finish(client.request(CHECK, body))
    assert answer.grpc_status == UNIMPLEMENTED and not answer.messages()
    assert serving(check(client))


def test_a_request_message_that_is_not_protobuf_is_internal(connect):
    client = connect()
    answer = client.finish(client.request(CHECK, grpc_message(b"\x0a\x05ab")))  # a field 5 bytes long, cut at 2
    assert answer.grpc_status == INTERNAL and "parse" in answer.grpc_message


def test_a_compressed_message_without_grpc_encoding_is_internal(connect):
    client = connect()
    answer = client.finish(client.request(CHECK, grpc_message(CheckRequest().SerializeToString(), compressed=True)))
    assert answer.grpc_status == INTERNAL and "grpc-encoding" in answer.grpc_message


def test_headers_on_a_stream_that_already_ended_get_stream_closed_and_the_connection_goes_on(connect):
    client = connect()
    first = client.request(CHECK, grpc_message(CheckRequest().SerializeToString()))
    assert client.finish(first).grpc_status == OK
    block = client.h2.encoder.encode(grpc_headers(CHECK))  # h2's encoder: still in step with the server
    client.send_raw(raw_frame(HEADERS, END_HEADERS | END_STREAM, first, block))
    client.wait(lambda: client.streams[first].reset is not None, "RST_STREAM for the closed stream")
    assert client.streams[first].reset == STREAM_CLOSED
    assert serving(check(client))


def test_headers_after_the_end_of_a_request_whose_answer_waits_reset_it_with_stream_closed(connect):
    """The request has ended (END_STREAM) but its answer is held back by a zero window, so the stream is
    still open on our side (half-closed, remote): more HEADERS on it are a stream error (RFC 9113 5.1),
    not a second end of the request."""
    client = connect(settings={WINDOW: 0})
    first = client.request(CHECK, grpc_message(CheckRequest().SerializeToString()))
    client.wait(lambda: client.streams[first].blocks, "the response headers (the message waits for window)")
    block = client.h2.encoder.encode([("x-late", "trailers")])  # h2's encoder: still in step with the server
    client.send_raw(raw_frame(HEADERS, END_HEADERS | END_STREAM, first, block))
    client.wait(lambda: client.streams[first].reset is not None, "RST_STREAM for the half-closed stream")
    assert client.streams[first].reset == STREAM_CLOSED and not client.streams[first].data
    client.update_settings({WINDOW: 1 << 20})
    assert serving(check(client))


def test_grpc_message_is_percent_encoded(connect):
    client = connect()
    answer = check(client, service="\u00fcnknown 100%")
    assert answer.grpc_status == NOT_FOUND
    assert answer.grpc_message == "unknown service '%C3%BCnknown 100%25'"
    assert urllib.parse.unquote(answer.grpc_message) == "unknown service '\u00fcnknown 100%'"


# --- 6. streams ending -----------------------------------------------------------------------------------
def test_results_after_the_client_cancels_communicate_arrive_on_its_next_communicate(connect, tmp_path):
    client = connect()
    first = open_communicate(client)
    send_once(client, "before-cancel", b"one")
    assert echoed(result(client, first, "before-cancel")) == b"one"
    gate = tmp_path / "gate"
    send_once(client, "in-flight", b"", {"mode": "gate", "gate": str(gate)})  # waits for the gate file

    client.reset(first, CANCEL)
    client.barrier()
    send_once(client, "no-stream-open", b"two")  # lands while no communicate is open (or just as one opens)
    second = open_communicate(client)
    assert echoed(result(client, second, "no-stream-open")) == b"two"
    gate.write_text("open")
    assert echoed(result(client, second, "in-flight")) == b"gate opened"
    assert {r.tag for r in results(client, first)} == {"before-cancel"}


def test_results_after_the_connection_closes_arrive_on_the_next_connections_communicate(connect, tmp_path):
    gone = connect()
    open_communicate(gone)
    gate = tmp_path / "gate"
    send_once(gone, "across-connections", b"", {"mode": "gate", "gate": str(gate)})
    gone.close()

    client = connect()
    communicate = open_communicate(client)
    client.barrier()
    gate.write_text("open")
    assert echoed(result(client, communicate, "across-connections")) == b"gate opened"


def test_a_result_still_waiting_for_window_when_communicate_is_cancelled_arrives_on_the_next_one(connect):
    client = connect(settings={WINDOW: 1000})
    client.grant(1 << 20)
    first = open_communicate(client)
    payload = os.urandom(50000)
    send_once(client, "stuck-behind-window", payload)
    client.wait(lambda: client.streams[first].received == 1000, "the first 1000 bytes")
    client.reset(first, CANCEL)  # the rest of the result never left the server
    second = open_communicate(client)
    client.grant(1 << 20, second)
    assert echoed(result(client, second, "stuck-behind-window", timeout=2)) == payload


# Loaded by the plugin's interpreter (sitecustomize): the thread that carries a stream's response headers
# reaches the connection 50 ms late, as a thread preempted at that point would. It makes a rare race certain.
SLOW_HEADERS = """
import time
from aiges.grpc.h2 import connection

_send = connection.Connection.send


def send(self, stream, block, data, trailers, *args, **kwargs):
    if block is not None and data is not None and trailers is None:  # response headers and a first message
        time.sleep(0.05)
    return _send(self, stream, block, data, trailers, *args, **kwargs)


connection.Connection.send = send
"""


def test_results_racing_onto_a_fresh_communicate_stream_all_follow_its_response_headers(wrapper_dir, spawn, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_HEADERS)
    plugin = spawn(
        wrapper_dir("echo"),
        args=["--workers", "2"],
        connect=False,
        PYTHONPATH=os.pathsep.join([str(RUNTIME_PARENT), str(site)]),
    )
    initialise(plugin.address)
    with Client(plugin.address) as client:
        communicate = open_communicate(client)
        stream = client.streams[communicate]
        for index in range(8):  # two wrapper workers produce these results at the same time
            client.request(ONCE, grpc_message(once_request("race-%d" % index, b"r" * 2000).SerializeToString()))
        client.wait(lambda: len(stream.complete_messages()) == 8, "the 8 results")
        kinds = [frame.type for frame in client.frames if frame.stream_id == communicate]
        assert kinds[0] == HEADERS and kinds.count(HEADERS) == 1, "frames on communicate: %s" % kinds
        assert client.h2_error is None, client.h2_error


def test_a_blocking_wrapper_call_is_answered_at_once_and_the_connection_is_read_meanwhile(connect, tmp_path):
    """The thread that read a once request may run its wrapper, but the connection's other thread reads
    on meanwhile: the call is answered while its wrapper waits, and health checks and more requests
    are served."""
    client = connect()
    communicate = open_communicate(client)
    send_once(client, "warm-up", b"w")
    result(client, communicate, "warm-up")
    gate = tmp_path / "gate"
    send_once(client, "blocked", b"", {"mode": "gate", "gate": str(gate)})  # answered while its wrapper waits
    assert serving(check(client))
    send_once(client, "meanwhile", b"m")
    assert echoed(result(client, communicate, "meanwhile")) == b"m"
    gate.write_text("open")
    assert echoed(result(client, communicate, "blocked")) == b"gate opened"


@pytest.mark.parametrize("with_result", [True, False], ids=["after-a-result", "trailers-only"])
def test_shutdown_ends_communicate_with_status_0_then_goaway_and_the_process_exits_0(own_server, with_result):
    client = Client(own_server.address)
    try:
        communicate = open_communicate(client)
        if with_result:
            send_once(client, "last", b"bye")
            assert echoed(result(client, communicate, "last")) == b"bye"
        assert client.unary("plugin.GRPCController", "Shutdown", MESSAGES["plugin.Empty"]()).grpc_status == OK
        client.read_until_closed()
        stream = client.streams[communicate]
        assert stream.ended and stream.grpc_status == OK  # a stream error would be fatal to the loader
        assert len(stream.blocks) == (2 if with_result else 1)
        # The loader never half-closes communicate: after the trailers the server may only say "stop sending"
        # (RST_STREAM NO_ERROR, RFC 9113 8.1), which ends nothing in error.
        assert stream.reset in (None, NO_ERROR)
        # GOAWAY(NO_ERROR) lets streams up to its last stream id finish (before or after it, RFC 9113 6.8)
        assert client.goaway is not None and client.goaway.error_code == NO_ERROR
        assert client.goaway.last_stream_id >= communicate
        assert client.h2_error is None, client.h2_error
    finally:
        client.close()
    assert own_server.wait_exit(10) == 0


def test_a_stream_opened_after_the_servers_goaway_is_not_processed(own_server):
    client = Client(own_server.address)
    try:
        keep_open = client.request(CHECK, end=False)  # an unfinished request keeps the server in its grace time
        client.barrier()
        client.request("/plugin.GRPCController/Shutdown", grpc_message(b""))
        client.wait(lambda: client.goaway is not None, "the server's GOAWAY")
        assert client.goaway.error_code == NO_ERROR and client.goaway.last_stream_id >= keep_open
        late = client.goaway.last_stream_id + 2
        block = client.h2.encoder.encode(grpc_headers(CHECK))  # h2's encoder: still in step with the server
        client.send_raw(
            raw_frame(HEADERS, END_HEADERS, late, block)
            + raw_frame(DATA, END_STREAM, late, grpc_message(CheckRequest().SerializeToString()))
        )
        client.read_until_closed()
        stream = client.streams.get(late)
        assert stream is None or (not stream.blocks and stream.reset is not None)  # ignored or refused
    finally:
        client.close()


# --- 7. protocol violations ------------------------------------------------------------------------------
def _open_stream(client):
    return client.request(CHECK, end=False)


def _header_block(client):
    return Encoder().encode(grpc_headers(CHECK))  # a fresh table: fine, the connection ends right after


VIOLATIONS = {
    "DATA on stream 0": (PROTOCOL_ERROR, lambda c: raw_frame(DATA, 0, 0, b"x")),
    "DATA on an idle stream": (PROTOCOL_ERROR, lambda c: raw_frame(DATA, 0, 99, b"x")),
    "HEADERS on an even stream": (PROTOCOL_ERROR, lambda c: raw_frame(HEADERS, END_HEADERS, 2, _header_block(c))),
    "HEADERS on stream 0": (PROTOCOL_ERROR, lambda c: raw_frame(HEADERS, END_HEADERS, 0, _header_block(c))),
    "WINDOW_UPDATE of 0 on the connection": (PROTOCOL_ERROR, lambda c: raw_frame(WINDOW_UPDATE, 0, 0, bytes(4))),
    "connection window over 2**31-1": (
        FLOW_CONTROL_ERROR,
        lambda c: raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_WINDOW)),
    ),
    "a frame over 16384 bytes": (FRAME_SIZE_ERROR, lambda c: raw_frame(DATA, 0, _open_stream(c), bytes(16385))),
    "PUSH_PROMISE": (
        PROTOCOL_ERROR,
        lambda c: raw_frame(PUSH_PROMISE, END_HEADERS, _open_stream(c), struct.pack(">I", 2) + _header_block(c)),
    ),
    "a header block interrupted by another frame": (
        PROTOCOL_ERROR,
        lambda c: (
            raw_frame(HEADERS, 0, c.h2.get_next_available_stream_id(), _header_block(c))
            + raw_frame(PING, 0, 0, bytes(8))
        ),
    ),
    "CONTINUATION without HEADERS": (
        PROTOCOL_ERROR,
        lambda c: raw_frame(CONTINUATION, END_HEADERS, 1, _header_block(c)),
    ),
    "PING of 7 bytes": (FRAME_SIZE_ERROR, lambda c: raw_frame(PING, 0, 0, bytes(7))),
    "PING on a stream": (PROTOCOL_ERROR, lambda c: raw_frame(PING, 0, 1, bytes(8))),
    "SETTINGS ACK with a payload": (FRAME_SIZE_ERROR, lambda c: raw_frame(SETTINGS, 0x1, 0, bytes(6))),
    "SETTINGS INITIAL_WINDOW_SIZE over 2**31-1": (
        FLOW_CONTROL_ERROR,
        lambda c: raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 2**31)),
    ),
    "SETTINGS MAX_FRAME_SIZE under 16384": (
        PROTOCOL_ERROR,
        lambda c: raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 5, 1000)),
    ),
    "GOAWAY on a stream": (PROTOCOL_ERROR, lambda c: raw_frame(GOAWAY, 0, 1, bytes(8))),  # RFC 9113 6.8
    "GOAWAY of 7 bytes": (FRAME_SIZE_ERROR, lambda c: raw_frame(GOAWAY, 0, 0, bytes(7))),  # RFC 9113 4.2
}


@pytest.mark.parametrize("violation", list(VIOLATIONS))
def test_a_protocol_violation_ends_the_connection_with_goaway(connect, violation):
    code, frames = VIOLATIONS[violation]
    client = connect()
    assert serving(check(client))
    client.send_raw(frames(client))
    client.read_until_closed()
    assert client.goaway is not None, "the server closed without GOAWAY"
    assert client.goaway.error_code == code
    assert isinstance(client.frames[-1], GoAwayFrame)  # and nothing after it
    assert serving(check(connect()))  # the server itself goes on


def server_threads(plugin):
    """Threads of the plugin's Python process (Linux /proc)."""
    pid = plugin.pid
    with open("/proc/%d/comm" % pid) as comm:
        if comm.read().strip() == "bash":  # bash did not exec the command: the server is its child
            with open("/proc/%d/task/%d/children" % (pid, pid)) as children:
                pid = int(children.read().split()[0])
    return len(os.listdir("/proc/%d/task" % pid))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux /proc")
def test_a_stream_the_server_resets_ends_its_call(own_server):
    before = server_threads(own_server)
    with Client(own_server.address) as client:
        for _ in range(10):
            stream_id = client.request(wire.service(WRAPPER)["testStream"].path, end=False)  # a thread each
            client.barrier()
            client.send_raw(raw_frame(WINDOW_UPDATE, 0, stream_id, bytes(4)))  # a stream error: RST_STREAM
            client.wait(lambda sid=stream_id: client.streams[sid].reset is not None, "RST_STREAM")
    deadline = time.monotonic() + 2
    while server_threads(own_server) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_threads(own_server) <= before


@pytest.mark.parametrize("increment, code", [(0, PROTOCOL_ERROR), (MAX_WINDOW, FLOW_CONTROL_ERROR)])
def test_a_bad_window_update_on_a_stream_resets_only_that_stream(connect, increment, code):
    client = connect()
    stream_id = _open_stream(client)
    client.send_raw(raw_frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment)))
    client.wait(lambda: client.streams[stream_id].reset is not None, "RST_STREAM")
    assert client.streams[stream_id].reset == code
    assert serving(check(client)) and client.goaway is None
    assert not [f for f in client.frames if f.type == GOAWAY]
