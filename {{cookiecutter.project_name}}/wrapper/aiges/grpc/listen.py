"""Open the plugin's listening socket with nothing but the interpreter's built-in ``_socket`` and ``os``.

Why so bare: this runs before the go-plugin handshake, and the handshake is the loader's measure
of our start-up. ``import socket`` alone costs milliseconds on Python 3.9 (its enum conversions);
``_socket`` is already in the interpreter. The listening socket is handed to the HTTP/2 transport
once the rest of the runtime has loaded; connections arriving meanwhile wait in the backlog.

Two ways to listen (``--listen``):

- ``unix`` (the default): a socket in a directory made fresh for this process with mode 0700, under
  ``$XDG_RUNTIME_DIR`` (when it is ours and private) or the temporary directory. Only the plugin's
  user (and root) can enter the directory, so nobody else can connect. The directory is removed at
  exit (:func:`remove`; also registered with ``atexit``).
- ``tcp``: 127.0.0.1, reachable by every local user; see docs/explanation/security.md.
"""

from __future__ import annotations

import _socket
import atexit
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds to import; annotations here are never evaluated
    from typing import Iterable, Optional, Tuple

HOST = "127.0.0.1"
BACKLOG = 128
NETWORKS = ("unix", "tcp")
SOCKET_NAME = "plugin.sock"
UNIX_PATH_MAX = 107  # sun_path is 108 bytes on Linux, including the terminating NUL
# The last resort for the socket's directory. Safe although everyone can write there: the directory is
# created (never reused) with an unpredictable name and mode 0700, so nobody else can enter or replace it.
FALLBACK_BASE = "/tmp"  # noqa: S108


class Endpoint:
    """Where the plugin listens: ``network`` "tcp" (``port``) or "unix" (``path`` in ``directory``)."""

    __slots__ = ("directory", "network", "path", "port")

    def __init__(self, network: str, port: int = 0, path: str = "", directory: str = "") -> None:
        self.network = network
        self.port = port
        self.path = path
        self.directory = directory

    @property
    def address(self) -> str:
        """The handshake's address field: "127.0.0.1:<port>" or the socket's path."""
        return self.path if self.network == "unix" else "%s:%d" % (HOST, self.port)

    @property
    def target(self) -> str:
        """The same address as a gRPC target ("unix:/path" or "127.0.0.1:port")."""
        return "unix:" + self.path if self.network == "unix" else self.address


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


def _private_base() -> str:
    """``$XDG_RUNTIME_DIR`` when it is a directory of ours that nobody else can enter, else TMPDIR or /tmp."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/"):
        try:
            info = os.stat(runtime)
        except OSError:
            info = None
        if info is not None and os.path.isdir(runtime) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return runtime
    temporary = os.environ.get("TMPDIR", "")
    return temporary if temporary.startswith("/") and os.path.isdir(temporary) else FALLBACK_BASE


def private_directory(base: Optional[str] = None) -> str:
    """A new directory with mode 0700 (an unpredictable name; never one that already existed)."""
    for candidate in [base] if base else [_private_base(), FALLBACK_BASE]:
        for _ in range(100):
            path = "%s/aiges-%s" % (candidate.rstrip("/") or "", os.urandom(8).hex())
            if len(path) + 1 + len(SOCKET_NAME) > UNIX_PATH_MAX:
                break  # too long for a socket path: try the next base
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                continue
            except OSError:
                break
            os.chmod(path, 0o700)  # the umask may have taken bits away, never added any; make it exact
            return path
    raise OSError(
        "cannot create a private directory for the plugin's socket (tried $XDG_RUNTIME_DIR, $TMPDIR and /tmp)"
    )


def listen_unix(directory: Optional[str] = None) -> Tuple[_socket.socket, Endpoint]:
    """(listening unix _socket.socket, its Endpoint) in a fresh private directory (see the module docstring)."""
    endpoint = unix_endpoint(directory)
    return bind_unix(endpoint), endpoint


def bind_unix(endpoint: Endpoint) -> _socket.socket:
    """A unix socket listening at ``endpoint.path`` (its directory removed again on failure)."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.bind(endpoint.path)
        os.chmod(endpoint.path, 0o600)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        remove(endpoint)
        raise
    return sock


def unix_endpoint(directory: Optional[str] = None) -> Endpoint:
    """The Endpoint of a socket not yet bound, in a fresh private directory (removed at exit)."""
    folder = directory or private_directory()
    endpoint = Endpoint("unix", path="%s/%s" % (folder, SOCKET_NAME), directory=folder)
    atexit.register(remove, endpoint)
    return endpoint


def remove(endpoint: Endpoint) -> None:
    """Delete a unix endpoint's socket and directory (what we created; anything else is left alone)."""
    if endpoint.network != "unix" or not endpoint.directory:
        return
    for name in os.listdir(endpoint.directory) if os.path.isdir(endpoint.directory) else ():
        try:
            os.unlink("%s/%s" % (endpoint.directory, name))
        except OSError:
            pass
    try:
        os.rmdir(endpoint.directory)
    except OSError:
        pass


def ports(port: Optional[int], port_range: Optional[Tuple[int, int]]) -> Iterable[int]:
    """The ports to try, in order: the fixed one, else the loader's range, else any."""
    if port is not None:
        return [port]
    if port_range is not None:
        return range(port_range[0], port_range[1] + 1)
    return [0]


def handshake_line(endpoint: Endpoint, certificate: str = "") -> str:
    """go-plugin's handshake: core protocol 1, app protocol 1, network, address, grpc, and with
    AutoMTLS our certificate (base64 DER without padding, as go-plugin servers send it)."""
    line = "1|1|%s|%s|grpc" % (endpoint.network, endpoint.address)
    return line + "|" + certificate if certificate else line
