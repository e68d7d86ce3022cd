"""HPACK (RFC 7541) as our HTTP/2 server decodes and encodes it.

The decoder must reproduce the RFC's own examples (Appendix C), agree with an independent implementation
(python-hyper's ``hpack``) on whatever that implementation produces, Huffman code table included, and turn
every malformed block into ``HpackError``, which ends the connection with COMPRESSION_ERROR. The encoder is
stateless: any peer decodes its output, whatever dynamic table size that peer uses.
"""

from typing import List, Optional, Tuple

import hpack as hyper
import pytest
from aiges.grpc.h2 import hpack
from hpack.huffman import HuffmanEncoder
from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Header = Tuple[str, str]
PROPERTIES = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
huffman_encode = HuffmanEncoder(REQUEST_CODES, REQUEST_CODES_LENGTH).encode


def integer(value: int, prefix_bits: int, flags: int = 0) -> bytes:
    """RFC 7541 5.1 written out here, so the hand-built blocks below do not lean on the code under test."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([flags | value])
    out = [flags | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes([*out, value])


def from_bits(bits: str) -> bytes:
    """``"00011111"`` -> ``b"\\x1f"``: Huffman strings spelled out bit by bit."""
    assert len(bits) % 8 == 0, "whole octets only"
    return int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""


def huffman_value_block(data: bytes) -> bytes:
    """One field, literal name ``x`` (not indexed), whose value is the Huffman-coded ``data``."""
    return b"\x00\x01x" + integer(len(data), 7, 0x80) + data


def decode_huffman(data: bytes) -> str:
    """What our decoder makes of ``data`` as a Huffman-coded value."""
    [(name, value)] = hpack.Decoder().decode(huffman_value_block(data))
    assert name == "x"
    return value


def latin1(headers: List[Tuple[bytes, bytes]]) -> List[Header]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def table_octets(table: List[Header]) -> int:
    return sum(len(name) + len(value) + 32 for name, value in table)


# ---------------------------------------------------------------- RFC 7541 Appendix C


@pytest.mark.parametrize(
    ("block", "headers", "table"),
    [
        pytest.param(
            "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
            [("custom-key", "custom-header")],
            [("custom-key", "custom-header")],
            id="C.2.1 with indexing",
        ),
        pytest.param(
            "040c 2f73 616d 706c 652f 7061 7468", [(":path", "/sample/path")], [], id="C.2.2 without indexing"
        ),
        pytest.param(
            "1008 7061 7373 776f 7264 0673 6563 7265 74", [("password", "secret")], [], id="C.2.3 never indexed"
        ),
        pytest.param("82", [(":method", "GET")], [], id="C.2.4 indexed"),
    ],
)
def test_rfc_field_representations(block: str, headers: List[Header], table: List[Header]) -> None:
    decoder = hpack.Decoder()
    assert decoder.decode(bytes.fromhex(block)) == headers
    assert decoder.table == table
    assert decoder.table_size == table_octets(table)


REQUESTS = [
    (
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
        [(":authority", "www.example.com")],
        57,
    ),
    (
        [
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com"),
            ("cache-control", "no-cache"),
        ],
        [("cache-control", "no-cache"), (":authority", "www.example.com")],
        110,
    ),
    (
        [
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        ],
        [("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com")],
        164,
    ),
]
C3_REQUESTS = [
    "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "8286 84be 5808 6e6f 2d63 6163 6865",
    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
]
C4_REQUESTS_HUFFMAN = [
    "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    "8286 84be 5886 a8eb 1064 9cbf",
    "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
]


@pytest.mark.parametrize("blocks", [C3_REQUESTS, C4_REQUESTS_HUFFMAN], ids=["C.3 plain", "C.4 Huffman"])
def test_rfc_request_sequence_shares_one_dynamic_table(blocks: List[str]) -> None:
    decoder = hpack.Decoder()
    for block, (headers, table, size) in zip(blocks, REQUESTS):
        assert decoder.decode(bytes.fromhex(block)) == headers
        assert decoder.table == table
        assert decoder.table_size == size


DATE_21 = ("date", "Mon, 21 Oct 2013 20:13:21 GMT")
LOCATION = ("location", "https://www.example.com")
PRIVATE = ("cache-control", "private")
COOKIE = ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")
RESPONSES = [
    ([(":status", "302"), PRIVATE, DATE_21, LOCATION], [LOCATION, DATE_21, PRIVATE, (":status", "302")], 222),
    ([(":status", "307"), PRIVATE, DATE_21, LOCATION], [(":status", "307"), LOCATION, DATE_21, PRIVATE], 222),
    (
        [
            (":status", "200"),
            PRIVATE,
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            LOCATION,
            ("content-encoding", "gzip"),
            COOKIE,
        ],
        [COOKIE, ("content-encoding", "gzip"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT")],
        215,
    ),
]
C5_RESPONSES = [
    "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120"
    " 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "4803 3330 37c1 c0bf",
    "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738"
    " 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33"
    " 3630 303b 2076 6572 7369 6f6e 3d31",
]
C6_RESPONSES_HUFFMAN = [
    "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718"
    " 63c7 8f0b 97c8 e9ae 82ae 43d3",
    "4883 640e ffc1 c0bf",
    "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7"
    " b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
]


@pytest.mark.parametrize("blocks", [C5_RESPONSES, C6_RESPONSES_HUFFMAN], ids=["C.5 plain", "C.6 Huffman"])
def test_rfc_response_sequence_evicts_oldest_entries_from_a_256_octet_table(blocks: List[str]) -> None:
    decoder = hpack.Decoder(max_table_size=256)
    for block, (headers, table, size) in zip(blocks, RESPONSES):
        assert decoder.decode(bytes.fromhex(block)) == headers
        assert decoder.table == table
        assert decoder.table_size == size


# ---------------------------------------------------------------- the dynamic table


def test_an_entry_costs_its_octets_plus_32_and_the_oldest_go_first() -> None:
    decoder = hpack.Decoder(max_table_size=100)
    decoder.decode(b"\x40\x01a\x01A" + b"\x40\x01b\x01B")  # 34 octets each: 68
    assert decoder.table == [("b", "B"), ("a", "A")]
    assert decoder.table_size == 68
    decoder.decode(b"\x40\x01c\x01C")  # 102 > 100: "a" makes room
    assert decoder.table == [("c", "C"), ("b", "B")]
    decoder.decode(b"\x40\x01d\x28" + b"D" * 40)  # 73 octets: only this one fits
    assert decoder.table == [("d", "D" * 40)]
    assert decoder.table_size == 73


def test_an_entry_exactly_as_large_as_the_table_fills_it() -> None:
    decoder = hpack.Decoder(max_table_size=40)
    decoder.decode(b"\x40\x01a\x07" + b"A" * 7)
    assert decoder.table == [("a", "A" * 7)]
    assert decoder.table_size == 40


def test_an_entry_larger_than_the_table_empties_it_and_is_still_a_header() -> None:
    decoder = hpack.Decoder(max_table_size=64)
    decoder.decode(b"\x40\x01a\x01A")
    assert decoder.decode(b"\x40\x01b\x28" + b"B" * 40) == [("b", "B" * 40)]
    assert decoder.table == []
    assert decoder.table_size == 0


def test_a_literal_may_name_the_entry_its_own_insertion_evicts() -> None:
    """RFC 7541 4.4: the name is taken before the old entry is evicted."""
    decoder = hpack.Decoder(max_table_size=40)
    decoder.decode(b"\x40\x03abc\x02xy")  # 37 octets
    assert decoder.decode(b"\x7e\x03zzz") == [("abc", "zzz")]  # index 62 names "abc"; adding it evicts it
    assert decoder.table == [("abc", "zzz")]


def test_dynamic_entries_are_indexed_newest_first_after_the_static_table() -> None:
    decoder = hpack.Decoder()
    decoder.decode(b"\x40\x01a\x01A" + b"\x40\x01b\x01B")
    assert decoder.decode(b"\xbe\xbf\x82") == [("b", "B"), ("a", "A"), (":method", "GET")]


def test_literals_without_indexing_and_never_indexed_leave_the_table_alone() -> None:
    decoder = hpack.Decoder()
    assert decoder.decode(b"\x00\x01a\x01A" + b"\x10\x01b\x01B" + b"\x0f\x10\x01C") == [
        ("a", "A"),
        ("b", "B"),
        ("content-type", "C"),
    ]  # 0x0f 0x10: name index 31 with a 4-bit prefix
    assert decoder.table == []


def test_size_updates_at_the_start_of_a_block_shrink_and_regrow_the_table() -> None:
    decoder = hpack.Decoder()
    decoder.decode(b"\x40\x01a\x01A")
    assert decoder.decode(b"\x20" + integer(4096, 5, 0x20) + b"\x82") == [(":method", "GET")]
    assert decoder.table == []  # the update to 0 evicted everything
    assert decoder.table_max_size == 4096
    decoder.decode(b"\x40\x01a\x01A" + b"\x40\x01b\x01B")
    decoder.decode(integer(40, 5, 0x20))  # a block may hold nothing but the update
    assert decoder.table == [("b", "B")]
    assert decoder.table_max_size == 40


def test_a_lowered_limit_is_met_by_the_peers_size_update() -> None:
    decoder = hpack.Decoder()
    decoder.max_allowed_table_size = 1024
    assert decoder.decode(integer(1024, 5, 0x20) + b"\x82") == [(":method", "GET")]
    assert decoder.table_max_size == 1024


def test_latin1_octets_come_back_unchanged() -> None:
    value = bytes(range(256))
    block = b"\x00\x01x" + integer(256, 7) + value + huffman_value_block(huffman_encode(value))
    assert hpack.Decoder().decode(block) == [("x", value.decode("latin-1"))] * 2


def test_an_empty_block_is_an_empty_header_list() -> None:
    assert hpack.Decoder().decode(b"") == []


# ---------------------------------------------------------------- Huffman code (Appendix B) against python-hyper


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b":", b"zz0", b"\x00"])
def test_every_octet_symbol_decodes_at_every_alignment(prefix: bytes) -> None:
    """Each prefix shifts the symbol's code to a different bit position within the octets."""
    for symbol in range(256):
        text = prefix + bytes([symbol]) * 3
        assert decode_huffman(huffman_encode(text)) == text.decode("latin-1"), "symbol %d" % symbol


def test_the_eos_symbol_is_an_error_wherever_it_appears() -> None:
    eos = format(REQUEST_CODES[256], "0%db" % REQUEST_CODES_LENGTH[256])
    assert eos == "1" * 30
    with pytest.raises(hpack.HpackError, match="EOS"):
        decode_huffman(from_bits(eos + "11"))
    with pytest.raises(hpack.HpackError, match="EOS"):
        decode_huffman(from_bits("00011" + eos + "00011"))  # "a" EOS "a": exactly 40 bits


@PROPERTIES
@given(st.binary(max_size=200))
def test_random_octets_huffman_coded_by_hyper_decode_identically(data: bytes) -> None:
    assert decode_huffman(huffman_encode(data)) == data.decode("latin-1")


def test_huffman_padding_of_up_to_seven_ones_is_accepted() -> None:
    for pad in range(8):
        bits = "00011" * (pad + 1)  # "a" repeated so the padding needed is 0-7 bits long
        bits += "1" * (-len(bits) % 8)
        assert decode_huffman(from_bits(bits)) == "a" * (pad + 1)


# ---------------------------------------------------------------- blocks from python-hyper's stateful encoder

OCTETS = st.binary(max_size=24)
NAMES = st.one_of(
    st.sampled_from(
        [
            b":method",
            b":path",
            b":authority",
            b"content-type",
            b"user-agent",
            b"grpc-timeout",
            b"te",
            b"x-custom",
            b"www-authenticate",
        ]
    ),
    OCTETS,
)
VALUES = st.one_of(
    st.sampled_from([b"", b"GET", b"POST", b"/", b"application/grpc", b"trailers", b"100m"]), st.binary(max_size=300)
)


@st.composite
def header_blocks(draw: st.DrawFn) -> List[Tuple[Optional[int], bool, List[Tuple[bytes, bytes, bool]]]]:
    """Blocks of (new table size or None, Huffman?, headers); headers repeat across blocks, as real ones do."""
    pool = draw(st.lists(st.tuples(NAMES, VALUES), min_size=1, max_size=10))
    header = st.tuples(st.sampled_from(pool), st.booleans()).map(lambda pair: (*pair[0], pair[1]))
    sizes = st.one_of(st.none(), st.none(), st.integers(0, 8192), st.sampled_from([0, 64, 256, 4096]))
    return draw(st.lists(st.tuples(sizes, st.booleans(), st.lists(header, max_size=12)), min_size=1, max_size=8))


@PROPERTIES
@given(header_blocks())
def test_blocks_from_an_independent_stateful_encoder_decode_identically(
    blocks: List[Tuple[Optional[int], bool, List[Tuple[bytes, bytes, bool]]]],
) -> None:
    encoder = hyper.Encoder()
    decoder = hpack.Decoder()
    decoder.max_allowed_table_size = 8192
    for size, huffman, headers in blocks:
        if size is not None:
            encoder.header_table_size = size
        block = encoder.encode(headers, huffman=huffman)
        assert decoder.decode(block) == latin1([(name, value) for name, value, _ in headers])
        assert decoder.table == latin1(list(encoder.header_table.dynamic_entries))
        assert decoder.table_max_size == encoder.header_table_size
        assert decoder.table_size == table_octets(decoder.table)


# ---------------------------------------------------------------- encode()

LATIN1 = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=40)
STATIC_FIELDS = [
    (":method", "GET"),
    (":path", "/"),
    (":status", "200"),
    (":status", "500"),
    ("accept-encoding", "gzip, deflate"),
    ("content-type", ""),
    ("www-authenticate", ""),
]
STATIC_NAMES = [
    ":authority",
    ":path",
    ":status",
    "content-type",
    "user-agent",
    "www-authenticate",
    "te",
    "grpc-status",
    "grpc-message",
]
ENCODABLE = st.one_of(
    st.sampled_from(STATIC_FIELDS), st.tuples(st.sampled_from(STATIC_NAMES), LATIN1), st.tuples(LATIN1, LATIN1)
)


@PROPERTIES
@given(st.lists(ENCODABLE, max_size=12))
def test_encoded_blocks_decode_anywhere_even_without_a_dynamic_table(headers: List[Header]) -> None:
    block = hpack.encode(headers)
    theirs = hyper.Decoder()
    theirs.header_table_size = 0  # any reference to a dynamic table would fail here
    assert latin1(theirs.decode(block, raw=True)) == headers
    ours = hpack.Decoder()
    assert ours.decode(block) == headers
    assert ours.table == []  # nothing was indexed


def test_static_table_fields_encode_as_one_octet_and_others_as_plain_literals() -> None:
    assert hpack.encode([(":status", "200")]) == b"\x88"
    assert hpack.encode([(":method", "POST"), (":scheme", "http")]) == b"\x83\x86"
    # name index 31 (content-type) without indexing: 4-bit prefix 15, then 16; the value is not Huffman-coded
    assert hpack.encode([("content-type", "application/grpc")]) == b"\x0f\x10\x10application/grpc"
    assert hpack.encode([("grpc-status", "0")]) == b"\x00\x0bgrpc-status\x010"


def test_encoding_a_long_value_uses_a_multi_octet_length() -> None:
    value = "v" * 300
    block = hpack.encode([("x-long", value)])
    assert block[:9] == b"\x00\x06x-long\x7f"
    assert hpack.Decoder().decode(block) == [("x-long", value)]


def test_characters_outside_latin1_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="latin-1"):
        hpack.encode([("grpc-message", "caf\u00e9 \u2603")])
    with pytest.raises(ValueError, match="latin-1"):
        hpack.encode([("\u2603", "x")])


# ---------------------------------------------------------------- malformed blocks


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        pytest.param(b"\x80", "index 0", id="indexed field 0"),
        pytest.param(b"\x40\x01a\x01A\x80", "index 0", id="index 0 after a valid field"),
        pytest.param(b"\xbe", "beyond the dynamic table", id="index 62 with an empty dynamic table"),
        pytest.param(b"\x40\x01a\x01A\xbf", "beyond the dynamic table", id="index 63 with one entry"),
        pytest.param(b"\x7e\x01v", "beyond the dynamic table", id="literal naming a missing entry"),
        pytest.param(b"\x0f\x2f\x01v", "beyond the dynamic table", id="unindexed literal naming a missing entry"),
        pytest.param(integer(2**31 - 1, 7, 0x80), "beyond the dynamic table", id="largest integer is only an index"),
        pytest.param(integer(2**31, 7, 0x80), "integer too large", id="integer over 2**31 - 1"),
        pytest.param(b"\xff\xff\xff\xff\xff\x0f", "integer too large", id="integer far too large"),
        pytest.param(b"\xff\x80\x80\x80\x80\x80\x00", "integer encoding too long", id="integer padded with zeros"),
        pytest.param(b"\x82\x20", "after a header field", id="size update after a field"),
        pytest.param(b"\x3f\xe2\x1f", "above the allowed 4096", id="size update to 4097"),
        pytest.param(b"\xff", "truncated", id="integer cut short"),
        pytest.param(b"\x40", "truncated", id="literal without its name"),
        pytest.param(b"\x40\x05abc", "truncated", id="name cut short"),
        pytest.param(b"\x41", "truncated", id="literal without its value"),
        pytest.param(b"\x00\x01a", "truncated", id="unindexed literal without its value"),
        pytest.param(b"\x00\x01a\x82", "truncated", id="Huffman value cut short"),
        pytest.param(b"\x00\x01a\x7f", "truncated", id="value length cut short"),
        pytest.param(huffman_value_block(from_bits("00011" + "1" * 11)), "padding", id="padding of 11 bits"),
        pytest.param(huffman_value_block(b"\xff"), "padding", id="padding of a whole octet"),
        pytest.param(huffman_value_block(from_bits("00011" + "110")), "padding", id="padding not all ones"),
        pytest.param(huffman_value_block(from_bits("00000" + "000")), "padding", id="padding of zeros"),
        pytest.param(huffman_value_block(b"\xff\xff\xff\xff"), "EOS", id="EOS symbol"),
    ],
)
def test_malformed_blocks_are_compression_errors(block: bytes, reason: str) -> None:
    with pytest.raises(hpack.HpackError, match=reason):
        hpack.Decoder().decode(block)


def test_a_size_update_above_a_lowered_limit_is_an_error() -> None:
    decoder = hpack.Decoder()
    decoder.max_allowed_table_size = 1024
    with pytest.raises(hpack.HpackError, match="above the allowed 1024"):
        decoder.decode(integer(2048, 5, 0x20))


def test_a_peer_that_ignores_a_lowered_limit_is_an_error() -> None:
    decoder = hpack.Decoder()
    decoder.max_allowed_table_size = 1024
    with pytest.raises(hpack.HpackError, match="not shrunk"):
        decoder.decode(b"\x82")


def test_malformed_strings_are_never_remembered_as_valid() -> None:
    """The decoded-string cache is keyed by the coded octets: a bad string must fail every time."""
    bad = huffman_value_block(from_bits("00011" + "110"))
    for _ in range(3):
        with pytest.raises(hpack.HpackError, match="padding"):
            hpack.Decoder().decode(bad)


def test_a_cached_string_decodes_the_same_in_another_connection() -> None:
    block = huffman_value_block(huffman_encode(b"/aiges.WrapperService/wrapperOnceExec"))
    first, second = hpack.Decoder().decode(block), hpack.Decoder().decode(block)
    assert first == second == [("x", "/aiges.WrapperService/wrapperOnceExec")]
