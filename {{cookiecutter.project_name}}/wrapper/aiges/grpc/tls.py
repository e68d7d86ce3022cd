"""go-plugin AutoMTLS: TLS that requires the host's client certificate, with ours in the handshake.

A go-plugin host with ``AutoMTLS`` puts its certificate (PEM) in ``PLUGIN_CLIENT_CERT`` and expects
the plugin to serve TLS that requires exactly that certificate, and to append its own certificate
(base64 DER, no padding) to the handshake line; go-plugin's servers do the same. The AIGES loader
does not use AutoMTLS (docs/how-to/deploy-to-loader.md); other go-plugin hosts may.

grpcio serves TLS itself (:attr:`ServerTls.key_pem` ...). For the built-in transport,
:meth:`ServerTls.wrap_listener` gives a listening socket whose accepted connections are already
decrypted: each one is a socket pair whose other end a relay thread joins to the TLS connection
through an ``ssl.SSLObject`` (memory BIOs, one thread, no socket shared between threads), so the
HTTP/2 code is the same with or without TLS.
"""

import base64
import logging
import os
import select
import socket
import ssl
import threading
from typing import Optional, Tuple

from aiges.grpc import listen, selfsigned

log = logging.getLogger("aiges.serve")

HANDSHAKE_TIMEOUT = 10.0
CHUNK = 256 * 1024
BUFFERED = 4 * 1024 * 1024  # bytes held per direction before the relay stops reading that side


class ServerTls:
    """Our certificate and key, the host's certificate, and the ``ssl`` context requiring it."""

    def __init__(self, client_pem: str, certificate: Optional[selfsigned.Certificate] = None) -> None:
        try:
            ssl.PEM_cert_to_DER_cert(client_pem.strip())
        except ValueError as error:
            raise ValueError("PLUGIN_CLIENT_CERT is not a PEM certificate: %s" % error) from None
        self.client_pem = client_pem.encode("utf-8")
        mine = certificate or selfsigned.generate()
        self.cert_pem, self.key_pem = mine.cert_pem, mine.key_pem
        # go-plugin sends the raw leaf (the handshake line cannot carry PEM's newlines), without padding
        self.handshake_certificate = base64.b64encode(mine.cert_der).decode("ascii").rstrip("=")
        self.context = self._context()

    @classmethod
    def for_client(cls, client_pem: str) -> "ServerTls":
        return cls(client_pem)

    def _context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.verify_mode = ssl.CERT_REQUIRED
        try:
            context.load_verify_locations(cadata=self.client_pem.decode("utf-8"))
        except ssl.SSLError as error:
            raise ValueError(
                "PLUGIN_CLIENT_CERT cannot be used as the trusted client certificate: %s" % error
            ) from None
        context.set_alpn_protocols(["h2"])
        folder = listen.private_directory()  # ssl loads keys from files only: 0600 in a 0700 directory, briefly
        try:
            paths = []
            for name, data in (("cert.pem", self.cert_pem), ("key.pem", self.key_pem)):
                path = os.path.join(folder, name)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    out.write(data)
                paths.append(path)
            context.load_cert_chain(paths[0], paths[1])
        finally:
            listen.remove(listen.Endpoint("unix", directory=folder))
        return context

    def wrap_listener(self, listener: socket.socket) -> "TlsListener":
        """The built-in transport's listening socket, accepting decrypted connections."""
        return TlsListener(listener, self.context)


class TlsListener(socket.socket):
    """A listening socket whose ``accept()`` returns the plain end of a TLS relay (see the module docstring)."""

    def __init__(self, listener: socket.socket, context: ssl.SSLContext) -> None:
        super().__init__(fileno=listener.detach())
        self.context = context

    def accept(self) -> Tuple[socket.socket, object]:
        raw, address = super().accept()
        plain, relayed = socket.socketpair()
        threading.Thread(target=relay, args=(raw, relayed, self.context), name="aiges-tls", daemon=True).start()
        return plain, address


def relay(raw: socket.socket, plain: socket.socket, context: ssl.SSLContext) -> None:
    """Thread body: TLS handshake on ``raw``, then bytes both ways until either side ends."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_side=True)
    try:
        _handshake(raw, tls, incoming, outgoing)
    except (OSError, ssl.SSLError, EOFError) as error:
        log.warning("refused a TLS connection: %s", error)
        raw.close()
        plain.close()
        return
    try:
        _pump(raw, plain, tls, incoming, outgoing)
    except (OSError, ssl.SSLError) as error:
        log.debug("TLS connection ended: %s", error)
    finally:
        raw.close()
        plain.close()


def _handshake(raw: socket.socket, tls: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO) -> None:
    raw.settimeout(HANDSHAKE_TIMEOUT)
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            if pending:
                raw.sendall(pending)
            data = raw.recv(CHUNK)
            if not data:
                raise EOFError("the client closed the connection during the TLS handshake") from None
            incoming.write(data)
    pending = outgoing.read()
    if pending:
        raw.sendall(pending)
    raw.settimeout(None)


def _pump(
    raw: socket.socket, plain: socket.socket, tls: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO
) -> None:
    """Non-blocking relay on one thread: ciphertext from ``raw`` becomes plaintext for ``plain`` and back."""
    raw.setblocking(False)
    plain.setblocking(False)
    to_net, to_app = bytearray(), bytearray()
    net_open = app_open = True
    poller = select.poll()
    while (net_open and app_open) or to_net or to_app:
        wanted = {raw.fileno(): 0, plain.fileno(): 0}
        if net_open and app_open and len(to_app) < BUFFERED:
            wanted[raw.fileno()] |= select.POLLIN
        if net_open and app_open and len(to_net) < BUFFERED:
            wanted[plain.fileno()] |= select.POLLIN
        if to_net:
            wanted[raw.fileno()] |= select.POLLOUT
        if to_app:
            wanted[plain.fileno()] |= select.POLLOUT
        for descriptor, mask in wanted.items():
            poller.register(descriptor, mask)
        events = dict(poller.poll())
        for descriptor in wanted:
            poller.unregister(descriptor)
        net_events, app_events = events.get(raw.fileno(), 0), events.get(plain.fileno(), 0)
        if net_events & (select.POLLIN | select.POLLHUP | select.POLLERR):
            net_open = _from_net(raw, tls, incoming, to_app) and net_open
            if not net_open:
                to_net.clear()
        if app_events & (select.POLLIN | select.POLLHUP | select.POLLERR):
            data = _recv(plain)
            if data:
                tls.write(data)
            else:
                app_open = False
                to_app.clear()
                try:
                    tls.unwrap()  # close_notify
                except (ssl.SSLWantReadError, ssl.SSLError):
                    pass
        to_net += outgoing.read()
        if to_net and net_events & select.POLLOUT:
            del to_net[: _send(raw, to_net)]
        if to_app and app_events & select.POLLOUT:
            del to_app[: _send(plain, to_app)]
        if not net_open and not to_app:
            break
        if not app_open and not to_net:
            break


def _from_net(raw: socket.socket, tls: ssl.SSLObject, incoming: ssl.MemoryBIO, to_app: bytearray) -> bool:
    """Read ciphertext and decrypt what it completes; False once the client's side has ended."""
    data = _recv(raw)
    if data is None:
        return True
    if not data:
        return False
    incoming.write(data)
    while True:
        try:
            chunk = tls.read(CHUNK)
        except ssl.SSLWantReadError:
            return True
        except ssl.SSLZeroReturnError:
            return False
        if not chunk:
            return False
        to_app += chunk


def _recv(sock: socket.socket) -> Optional[bytes]:
    """Bytes, b"" at the end (or an error), None when nothing is ready after all."""
    try:
        return sock.recv(CHUNK)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytearray) -> int:
    try:
        return sock.send(data)
    except (BlockingIOError, InterruptedError):
        return 0
    except OSError:
        return len(data)  # the peer is gone: drop what it can no longer receive
