"""Who is on the other end of a call: which connection, and which local user.

Why: results belong to the loader, the first ``communicate`` caller, and only the loader may stop
the plugin. The unix socket's private directory already keeps other users out; with ``--listen
tcp`` anyone on the host can connect, so the calls that decide ownership also check the peer's
user (ours or root only).

- The built-in transport's context has the connection itself (``context.connection``): its
  identity tells connections apart, and its socket gives the user (``SO_PEERCRED`` on a unix
  socket, the kernel's socket table ``/proc/net/tcp{,6}`` for loopback TCP).
- grpcio's context only has ``context.peer()``: ``"ipv4:127.0.0.1:<port>"`` tells TCP
  connections apart and finds the user in the same table; for unix sockets grpcio reports
  ``"unix:"`` for every client, so neither is known (the private directory is the defence).
"""

import os
import socket
import struct
import threading
import weakref
from typing import Any, Hashable, NamedTuple, Optional, Tuple

TRUSTED_UIDS = frozenset({0, os.getuid()})
_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
ESTABLISHED = "01"


class Peer(NamedTuple):
    connection: Optional[Hashable]  # None: this transport cannot tell this connection from others
    uid: Optional[int]  # None: unknown

    @property
    def trusted(self) -> bool:
        """Our own user or root; an unknown user is trusted (only unix sockets leave it unknown)."""
        return self.uid is None or self.uid in TRUSTED_UIDS


def of(context: Any) -> Peer:
    """The peer of a call, on either transport."""
    connection = getattr(context, "connection", None)
    if connection is not None:
        return Peer(connection, _socket_uid(getattr(connection, "sock", None)))
    try:
        peer = context.peer() or ""
    except Exception:  # noqa: BLE001 - an odd context only means "unknown"
        return Peer(None, None)
    if peer.startswith("unix:"):
        return Peer(None, None)
    address = _parse_peer(peer)
    return Peer(peer or None, tcp_uid(*address) if address else None)


class Gate:
    """The peer of every call, remembered per connection of the built-in transport (its peer never
    changes), so checking each call costs a lookup; grpcio's calls are looked up each time."""

    def __init__(self) -> None:
        self._known: weakref.WeakKeyDictionary[Any, Peer] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def peer(self, context: Any) -> Peer:
        connection = getattr(context, "connection", None)
        if connection is None:
            return of(context)
        found = self._known.get(connection)
        if found is None:
            found = of(context)
            with self._lock:
                self._known[connection] = found
        return found


def _socket_uid(sock: Any) -> Optional[int]:
    if sock is None:
        return None
    try:
        if sock.family == socket.AF_UNIX:
            _, uid, _ = struct.unpack(
                "3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            )
            return uid
        host, port = sock.getpeername()[:2]
    except (OSError, AttributeError, ValueError):
        return None
    return tcp_uid(host, port)


def _parse_peer(peer: str) -> Optional[Tuple[str, int]]:
    """grpcio's ``"ipv4:127.0.0.1:5000"`` / ``"ipv6:[::1]:5000"`` -> (host, port)."""
    _, _, rest = peer.partition(":")
    host, _, port = rest.rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        return None


def _proc_address(host: str, port: int) -> Optional[str]:
    """A socket address as the kernel's table prints it (IPv4 and IPv6 words in host byte order)."""
    try:
        if ":" in host:
            packed = socket.inet_pton(socket.AF_INET6, host)
        else:
            packed = socket.inet_pton(socket.AF_INET, host)
    except OSError:
        return None
    words = struct.unpack("=%dI" % (len(packed) // 4), packed)
    return "%s:%04X" % ("".join("%08X" % word for word in words), port)


def tcp_uid(host: str, port: int) -> Optional[int]:
    """The user owning the local client socket bound to ``host:port`` (an established connection to
    us), from ``/proc/net/tcp{,6}``; None when not found (not Linux, or the peer is on another host)."""
    # The client's socket may be IPv6 with a v4-mapped address (grpc-go and grpcio dial that way)
    # while ours is IPv4, or the other way round: look for both forms.
    plain = host[len("::ffff:") :] if host.startswith("::ffff:") else host
    wanted = {_proc_address(plain, port)}
    if ":" not in plain:
        wanted.add(_proc_address("::ffff:" + plain, port))
    wanted.discard(None)
    for table in _TABLES:
        try:
            with open(table) as lines:
                next(lines, None)
                for line in lines:
                    fields = line.split()
                    if len(fields) > 7 and fields[3] == ESTABLISHED and fields[1] in wanted:
                        return int(fields[7])
        except OSError:
            continue
    return None
