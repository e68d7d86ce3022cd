"""The built-in transport: our services on our own HTTP/2 server (``aiges.grpc.h2``)."""

import socket
from typing import Any, Dict, Iterable, Optional

from aiges.grpc.h2.acceptor import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, Server
from aiges.grpc.h2.rpc import Router, Rpc
from aiges.grpc.listen import listen
from aiges.grpc.services import Entry


class H2Transport:
    def __init__(
        self,
        max_message_bytes: int,
        listener: Optional[Any] = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_timeout: Optional[float] = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        """``listener``: a socket already bound and listening (``aiges.grpc.listen``), if any;
        ``max_connections``, ``idle_timeout``: see ``h2.server.Server``."""
        self._router = Router(max_message_bytes)
        self._listener = listener
        self._max_connections = max_connections
        self._idle_timeout = idle_timeout
        self._server: Optional[Server] = None

    def bind(self, ports: Iterable[int]) -> int:
        if self._listener is None:
            self._listener = listen(ports)[0]
        return self._listener.getsockname()[1]

    def start(self) -> None:
        raw = self._listener
        assert raw is not None, "bind() comes first"
        listener = raw if isinstance(raw, socket.socket) else socket.socket(fileno=raw.detach())
        self._server = Server(listener, self._router, self._max_connections, self._idle_timeout)
        self._server.start()

    def install(self, entries: Dict[str, Entry]) -> None:
        self._router.install(
            {
                path: Rpc(
                    path,
                    entry.method.client_streaming,
                    entry.method.server_streaming,
                    entry.method.request.FromString,
                    entry.method.response.SerializeToString,
                    entry.behaviour,
                    entry.inline,
                )
                for path, entry in entries.items()
            }
        )

    def stop(self, grace: float) -> None:
        if self._server is not None:
            self._server.stop(grace)
