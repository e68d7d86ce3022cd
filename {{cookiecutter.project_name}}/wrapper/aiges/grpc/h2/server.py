"""Accept connections on a listening socket and start each one's reader threads.

The socket is bound (and the go-plugin handshake printed) before this module is even imported:
connections the loader opens meanwhile wait in the kernel's backlog, so start-up work overlaps the
host's connection set-up instead of delaying the handshake.
"""
import logging
import socket
import threading
import time
from typing import List

from aiges.grpc.h2.connection import Connection
from aiges.grpc.h2.rpc import Router

log = logging.getLogger("aiges.serve")


class Server:
    def __init__(self, listener: socket.socket, router: Router) -> None:
        self.listener = listener
        self.router = router
        self._connections: List[Connection] = []
        self._lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
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
            connection = Connection(sock, self.router)
            with self._lock:
                if self._stopping:
                    sock.close()
                    return
                self._connections = [c for c in self._connections if not c.closed] + [connection]
            connection.start()

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
            connection.goaway()
        deadline = time.monotonic() + max(0.0, grace)
        while time.monotonic() < deadline and any(c.open_streams for c in connections if not c.closed):
            time.sleep(0.01)
        for connection in connections:
            connection.close()
        self.router.shutdown()
