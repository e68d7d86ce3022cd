"""Accept connections on a listening socket, bound how many there are and how long they may idle.

The socket is bound (and the go-plugin handshake printed) before this module is even imported:
connections the loader opens meanwhile wait in the kernel's backlog, so start-up work overlaps the
host's connection set-up instead of delaying the handshake.

A busy connection has two reader threads (``connection.py``); a quiet one has none: after
``PARK_AFTER`` seconds without a byte its readers end and one poller thread watches all quiet sockets,
restarting a connection's readers when its peer sends again. So idle connections cost a socket, not
threads. The poller also enforces the idle timeout and finishes the refusal of connections over the
limit.
"""

import logging
import selectors
import socket
import threading
import time
from typing import List, Optional

from aiges.grpc.h2 import frames
from aiges.grpc.h2.connection import LINGER_BYTES, LINGER_SECONDS, Connection
from aiges.grpc.h2.rpc import Router

log = logging.getLogger("aiges.serve")

DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_IDLE_TIMEOUT = 300.0
TICK = 1.0  # how often the poller looks for idle connections and finished refusals


class _Refused:
    """A connection over the limit: it got SETTINGS and GOAWAY; what it still sends is read and dropped
    until it closes (or LINGER_SECONDS pass), so our close does not reset the GOAWAY away."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = time.monotonic() + LINGER_SECONDS
        self.left = LINGER_BYTES

    def readable(self) -> bool:
        """Read what there is; True while the socket should stay watched."""
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return True
        except OSError:
            chunk = b""
        self.left -= len(chunk)
        return bool(chunk) and self.left > 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Poller:
    """One thread watching the sockets of quiet connections (and of refused ones)."""

    def __init__(self, server: "Server") -> None:
        self._server = server
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._refused: List[_Refused] = []
        self._stopping = False

    def start(self) -> None:
        threading.Thread(target=self._run, name="aiges-poller", daemon=True).start()

    def park(self, connection: Connection) -> None:
        with self._lock:
            if self._stopping or connection.closed:
                return
            try:
                self._selector.register(connection.sock, selectors.EVENT_READ, connection)
            except (KeyError, ValueError, OSError):  # already watched, or closed meanwhile
                return
        self._wake()

    def forget(self, connection: Connection) -> None:
        """Stop watching (before the socket closes: its descriptor number may be reused at once)."""
        with self._lock:
            try:
                self._selector.unregister(connection.sock)
            except (KeyError, ValueError):
                pass

    def refuse(self, sock: socket.socket) -> None:
        refused = _Refused(sock)
        with self._lock:
            if self._stopping:
                refused.close()
                return
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, refused)
            self._refused.append(refused)
        self._wake()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            refused, self._refused = self._refused, []
        for item in refused:
            self.forget_refused(item)
        self._wake()

    def forget_refused(self, item: _Refused) -> None:
        with self._lock:
            try:
                self._selector.unregister(item.sock)
            except (KeyError, ValueError):
                pass
            if item in self._refused:
                self._refused.remove(item)
        item.close()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    def _run(self) -> None:
        next_tick = time.monotonic() + TICK
        while not self._stopping:
            events = self._selector.select(max(0.0, next_tick - time.monotonic()))
            for key, _ in events:
                item = key.data
                if item is None:
                    try:
                        self._wake_r.recv(4096)
                    except OSError:
                        pass
                elif isinstance(item, _Refused):
                    if not item.readable():
                        self.forget_refused(item)
                else:
                    with self._lock:
                        try:
                            self._selector.unregister(key.fileobj)
                        except (KeyError, ValueError):
                            continue
                    item.resume()  # its reader threads read again (or see the end of the connection)
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + TICK
                for item in [r for r in self._refused if now >= r.deadline]:
                    self.forget_refused(item)
                self._server.expire_idle(now)


class Server:
    def __init__(
        self,
        listener: socket.socket,
        router: Router,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_timeout: Optional[float] = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        """``max_connections``: open connections at most (more are refused with GOAWAY); ``idle_timeout``:
        seconds a connection may have no stream before it is closed (None or 0: never)."""
        self.listener = listener
        self.router = router
        self.max_connections = max(1, max_connections)
        self.idle_timeout = idle_timeout or None
        self._connections: List[Connection] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._poller = Poller(self)
        self._refusals = 0
        self._refusal_logged = 0.0

    def start(self) -> None:
        self._poller.start()
        threading.Thread(target=self._accept_loop, name="aiges-accept", daemon=True).start()

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                if self._stopping:
                    return
                time.sleep(0.01)  # e.g. out of file descriptors: do not spin
                continue
            if sock.family != socket.AF_UNIX:  # unix sockets (and the TLS relay's socketpair) have no Nagle
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = Connection(sock, self.router, park=self._poller.park, closing=self._poller.forget)
            with self._lock:
                if self._stopping:
                    sock.close()
                    return
                self._connections = [c for c in self._connections if not c.closed]
                full = len(self._connections) >= self.max_connections
                if not full:
                    self._connections.append(connection)
            if full:
                self._refuse(sock)
            else:
                connection.start()

    def _refuse(self, sock: socket.socket) -> None:
        """Over the connection limit: the server preface (an empty SETTINGS) and GOAWAY(ENHANCE_YOUR_CALM,
        last stream 0: nothing was processed, so a client may retry later), then close."""
        self._refusals += 1
        now = time.monotonic()
        if now - self._refusal_logged >= 10.0:  # a flood of connections must not flood the log
            log.warning(
                "connection limit (%d) reached: refused %d connection(s) (--max-connections)",
                self.max_connections,
                self._refusals,
            )
            self._refusal_logged, self._refusals = now, 0
        try:
            sock.sendall(
                frames.settings([])
                + frames.goaway(0, frames.ENHANCE_YOUR_CALM, b"connection limit (%d) reached" % self.max_connections)
            )
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        self._poller.refuse(sock)

    def expire_idle(self, now: float) -> None:
        """Called by the poller every TICK: close connections without a stream for ``idle_timeout`` s."""
        if self.idle_timeout is None:
            return
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            if connection.closed:
                continue
            if connection.open_streams:
                connection.active_at = now
            elif now - connection.active_at >= self.idle_timeout:
                connection.expire(self.idle_timeout)

    @property
    def connections(self) -> int:
        return sum(1 for connection in self._connections if not connection.closed)

    def stop(self, grace: float) -> None:
        """Refuse new connections and streams, let open calls end for up to ``grace`` s, then close."""
        with self._lock:
            self._stopping = True
            connections = list(self._connections)
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop
        except OSError:
            pass
        self.listener.close()
        for connection in connections:
            connection.goaway(wait=0.1)  # a connection stuck on a peer that does not read is just closed
        deadline = time.monotonic() + max(0.0, grace)
        while time.monotonic() < deadline and any(c.open_streams for c in connections if not c.closed):
            time.sleep(0.01)
        for connection in connections:
            connection.close()
        self._poller.stop()
        self.router.shutdown()
