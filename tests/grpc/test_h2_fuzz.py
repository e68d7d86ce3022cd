"""Frame-level fuzzing of the built-in HTTP/2 transport: whatever frames a peer sends after a valid
preface, the server answers with well-formed frames, either goes on (a PING is still answered) or ends
the connection with GOAWAY as its last frame, and keeps serving everybody else.

Hypothesis builds the frame sequences from a mix of plausible frames (a real gRPC request's header
block, whole or cut, DATA with a gRPC message, SETTINGS, WINDOW_UPDATE, RST_STREAM, PING, PRIORITY)
and arbitrary ones (any type, flags, stream id and payload). The run is derandomized and bounded so
it costs a few seconds in CI; ``AIGES_FUZZ_EXAMPLES`` raises the budget for a longer local run.
"""

import os
import struct

import fakehost
import pytest
from conftest import plugin_env
from h2client import (
    CONTINUATION,
    DATA,
    GOAWAY,
    HEADERS,
    PING,
    PREFACE,
    PRIORITY,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
    connect,
    grpc_headers,
    grpc_message,
    raw_frame,
)
from hpack import Encoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_h2_protocol import CHECK, CheckRequest, echo_folder, serving

EXAMPLES = int(os.environ.get("AIGES_FUZZ_EXAMPLES", "300"))
BARRIER = b"fuzzdone"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    plugin = fakehost.Plugin(
        fakehost.python_command(args=["--max-message-mb", "1"]),
        str(echo_folder(tmp_path_factory.mktemp("fuzz"))),
        env=plugin_env(),
    )
    plugin.start()
    try:
        yield plugin
    finally:
        plugin.close()


# --- what the fuzzer sends -----------------------------------------------------------------------------
def _block():
    encoder = Encoder()
    encoder.header_table_size = 0  # nothing indexed: every copy of the block decodes the same
    return b"\x20" + encoder.encode(grpc_headers(CHECK)).lstrip(b"\x20")


BLOCK = _block()
MESSAGE = grpc_message(CheckRequest(service="plugin").SerializeToString())
stream_ids = st.one_of(st.sampled_from([0, 1, 3, 5, 7, 2, 0x7FFFFFFF]), st.integers(0, 2**31 - 1))
flags = st.one_of(st.sampled_from([0, 0x1, 0x4, 0x5, 0x8, 0x20, 0x24, 0x25]), st.integers(0, 255))
payloads = st.binary(max_size=48)

plausible = st.one_of(
    st.builds(lambda s, f, cut: raw_frame(HEADERS, f, s, BLOCK[:cut]), stream_ids, flags, st.integers(0, len(BLOCK))),
    st.builds(lambda s, f, p: raw_frame(CONTINUATION, f, s, p), stream_ids, flags, st.one_of(st.just(BLOCK), payloads)),
    st.builds(lambda s, f: raw_frame(DATA, f, s, MESSAGE), stream_ids, flags),
    st.builds(
        lambda entries: raw_frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in entries)),
        st.lists(st.tuples(st.integers(0, 8), st.integers(0, 2**32 - 1)), max_size=4),
    ),
    st.builds(lambda s, n: raw_frame(WINDOW_UPDATE, 0, s, struct.pack(">I", n)), stream_ids, st.integers(0, 2**32 - 1)),
    st.builds(lambda s, c: raw_frame(RST_STREAM, 0, s, struct.pack(">I", c)), stream_ids, st.integers(0, 20)),
    st.builds(lambda f, p: raw_frame(PING, f, 0, p), flags, st.binary(min_size=8, max_size=8)),
    st.builds(lambda s, p: raw_frame(PRIORITY, 0, s, p), stream_ids, st.binary(min_size=5, max_size=5)),
)
arbitrary = st.builds(lambda t, f, s, p: raw_frame(t, f, s, p), st.integers(0, 255), flags, stream_ids, payloads)
frame_lists = st.lists(st.one_of(plausible, plausible, arbitrary), min_size=1, max_size=12)


# --- reading what the server answers -------------------------------------------------------------------
def exchange(address, data):
    """Send the preface, an empty SETTINGS, ``data`` and a PING; return (frames, closed) where frames are
    (type, flags, stream, payload) as read until the PING's ACK or the end of the connection."""
    with connect(address, timeout=10) as sock:
        try:
            sock.sendall(PREFACE + raw_frame(SETTINGS, 0, 0) + data + raw_frame(PING, 0, 0, BARRIER))
        except OSError:
            pass  # the server may close while we send; what it sent before still counts
        buffer, frames, closed = b"", [], False
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                closed = True
                break
            buffer += chunk
            while len(buffer) >= 9:
                length = int.from_bytes(buffer[:3], "big")
                if len(buffer) < 9 + length:
                    break
                kind, flag = buffer[3], buffer[4]
                stream = struct.unpack(">I", buffer[5:9])[0]
                frames.append((kind, flag, stream, buffer[9 : 9 + length]))
                buffer = buffer[9 + length :]
            if any(f[0] == PING and f[1] & 1 and f[3] == BARRIER for f in frames):
                break
        assert not closed or not buffer, "the connection ended inside a frame: %r" % buffer[:32]
        return frames, closed


def check_answer(frames, closed):
    assert frames and frames[0][0] == SETTINGS and not frames[0][1] & 1, "the server's first frame is its SETTINGS"
    for kind, flag, stream, payload in frames:
        assert stream & 0x80000000 == 0, "reserved bit set"
        assert len(payload) <= 16384, "a frame larger than the client's limit"
        if kind == GOAWAY:
            assert stream == 0 and len(payload) >= 8
        elif kind == RST_STREAM:
            assert stream != 0 and len(payload) == 4
        elif kind == PING:
            assert stream == 0 and len(payload) == 8 and flag & 1
        elif kind == SETTINGS:
            assert stream == 0 and (len(payload) % 6 == 0) and not (flag & 1 and payload)
        elif kind in (HEADERS, DATA, CONTINUATION):
            assert stream % 2 == 1, "an answer on a stream the client cannot have opened"
    goaways = [index for index, frame in enumerate(frames) if frame[0] == GOAWAY]
    if closed:
        assert goaways, "the server closed the connection without GOAWAY"
        code = struct.unpack(">I", frames[goaways[0]][3][4:8])[0]
        assert code in (0x1, 0x3, 0x6, 0x9, 0xB), "GOAWAY with code %d" % code  # RFC 9113 7
        assert goaways[0] == len(frames) - 1, "frames after GOAWAY"
    else:
        assert not goaways, "GOAWAY but the connection stayed open"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame_lists)
def test_any_frame_sequence_gets_a_well_formed_answer_and_the_server_goes_on(server, frames):
    check_answer(*exchange(server.address, b"".join(frames)))
    assert server.proc.poll() is None, server.stderr()


def test_after_the_fuzzing_the_server_serves_a_well_behaved_client(server):
    from h2client import Client

    with Client(server.address) as client:
        assert serving(client.unary("grpc.health.v1.Health", "Check", CheckRequest()))
        assert client.h2_error is None, client.h2_error
