"""The messages between ``aiges.serve --processes N`` and its worker processes, over a socket pair.

A frame is a small pickled header ``(kind, number, value)`` followed by a raw payload (a serialized
wire message: a request going down, a result coming up), so request and result bytes are never
pickled or copied into a pickle. Both ends are this runtime on a private ``socketpair`` the server
made for the child it started itself, so unpickling trusts no outside party. Sending is thread-safe
(one lock per channel: a frame leaves whole); receiving is for one thread.
"""

import pickle
import socket
import struct
import threading
from typing import Any, NamedTuple, Optional

_SIZES = struct.Struct("!IQ")  # header length, payload length

# Down (server -> worker): "hello" (value: the start-up settings), "init" (config), "schema" (service id),
# "once" / "create" / "write" (payload: the wire request), "destroy" (handle), "fini".
# Up (worker -> server): "reply" (number: the call's, value: its answer), "out" (payload: an aiges.Response
# for communicate), "log" (value: a log record's fields).


class Frame(NamedTuple):
    kind: str
    number: int
    value: Any
    payload: bytes


class Channel:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._send_lock = threading.Lock()

    def send(self, kind: str, number: int = 0, value: Any = None, payload: bytes = b"") -> None:
        """Raises OSError when the other end is gone."""
        header = pickle.dumps((kind, number, value), protocol=pickle.HIGHEST_PROTOCOL)
        with self._send_lock:
            self.sock.sendall(_SIZES.pack(len(header), len(payload)) + header)
            if payload:
                self.sock.sendall(payload)

    def receive(self) -> Optional[Frame]:
        """The next frame; None when the other end closed (or died)."""
        sizes = self._exactly(_SIZES.size)
        if sizes is None:
            return None
        header_size, payload_size = _SIZES.unpack(sizes)
        header = self._exactly(header_size)
        payload = self._exactly(payload_size) if payload_size else b""
        if header is None or payload is None:
            return None
        kind, number, value = pickle.loads(header)  # noqa: S301 - our own process at the other end
        return Frame(kind, number, value, payload)

    def _exactly(self, size: int) -> Optional[bytes]:
        buffer = bytearray(size)
        view = memoryview(buffer)
        got = 0
        while got < size:
            try:
                count = self.sock.recv_into(view[got:], min(size - got, 1 << 24))
            except OSError:
                return None
            if count == 0:
                return None
            got += count
        return bytes(buffer)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
