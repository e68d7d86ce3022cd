"""HPACK header compression (RFC 7541): a strict decoder and a stateless encoder.

The decoder keeps the peer's dynamic table and rejects every malformed block with ``HpackError``
(the connection then fails with COMPRESSION_ERROR). It sits on every request, so Huffman strings are
decoded with a byte-wise state machine built once at import and recently seen strings are cached.

The encoder never indexes and never Huffman-codes: its output is valid for any table size the peer
chooses, and response headers are few and short, so compression would buy little.
"""

from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Tuple

Header = Tuple[str, str]

ENTRY_OVERHEAD = 32  # RFC 7541 4.1: every dynamic table entry costs its octets plus 32
DEFAULT_TABLE_SIZE = 4096
MAX_INTEGER = 2**31 - 1  # no field of a sane header block comes near this
_MAX_CONTINUATION_BYTES = 5  # 5 * 7 bits cover MAX_INTEGER; a longer integer is malformed


class HpackError(Exception):
    """A malformed header block: the connection must fail with COMPRESSION_ERROR (RFC 9113 4.3)."""


# RFC 7541 Appendix A; index 0 is not a valid index and only pads the tuple so indices map directly.
STATIC_TABLE: Tuple[Header, ...] = (
    ("", ""),
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
)
STATIC_COUNT = len(STATIC_TABLE) - 1  # 61; dynamic indices start right after

# RFC 7541 Appendix B: (code, bit length) for octets 0-255 and EOS (256).
HUFFMAN_CODES: Tuple[Tuple[int, int], ...] = (
    (0x1FF8, 13),
    (0x7FFFD8, 23),
    (0xFFFFFE2, 28),
    (0xFFFFFE3, 28),  # 0-3
    (0xFFFFFE4, 28),
    (0xFFFFFE5, 28),
    (0xFFFFFE6, 28),
    (0xFFFFFE7, 28),  # 4-7
    (0xFFFFFE8, 28),
    (0xFFFFEA, 24),
    (0x3FFFFFFC, 30),
    (0xFFFFFE9, 28),  # 8-11
    (0xFFFFFEA, 28),
    (0x3FFFFFFD, 30),
    (0xFFFFFEB, 28),
    (0xFFFFFEC, 28),  # 12-15
    (0xFFFFFED, 28),
    (0xFFFFFEE, 28),
    (0xFFFFFEF, 28),
    (0xFFFFFF0, 28),  # 16-19
    (0xFFFFFF1, 28),
    (0xFFFFFF2, 28),
    (0x3FFFFFFE, 30),
    (0xFFFFFF3, 28),  # 20-23
    (0xFFFFFF4, 28),
    (0xFFFFFF5, 28),
    (0xFFFFFF6, 28),
    (0xFFFFFF7, 28),  # 24-27
    (0xFFFFFF8, 28),
    (0xFFFFFF9, 28),
    (0xFFFFFFA, 28),
    (0xFFFFFFB, 28),  # 28-31
    (0x14, 6),
    (0x3F8, 10),
    (0x3F9, 10),
    (0xFFA, 12),  # ' ' ! " #
    (0x1FF9, 13),
    (0x15, 6),
    (0xF8, 8),
    (0x7FA, 11),  # $ % & '
    (0x3FA, 10),
    (0x3FB, 10),
    (0xF9, 8),
    (0x7FB, 11),  # ( ) * +
    (0xFA, 8),
    (0x16, 6),
    (0x17, 6),
    (0x18, 6),  # , - . /
    (0x0, 5),
    (0x1, 5),
    (0x2, 5),
    (0x19, 6),  # 0 1 2 3
    (0x1A, 6),
    (0x1B, 6),
    (0x1C, 6),
    (0x1D, 6),  # 4 5 6 7
    (0x1E, 6),
    (0x1F, 6),
    (0x5C, 7),
    (0xFB, 8),  # 8 9 : ;
    (0x7FFC, 15),
    (0x20, 6),
    (0xFFB, 12),
    (0x3FC, 10),  # < = > ?
    (0x1FFA, 13),
    (0x21, 6),
    (0x5D, 7),
    (0x5E, 7),  # @ A B C
    (0x5F, 7),
    (0x60, 7),
    (0x61, 7),
    (0x62, 7),  # D E F G
    (0x63, 7),
    (0x64, 7),
    (0x65, 7),
    (0x66, 7),  # H I J K
    (0x67, 7),
    (0x68, 7),
    (0x69, 7),
    (0x6A, 7),  # L M N O
    (0x6B, 7),
    (0x6C, 7),
    (0x6D, 7),
    (0x6E, 7),  # P Q R S
    (0x6F, 7),
    (0x70, 7),
    (0x71, 7),
    (0x72, 7),  # T U V W
    (0xFC, 8),
    (0x73, 7),
    (0xFD, 8),
    (0x1FFB, 13),  # X Y Z [
    (0x7FFF0, 19),
    (0x1FFC, 13),
    (0x3FFC, 14),
    (0x22, 6),  # \ ] ^ _
    (0x7FFD, 15),
    (0x3, 5),
    (0x23, 6),
    (0x4, 5),  # ` a b c
    (0x24, 6),
    (0x5, 5),
    (0x25, 6),
    (0x26, 6),  # d e f g
    (0x27, 6),
    (0x6, 5),
    (0x74, 7),
    (0x75, 7),  # h i j k
    (0x28, 6),
    (0x29, 6),
    (0x2A, 6),
    (0x7, 5),  # l m n o
    (0x2B, 6),
    (0x76, 7),
    (0x2C, 6),
    (0x8, 5),  # p q r s
    (0x9, 5),
    (0x2D, 6),
    (0x77, 7),
    (0x78, 7),  # t u v w
    (0x79, 7),
    (0x7A, 7),
    (0x7B, 7),
    (0x7FFE, 15),  # x y z {
    (0x7FC, 11),
    (0x3FFD, 14),
    (0x1FFD, 13),
    (0xFFFFFFC, 28),  # | } ~ DEL
    (0xFFFE6, 20),
    (0x3FFFD2, 22),
    (0xFFFE7, 20),
    (0xFFFE8, 20),  # 128-131
    (0x3FFFD3, 22),
    (0x3FFFD4, 22),
    (0x3FFFD5, 22),
    (0x7FFFD9, 23),  # 132-135
    (0x3FFFD6, 22),
    (0x7FFFDA, 23),
    (0x7FFFDB, 23),
    (0x7FFFDC, 23),  # 136-139
    (0x7FFFDD, 23),
    (0x7FFFDE, 23),
    (0xFFFFEB, 24),
    (0x7FFFDF, 23),  # 140-143
    (0xFFFFEC, 24),
    (0xFFFFED, 24),
    (0x3FFFD7, 22),
    (0x7FFFE0, 23),  # 144-147
    (0xFFFFEE, 24),
    (0x7FFFE1, 23),
    (0x7FFFE2, 23),
    (0x7FFFE3, 23),  # 148-151
    (0x7FFFE4, 23),
    (0x1FFFDC, 21),
    (0x3FFFD8, 22),
    (0x7FFFE5, 23),  # 152-155
    (0x3FFFD9, 22),
    (0x7FFFE6, 23),
    (0x7FFFE7, 23),
    (0xFFFFEF, 24),  # 156-159
    (0x3FFFDA, 22),
    (0x1FFFDD, 21),
    (0xFFFE9, 20),
    (0x3FFFDB, 22),  # 160-163
    (0x3FFFDC, 22),
    (0x7FFFE8, 23),
    (0x7FFFE9, 23),
    (0x1FFFDE, 21),  # 164-167
    (0x7FFFEA, 23),
    (0x3FFFDD, 22),
    (0x3FFFDE, 22),
    (0xFFFFF0, 24),  # 168-171
    (0x1FFFDF, 21),
    (0x3FFFDF, 22),
    (0x7FFFEB, 23),
    (0x7FFFEC, 23),  # 172-175
    (0x1FFFE0, 21),
    (0x1FFFE1, 21),
    (0x3FFFE0, 22),
    (0x1FFFE2, 21),  # 176-179
    (0x7FFFED, 23),
    (0x3FFFE1, 22),
    (0x7FFFEE, 23),
    (0x7FFFEF, 23),  # 180-183
    (0xFFFEA, 20),
    (0x3FFFE2, 22),
    (0x3FFFE3, 22),
    (0x3FFFE4, 22),  # 184-187
    (0x7FFFF0, 23),
    (0x3FFFE5, 22),
    (0x3FFFE6, 22),
    (0x7FFFF1, 23),  # 188-191
    (0x3FFFFE0, 26),
    (0x3FFFFE1, 26),
    (0xFFFEB, 20),
    (0x7FFF1, 19),  # 192-195
    (0x3FFFE7, 22),
    (0x7FFFF2, 23),
    (0x3FFFE8, 22),
    (0x1FFFFEC, 25),  # 196-199
    (0x3FFFFE2, 26),
    (0x3FFFFE3, 26),
    (0x3FFFFE4, 26),
    (0x7FFFFDE, 27),  # 200-203
    (0x7FFFFDF, 27),
    (0x3FFFFE5, 26),
    (0xFFFFF1, 24),
    (0x1FFFFED, 25),  # 204-207
    (0x7FFF2, 19),
    (0x1FFFE3, 21),
    (0x3FFFFE6, 26),
    (0x7FFFFE0, 27),  # 208-211
    (0x7FFFFE1, 27),
    (0x3FFFFE7, 26),
    (0x7FFFFE2, 27),
    (0xFFFFF2, 24),  # 212-215
    (0x1FFFE4, 21),
    (0x1FFFE5, 21),
    (0x3FFFFE8, 26),
    (0x3FFFFE9, 26),  # 216-219
    (0xFFFFFFD, 28),
    (0x7FFFFE3, 27),
    (0x7FFFFE4, 27),
    (0x7FFFFE5, 27),  # 220-223
    (0xFFFEC, 20),
    (0xFFFFF3, 24),
    (0xFFFED, 20),
    (0x1FFFE6, 21),  # 224-227
    (0x3FFFE9, 22),
    (0x1FFFE7, 21),
    (0x1FFFE8, 21),
    (0x7FFFF3, 23),  # 228-231
    (0x3FFFEA, 22),
    (0x3FFFEB, 22),
    (0x1FFFFEE, 25),
    (0x1FFFFEF, 25),  # 232-235
    (0xFFFFF4, 24),
    (0xFFFFF5, 24),
    (0x3FFFFEA, 26),
    (0x7FFFF4, 23),  # 236-239
    (0x3FFFFEB, 26),
    (0x7FFFFE6, 27),
    (0x3FFFFEC, 26),
    (0x3FFFFED, 26),  # 240-243
    (0x7FFFFE7, 27),
    (0x7FFFFE8, 27),
    (0x7FFFFE9, 27),
    (0x7FFFFEA, 27),  # 244-247
    (0x7FFFFEB, 27),
    (0xFFFFFFE, 28),
    (0x7FFFFEC, 27),
    (0x7FFFFED, 27),  # 248-251
    (0x7FFFFEE, 27),
    (0x7FFFFEF, 27),
    (0x7FFFFF0, 27),
    (0x3FFFFEE, 26),  # 252-255
    (0x3FFFFFFF, 30),  # 256 EOS
)
EOS = 256


# ---------------------------------------------------------------- Huffman decoding state machine
#
# A state is an internal node of the code tree (the root is 0: at a symbol boundary). Feeding four
# bits moves to another node and completes zero or one symbol. Tables are flat and indexed by
# ``state << 4 | nibble``: two lookups per nibble. Reaching EOS moves to a dead state that never
# leaves and never accepts. The tables are built on the first Huffman-coded string, not at import:
# start-up time is on the loader's clock, and the string cache below makes decoding speed matter
# far less than building speed (a byte-wise table decodes twice as fast but takes 25 ms to build).

_DEAD = 256  # the tree has exactly 256 internal nodes (0-255), so the dead state takes the next number


def _build_tree() -> List[List[int]]:
    """Children ``[zero, one]`` of each internal node; a leaf is stored as ``~symbol``.

    Building the tree also proves the table is a complete prefix code, so a typo cannot go unnoticed.
    """
    kids = [[0, 0]]  # 0 means "no child yet": the root is never anyone's child
    for symbol, (code, length) in enumerate(HUFFMAN_CODES):
        node = 0
        for shift in range(length - 1, 0, -1):
            bit = (code >> shift) & 1
            child = kids[node][bit]
            if child < 0:
                raise RuntimeError("Huffman table is not prefix-free at symbol %d" % symbol)
            if child == 0:
                kids.append([0, 0])
                child = kids[node][bit] = len(kids) - 1
            node = child
        if kids[node][code & 1] != 0:
            raise RuntimeError("Huffman table is not prefix-free at symbol %d" % symbol)
        kids[node][code & 1] = ~symbol
    if len(kids) != _DEAD or any(0 in pair for pair in kids):
        raise RuntimeError("Huffman table is not a complete code")
    return kids


def _walk(kids: List[List[int]], node: int, bits: int) -> Tuple[int, bytes]:
    """Feed four bits (most significant first) from ``node``: the node reached and the octets completed."""
    out = b""
    for shift in (3, 2, 1, 0):
        node = kids[node][(bits >> shift) & 1]
        if node < 0:
            if ~node == EOS:
                return _DEAD, b""
            out += bytes((~node,))
            node = 0
    return node, out


class _Tables(NamedTuple):
    next_states: List[int]  # pre-shifted by 4
    outputs: List[bytes]
    accept: FrozenSet[int]  # states (pre-shifted) where a string may end


def _accepting_states(kids: List[List[int]]) -> FrozenSet[int]:
    """Padding is a prefix of EOS (all ones) of at most 7 bits."""
    states = {0}
    node = 0
    for _ in range(7):
        node = kids[node][1]
        states.add(node)
    return frozenset(state << 4 for state in states)


def _build_tables() -> _Tables:
    kids = _build_tree()
    next_states: List[int] = []
    outputs: List[bytes] = []
    for state in range(_DEAD):
        for bits in range(16):
            end, out = _walk(kids, state, bits)
            next_states.append(end << 4)
            outputs.append(out)
    next_states.extend([_DEAD << 4] * 16)
    outputs.extend([b""] * 16)
    return _Tables(next_states, outputs, _accepting_states(kids))


_tables: List[_Tables] = []


def huffman_decode(data: bytes) -> bytes:
    """The octets a Huffman-coded string stands for; padding and EOS are checked as RFC 7541 5.2 demands."""
    if not _tables:
        _tables.append(_build_tables())
    next_states, outputs, accept = _tables[0]
    state = 0
    parts: List[bytes] = []
    append = parts.append
    for octet in data:
        index = state | (octet >> 4)
        append(outputs[index])
        state = next_states[index]
        index = state | (octet & 15)
        append(outputs[index])
        state = next_states[index]
    if state not in accept:
        if state == _DEAD << 4:
            raise HpackError("EOS symbol inside a Huffman-coded string")
        raise HpackError("invalid Huffman padding (longer than 7 bits or not all ones)")
    return b"".join(parts)


_HUFFMAN_CACHE: Dict[bytes, str] = {}
_HUFFMAN_CACHE_ENTRIES = 512
_HUFFMAN_CACHE_KEY_LIMIT = 128  # longer strings are rarely repeated and would make the cache costly


def _huffman_text(data: bytes) -> str:
    """``huffman_decode`` as text, remembering recent strings: a client sends the same few values again and
    again (paths, content types, deadlines), and a dict lookup is far cheaper than decoding."""
    text = _HUFFMAN_CACHE.get(data)
    if text is None:
        text = huffman_decode(data).decode("latin-1")
        if len(data) <= _HUFFMAN_CACHE_KEY_LIMIT:
            _remember(_HUFFMAN_CACHE, data, text, _HUFFMAN_CACHE_ENTRIES)
    return text


def _remember(cache: Dict[Any, Any], key: Any, value: Any, entries: int) -> None:
    """Add to a bounded cache, dropping the oldest entry when full; caches are shared by all connections'
    threads, so a concurrent change is tolerated rather than locked against."""
    if len(cache) >= entries:
        try:
            del cache[next(iter(cache))]
        except (RuntimeError, StopIteration, KeyError):  # another thread changed the dict meanwhile
            cache.clear()
    cache[key] = value


# ---------------------------------------------------------------- decoding


def _read_integer(block: bytes, pos: int, mask: int) -> Tuple[int, int]:
    """The integer whose prefix (``mask`` bits) is in ``block[pos]``, and the position after it (RFC 7541 5.1)."""
    value = block[pos] & mask
    pos += 1
    if value < mask:
        return value, pos
    shift = 0
    for _ in range(_MAX_CONTINUATION_BYTES):
        octet = block[pos]
        pos += 1
        value += (octet & 0x7F) << shift
        if not octet & 0x80:
            if value > MAX_INTEGER:
                raise HpackError("integer too large")
            return value, pos
        shift += 7
    raise HpackError("integer encoding too long")


def _read_string(block: bytes, pos: int) -> Tuple[str, int]:
    """The string literal at ``pos`` (RFC 7541 5.2) as latin-1 text, and the position after it."""
    octet = block[pos]
    length = octet & 0x7F
    if length == 0x7F:
        length, pos = _read_integer(block, pos, 0x7F)
    else:
        pos += 1
    end = pos + length
    if end > len(block):
        raise HpackError("truncated string literal")
    if octet & 0x80:
        return _huffman_text(block[pos:end]), end
    return block[pos:end].decode("latin-1"), end


class Decoder:
    """Decodes one connection's header blocks in order, keeping the peer's dynamic table (RFC 7541 2.3.2).

    ``max_table_size`` is the table size both sides start with and the largest one we allow.
    """

    def __init__(self, max_table_size: int = DEFAULT_TABLE_SIZE) -> None:
        #: What we advertised in SETTINGS_HEADER_TABLE_SIZE (set it once the peer has acknowledged a new value).
        #: A size update above it is an error, and so is a block that ends with the table still larger.
        self.max_allowed_table_size = max_table_size
        self._max_size = max_table_size
        self._size = 0
        # The whole index space in one list: static entries at 1-61, then the dynamic table newest first,
        # so an indexed field (most fields of most requests) is a single list lookup. Inserting at 62 moves
        # the few dynamic entries along; that happens rarely, lookups happen all the time.
        self._fields: List[Header] = list(STATIC_TABLE)

    @property
    def table_size(self) -> int:
        """Octets the dynamic table holds now, entry overhead included."""
        return self._size

    @property
    def table_max_size(self) -> int:
        """The dynamic table's current limit, as set by the peer's last size update."""
        return self._max_size

    @property
    def table(self) -> List[Header]:
        """The dynamic table, newest entry (index 62) first."""
        return self._fields[STATIC_COUNT + 1 :]

    def decode(self, block: bytes) -> List[Header]:
        """The header list of one complete block (HEADERS and CONTINUATION payloads joined), in order."""
        if not isinstance(block, bytes):
            block = bytes(block)
        try:
            headers = self._decode(block)
        except IndexError:
            raise HpackError("truncated header block") from None
        if self._max_size > self.max_allowed_table_size:
            raise HpackError("dynamic table not shrunk to the advertised SETTINGS_HEADER_TABLE_SIZE")
        return headers

    def _decode(self, block: bytes) -> List[Header]:
        """The representation loop (RFC 7541 6); an IndexError here means the block ended too early."""
        headers: List[Header] = []
        append = headers.append
        fields = self._fields
        pos, end = 0, len(block)
        while pos < end:
            octet = block[pos]
            if octet & 0x80:  # 6.1 indexed header field: the common case once the table is warm
                index = octet & 0x7F
                if index == 0x7F:
                    index, pos = _read_integer(block, pos, 0x7F)
                else:
                    pos += 1
                if not 0 < index < len(fields):
                    self._field(index)  # raises with the reason
                append(fields[index])
            elif octet & 0x40:  # 6.2.1 literal with incremental indexing
                header, pos = self._literal(block, pos, 0x3F)
                self._add(header)
                append(header)
            elif octet & 0x20:  # 6.3 dynamic table size update
                if headers:
                    raise HpackError("dynamic table size update after a header field")
                pos = self._resize(block, pos)
            else:  # 6.2.2 without indexing (0000) and 6.2.3 never indexed (0001): the same for us
                header, pos = self._literal(block, pos, 0x0F)
                append(header)
        return headers

    def _field(self, index: int) -> Header:
        """The header at ``index`` of the combined static and dynamic index space (RFC 7541 2.3.3)."""
        if index == 0:
            raise HpackError("index 0 is not a valid header index")
        if index >= len(self._fields):
            raise HpackError(
                "header index %d beyond the dynamic table (%d entries)" % (index, len(self._fields) - STATIC_COUNT - 1)
            )
        return self._fields[index]

    def _literal(self, block: bytes, pos: int, mask: int) -> Tuple[Header, int]:
        """A literal field: indexed or literal name, then the value (RFC 7541 6.2)."""
        name_index, pos = _read_integer(block, pos, mask)
        if name_index:
            name = self._field(name_index)[0]
        else:
            name, pos = _read_string(block, pos)
        value, pos = _read_string(block, pos)
        return (name, value), pos

    def _resize(self, block: bytes, pos: int) -> int:
        """Apply a dynamic table size update (RFC 7541 6.3, 4.3) and return the position after it."""
        size, pos = _read_integer(block, pos, 0x1F)
        if size > self.max_allowed_table_size:
            raise HpackError(
                "dynamic table size update to %d above the allowed %d" % (size, self.max_allowed_table_size)
            )
        self._max_size = size
        self._evict(size)
        return pos

    def _add(self, header: Header) -> None:
        """Insert a new entry, evicting the oldest ones to make room (RFC 7541 4.4)."""
        size = len(header[0]) + len(header[1]) + ENTRY_OVERHEAD
        if size > self._max_size:  # larger than the whole table: the table ends up empty
            self._evict(0)
            return
        self._evict(self._max_size - size)
        self._fields.insert(STATIC_COUNT + 1, header)
        self._size += size

    def _evict(self, limit: int) -> None:
        """Drop the oldest entries until the table holds at most ``limit`` octets."""
        fields = self._fields
        while self._size > limit:
            name, value = fields.pop()
            self._size -= len(name) + len(value) + ENTRY_OVERHEAD


# ---------------------------------------------------------------- encoding

_STATIC_FIELDS: Dict[Header, int] = {field: index for index, field in enumerate(STATIC_TABLE) if index}
_STATIC_NAMES: Dict[str, int] = {}
for _index, (_name, _value) in enumerate(STATIC_TABLE[1:], 1):
    _STATIC_NAMES.setdefault(_name, _index)
del _index, _name, _value


def _integer(value: int, mask: int, flags: int) -> bytes:
    """``value`` with a prefix of ``mask`` bits, ``flags`` in the prefix octet's high bits (RFC 7541 5.1)."""
    if value < mask:
        return bytes((flags | value,))
    out = bytearray((flags | mask,))
    value -= mask
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _octets(text: str, what: str) -> bytes:
    """``text`` as latin-1 octets; anything else cannot be a header octet we send."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("header %s %r has characters outside latin-1" % (what, text)) from None


def _string(data: bytes) -> bytes:
    """A plain (not Huffman-coded) string literal (RFC 7541 5.2)."""
    return _integer(len(data), 0x7F, 0x00) + data


def _encode_field(name: str, value: str) -> bytes:
    """One field: indexed when the static table has it, else a literal that is not indexed."""
    index = _STATIC_FIELDS.get((name, value))
    if index:
        return bytes((0x80 | index,))
    name_index = _STATIC_NAMES.get(name)
    if name_index:
        head = _integer(name_index, 0x0F, 0x00)
    else:
        head = b"\x00" + _string(_octets(name, "name"))
    return head + _string(_octets(value, "value"))


_ENCODED: Dict[Header, bytes] = {}
_ENCODED_ENTRIES = 256
_ENCODED_VALUE_LIMIT = 64  # long values (error messages) are rarely repeated


def encode(headers: Iterable[Header]) -> bytes:
    """A header block any peer can decode whatever its table size: static indices and plain literals only.

    Servers send the same few fields on every response, so each field's encoding is remembered.
    """
    cache = _ENCODED
    parts: List[bytes] = []
    for name, value in headers:
        key = (name, value)
        chunk = cache.get(key)
        if chunk is None:
            chunk = _encode_field(name, value)
            if len(value) <= _ENCODED_VALUE_LIMIT:
                _remember(cache, key, chunk, _ENCODED_ENTRIES)
        parts.append(chunk)
    return b"".join(parts)
