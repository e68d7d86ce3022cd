"""Bind the plugin's loopback port with nothing but the interpreter's built-in ``_socket``.

Why so bare: this runs before the go-plugin handshake, and the handshake is the loader's measure
of our start-up. ``import socket`` alone costs milliseconds on Python 3.9 (its enum conversions);
``_socket`` is already in the interpreter. The listening socket is handed to the HTTP/2 transport
once the rest of the runtime has loaded; connections arriving meanwhile wait in the backlog.
"""
from __future__ import annotations

import _socket

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds to import; annotations here are never evaluated
    from typing import Iterable, Optional, Tuple

HOST = "127.0.0.1"
BACKLOG = 128


def listen(ports: Iterable[int]) -> Tuple[_socket.socket, int]:
    """(listening _socket.socket, port) on the first free port of ``ports`` (0: any); OSError if none."""
    problem = None
    for port in ports:
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        try:
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers only, never sharing
            sock.bind((HOST, port))
            sock.listen(BACKLOG)
        except OSError as error:
            sock.close()
            problem = error
            continue
        return sock, sock.getsockname()[1]
    raise OSError("cannot listen on %s: %s" % (HOST, problem or "no port to try"))


def ports(port: Optional[int], port_range: Optional[Tuple[int, int]]) -> Iterable[int]:
    """The ports to try, in order: the fixed one, else the loader's range, else any."""
    if port is not None:
        return [port]
    if port_range is not None:
        return range(port_range[0], port_range[1] + 1)
    return [0]


def handshake_line(port: int) -> str:
    """go-plugin's handshake: core protocol 1, app protocol 1, tcp address, grpc."""
    return "1|1|tcp|%s:%d|grpc" % (HOST, port)
