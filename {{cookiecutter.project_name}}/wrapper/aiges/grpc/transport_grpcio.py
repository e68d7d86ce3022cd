"""The grpcio transport (``--transport grpcio``): our services on grpcio's synchronous server.

The built-in HTTP/2 transport is the default; this one stays for users who want grpcio's own
stack (e.g. to compare behaviour). Same services, same semantics, including calls that arrive
before the runtime has loaded waiting for it.
"""

import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, Optional

import grpc

from aiges.grpc import listen, status, tls
from aiges.grpc.listen import Endpoint
from aiges.grpc.services import Entry

HOST = "127.0.0.1"
# gRPC threads beyond the wrapper workers: the host's long-lived streams (communicate, stdio, broker)
# hold one each, and session calls waiting for a worker hold one while they wait. Created on demand.
STREAM_THREADS = 64

_FACTORIES = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


def _aborting(behaviour: Any, streaming: bool) -> Any:
    """``behaviour`` with our :class:`status.Abort` turned into ``context.abort``."""

    def unary(request: Any, context: Any) -> Any:
        try:
            return behaviour(request, context)
        except status.Abort as abort:
            context.abort(grpc.StatusCode[status.NAMES[abort.code]], abort.details)

    def stream(request: Any, context: Any) -> Any:
        try:
            yield from behaviour(request, context)
        except status.Abort as abort:
            context.abort(grpc.StatusCode[status.NAMES[abort.code]], abort.details)

    return stream if streaming else unary


class DeferredHandlers(grpc.GenericRpcHandler):
    """Routes calls to the real handlers once :meth:`install` has run; calls arriving earlier wait."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._handlers: Dict[str, grpc.RpcMethodHandler] = {}

    def install(self, entries: Dict[str, Entry]) -> None:
        self._handlers = {
            path: _FACTORIES[(entry.method.client_streaming, entry.method.server_streaming)](
                _aborting(entry.behaviour, entry.method.server_streaming),
                request_deserializer=entry.method.request.FromString,
                response_serializer=entry.method.response.SerializeToString,
            )
            for path, entry in entries.items()
        }
        self._ready.set()

    def service(self, handler_call_details: Any) -> Optional[grpc.RpcMethodHandler]:
        self._ready.wait()
        return self._handlers.get(handler_call_details.method)


def _looks_free(port: int) -> bool:
    """Cheap pre-check so a busy range is scanned without asking gRPC to bind every port."""
    if port == 0:
        return True
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


class GrpcioTransport:
    def __init__(self, workers: int, max_message_bytes: int, tls: Any = None) -> None:
        """``tls``: an ``aiges.grpc.tls.ServerTls`` (go-plugin AutoMTLS), or None for plaintext.

        With TLS, grpcio serves plaintext on a private unix socket and our TLS relay (OpenSSL, as on
        the built-in transport) listens where the host connects: grpcio's BoringSSL cannot verify the
        P-521 certificates go-plugin hosts present, so the host would never send its certificate."""
        self._tls = tls
        self._front: Optional[socket.socket] = None  # with TLS: where the host connects
        self._inner: Optional[Endpoint] = None  # with TLS: grpcio's own plaintext socket
        self._deferred = DeferredHandlers()
        self._server = grpc.server(
            ThreadPoolExecutor(max_workers=workers + STREAM_THREADS, thread_name_prefix="aiges-grpc"),
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
                ("grpc.so_reuseport", 0),  # never share a port with another plugin
            ],
        )
        self._server.add_generic_rpc_handlers([self._deferred])
        if tls is not None:
            self._inner = listen.unix_endpoint()
            if not self._server.add_insecure_port(self._inner.target):
                raise OSError("cannot listen on %s" % self._inner.path)

    def bind(self, ports: Iterable[int]) -> int:
        """Bind the first free port (127.0.0.1 only); OSError when there is none."""
        if self._tls is not None:
            raw, port = listen.listen(ports)
            self._front = socket.socket(fileno=raw.detach())
            return port
        for port in ports:
            if not _looks_free(port):
                continue
            try:
                bound = self._add_port("%s:%d" % (HOST, port))
            except RuntimeError:
                continue
            if bound:
                return bound
        raise OSError("no free port")

    def bind_unix(self, endpoint: Endpoint) -> Endpoint:
        """Listen on ``endpoint``'s socket path (its private directory exists already)."""
        if self._tls is not None:
            self._front = socket.socket(fileno=listen.bind_unix(endpoint).detach())
            return endpoint
        try:
            bound = self._add_port(endpoint.target)
        except RuntimeError as error:
            raise OSError("cannot listen on %s: %s" % (endpoint.path, error)) from None
        if not bound:
            raise OSError("cannot listen on %s" % endpoint.path)
        os.chmod(endpoint.path, 0o600)
        return endpoint

    def _add_port(self, address: str) -> int:
        return self._server.add_insecure_port(address)

    def start(self) -> None:
        self._server.start()
        if self._front is not None:
            threading.Thread(target=self._accept_tls, name="aiges-tls-accept", daemon=True).start()

    def _accept_tls(self) -> None:
        """Each TLS connection of the host goes, decrypted, to grpcio's private socket."""
        front, inner = self._front, self._inner
        assert front is not None and inner is not None
        while True:
            try:
                raw, _ = front.accept()
            except OSError:
                return  # closed by stop()
            plain = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                plain.connect(inner.path)
            except OSError:
                raw.close()
                plain.close()
                continue
            threading.Thread(
                target=tls.relay, args=(raw, plain, self._tls.context), name="aiges-tls", daemon=True
            ).start()

    def install(self, entries: Dict[str, Entry]) -> None:
        self._deferred.install(entries)

    def stop(self, grace: float) -> None:
        if self._front is not None:
            try:
                self._front.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._front.close()
        self._server.stop(grace).wait()
        if self._inner is not None:
            listen.remove(self._inner)
