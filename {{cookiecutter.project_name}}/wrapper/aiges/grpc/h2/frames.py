"""HTTP/2 frame layout (RFC 9113 section 4 and 6): constants and the byte strings we send.

Only what a gRPC server needs. Every builder returns complete frames as ``bytes`` so a caller can
join several and hand them to the socket in one ``sendall``.
"""

import struct
from typing import List, Tuple, Union

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADER_SIZE = 9
DEFAULT_MAX_FRAME = 16384
DEFAULT_WINDOW = 65535
MAX_WINDOW = 2**31 - 1

# frame types
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)

# flags
END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# settings
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, MAX_HEADER_LIST_SIZE = (
    range(1, 7)
)

# error codes
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x2, 0x3
STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR = 0x5, 0x6, 0x7, 0x8, 0x9
ENHANCE_YOUR_CALM = 0xB

_HEAD = struct.Struct(">HBBBI")  # 24-bit length as (high 16, low 8), type, flags, stream id
_U32 = struct.Struct(">I")
_SETTING = struct.Struct(">HI")


class ConnectionError_(Exception):  # noqa: N801 - keeps clear of the builtin ConnectionError
    """The peer broke the protocol: the connection ends with GOAWAY(code)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def header(length: int, kind: int, flags: int, stream: int) -> bytes:
    return _HEAD.pack(length >> 8, length & 0xFF, kind, flags, stream)


def parse_header(buffer: Union[bytes, bytearray], offset: int) -> Tuple[int, int, int, int]:
    """(length, type, flags, stream id) of the frame header at ``offset``."""
    high, low, kind, flags, stream = _HEAD.unpack_from(buffer, offset)
    return (high << 8) | low, kind, flags, stream & 0x7FFFFFFF


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return header(len(payload), kind, flags, stream) + payload


def settings(values: List[tuple]) -> bytes:
    return frame(SETTINGS, 0, 0, b"".join(_SETTING.pack(key, value) for key, value in values))


def parse_settings(payload: bytes) -> List[tuple]:
    if len(payload) % 6:
        raise ConnectionError_(FRAME_SIZE_ERROR, "SETTINGS payload of %d bytes" % len(payload))
    return [_SETTING.unpack_from(payload, offset) for offset in range(0, len(payload), 6)]


SETTINGS_ACK = frame(SETTINGS, ACK, 0)


def window_update(stream: int, increment: int) -> bytes:
    return frame(WINDOW_UPDATE, 0, stream, _U32.pack(increment))


def parse_u32(payload: bytes) -> int:
    return _U32.unpack_from(payload, 0)[0] & 0x7FFFFFFF


def rst_stream(stream: int, code: int) -> bytes:
    return frame(RST_STREAM, 0, stream, _U32.pack(code))


def goaway(last_stream: int, code: int, debug: bytes = b"") -> bytes:
    return frame(GOAWAY, 0, 0, _U32.pack(last_stream) + _U32.pack(code) + debug)


def ping_ack(opaque: bytes) -> bytes:
    return frame(PING, ACK, 0, opaque)


def headers(stream: int, block: bytes, end_stream: bool, max_frame: int) -> bytes:
    """HEADERS, plus CONTINUATION frames when the block is larger than the peer's frame limit."""
    flags = END_STREAM if end_stream else 0
    if len(block) <= max_frame:
        return header(len(block), HEADERS, flags | END_HEADERS, stream) + block
    parts = [block[start : start + max_frame] for start in range(0, len(block), max_frame)]
    out = [header(len(parts[0]), HEADERS, flags, stream), parts[0]]
    for index, part in enumerate(parts[1:], 1):
        out.append(header(len(part), CONTINUATION, END_HEADERS if index == len(parts) - 1 else 0, stream))
        out.append(part)
    return b"".join(out)


def strip_padding(payload: memoryview, flags: int) -> memoryview:
    """The frame's data without the PADDED flag's length byte and padding."""
    if not flags & PADDED:
        return payload
    if not payload:
        raise ConnectionError_(PROTOCOL_ERROR, "PADDED frame without a pad length")
    pad = payload[0]
    if pad >= len(payload):
        raise ConnectionError_(PROTOCOL_ERROR, "padding longer than the frame")
    return payload[1 : len(payload) - pad]
