"""The plugin server's life: listen, announce it, serve, stop cleanly.

By default the server listens on a unix socket in a fresh directory only the plugin's user can
enter (``listen.py``), removed when serving ends; ``--listen tcp`` uses 127.0.0.1 instead. When a
go-plugin host asks for AutoMTLS (``PLUGIN_CLIENT_CERT``), connections are TLS that require the
host's certificate (``tls.py``) and the handshake carries ours.

Start-up announces the address as soon as it listens, before the protocol tables and the runtime are
loaded (with the built-in transport, ``aiges.serve`` binds and announces before importing even
this module); calls that arrive meanwhile wait for them, so the host's connection set-up overlaps
our remaining start-up work (the wrapper itself is imported only by ``wrapperInit``).

Two transports serve the same services (``services.py``): the built-in HTTP/2 server (``h2/``,
the default: a fraction of grpcio's per-call cost and start-up time) and grpcio's.

Stop happens on ``GRPCController.Shutdown``, SIGTERM/SIGINT, or when the loader disappears (its end
of our stdout pipe closes, or we are re-parented; docs/explanation/vendor-fixes.md). Stopping marks health
NOT_SERVING, lets queued wrapper calls finish (bounded), calls ``wrapperFini``, ends the
``communicate`` streams normally, and stops the server, within ``grace`` seconds overall: inside
the 2 s go-plugin waits before it kills a plugin.
"""

import logging
import os
import select
import signal
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

from aiges.grpc import earlysignals, listen
from aiges.grpc.listen import HOST, Endpoint, handshake_line, ports

log = logging.getLogger("aiges.serve")

TRANSPORTS = ("h2", "grpcio")


class Settings:
    """How to serve; built by ``aiges.serve`` from its command line and the loader's environment."""

    def __init__(
        self,
        port: Optional[int] = None,
        port_range: Optional[Tuple[int, int]] = None,
        workers: int = 2,
        max_message_bytes: int = 256 * 1024 * 1024,
        wrapper: Optional[str] = None,
        wrapper_argv: Optional[List[str]] = None,
        grace: float = 1.5,
        transport: str = "h2",
        listener: Any = None,
        network: str = "unix",
        endpoint: Optional[Endpoint] = None,
        client_cert: Optional[str] = None,
        queue: Optional[int] = None,
        processes: int = 1,
    ) -> None:
        self.port = port  # fixed port (0: any); None: the first free one of port_range, else any
        self.port_range = port_range  # PLUGIN_MIN_PORT..PLUGIN_MAX_PORT
        self.queue = queue  # wrapper calls that may wait for a worker; None: Workers' default
        self.workers = max(1, workers)
        self.processes = max(1, processes)  # worker processes running the wrapper; 1: in this process
        self.max_message_bytes = max_message_bytes
        self.wrapper = wrapper  # folder of wrapper.py; None: the working directory
        self.wrapper_argv = wrapper_argv  # sys.argv the wrapper sees
        self.grace = grace
        self.transport = transport  # "h2" (built in) or "grpcio"
        self.listener = listener  # h2 only: a socket already listening (bound before the handshake)
        self.network = network  # "unix" (a private directory) or "tcp" (127.0.0.1)
        self.endpoint = endpoint  # where ``listener`` listens
        self.client_cert = client_cert  # go-plugin AutoMTLS: the host's certificate (PEM); serve TLS requiring it
        self.watch_fd: Optional[int] = None  # the loader's stdout pipe (closed when the loader dies)
        self.max_connections = 100  # h2 only: open connections at most (aiges.serve --max-connections)
        self.idle_timeout: Optional[float] = 300.0  # h2 only: seconds without a stream before a close (None: never)


def _workers(settings: Settings) -> Any:
    from aiges.grpc.workers import DEFAULT_QUEUE, Workers  # start-up time: loaded only when this path runs

    return Workers(settings.workers, DEFAULT_QUEUE if settings.queue is None else settings.queue)


def _open(settings: Settings, tls: Any) -> Tuple[Any, Endpoint]:
    """(transport, where it listens): a fresh private unix socket, or the first free port of
    127.0.0.1; raises OSError naming the range when there is none."""
    if settings.transport == "grpcio":
        # optional dependency: grpcio, only with --transport grpcio
        from aiges.grpc.transport_grpcio import GrpcioTransport

        grpcio = GrpcioTransport(settings.workers, settings.max_message_bytes, tls)
        if settings.network == "unix":
            return grpcio, grpcio.bind_unix(listen.unix_endpoint())
        return grpcio, Endpoint("tcp", port=_tcp(grpcio.bind, settings))
    from aiges.grpc.h2.transport import H2Transport  # start-up time: loaded only when this path runs

    listener, endpoint = settings.listener, settings.endpoint
    if listener is None:
        if settings.network == "unix":
            listener, endpoint = listen.listen_unix()
        else:
            listener, port = _tcp(listen.listen, settings)
            endpoint = Endpoint("tcp", port=port)
    elif endpoint is None:
        endpoint = Endpoint("tcp", port=listener.getsockname()[1])
    if tls is not None:
        listener = tls.wrap_listener(listener)
    return H2Transport(settings.max_message_bytes, listener, settings.max_connections, settings.idle_timeout), endpoint


def _tcp(bind: Callable[[Any], Any], settings: Settings) -> Any:
    try:
        return bind(ports(settings.port, settings.port_range))
    except OSError:
        if settings.port_range is not None and settings.port is None:
            raise OSError(
                "no free port on %s in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT = %d..%d" % (HOST, *settings.port_range)
            ) from None
        raise OSError("cannot listen on %s:%s" % (HOST, settings.port)) from None


def watch_parent(fd: Optional[int], on_gone: Callable[[str], None], interval: float = 0.5) -> None:
    """Thread body: report when the loader's end of our stdout pipe closes, or we are re-parented."""
    parent = os.getppid()
    poller = select.poll() if fd is not None else None
    if poller is not None and fd is not None:
        poller.register(fd, 0)  # only POLLERR/POLLHUP: a pipe's writer gets POLLERR once no reader is left
    pause = threading.Event()
    while True:
        if poller is not None:
            events = poller.poll(interval * 1000)
            if any(event & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, event in events):
                on_gone("the loader closed its end of our stdout (it exited)")
                return
        else:
            pause.wait(interval)
        if os.getppid() != parent:
            on_gone("the parent process %d exited" % parent)
            return


def serve(settings: Settings, announce: Callable[[str], None]) -> int:
    """Serve until asked to stop; returns the exit status. Call from the main thread (signals).
    A unix endpoint's directory is removed on the way out, whatever ends the serving."""
    tls = None
    if settings.client_cert:
        from aiges.grpc.tls import ServerTls  # needs cryptography, only under AutoMTLS

        tls = ServerTls.for_client(settings.client_cert)  # ValueError: a certificate we cannot use
    server, endpoint = _open(settings, tls)
    try:
        return _serve(server, endpoint, settings, announce, tls)
    finally:
        listen.remove(endpoint)


def _serve(server: Any, endpoint: Endpoint, settings: Settings, announce: Callable[[str], None], tls: Any) -> int:
    stop = threading.Event()
    reasons: List[str] = []

    def request_stop(reason: str) -> None:
        if not stop.is_set():
            reasons.append(reason)
            stop.set()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            listen.remove(endpoint)
            os._exit(128 + signum)  # a second signal while stopping: give up waiting
        request_stop("received %s" % signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    if earlysignals.received:  # a signal between aiges.serve's early handshake and now
        request_stop("received %s before the server was ready" % signal.Signals(earlysignals.received[0]).name)
    try:
        server.start()
        if settings.listener is None:  # else aiges.serve bound the socket and announced it before loading us
            announce(handshake_line(endpoint, tls.handshake_certificate if tls is not None else ""))
        try:
            state = _install(server, settings, request_stop)
        except Exception:
            logging.getLogger("aiges.serve").exception("cannot load the gRPC runtime")
            server.install({})
            server.stop(0)
            return 1
        log.info(
            "serving on %s %s%s (%s transport) with %d worker(s)%s, max message %d MB",
            endpoint.network,
            endpoint.address,
            " with mutual TLS" if tls is not None else "",
            settings.transport,
            settings.workers,
            " in %d worker processes" % settings.processes if settings.processes > 1 else "",
            settings.max_message_bytes // (1024 * 1024),
        )
        threading.Thread(
            target=watch_parent, name="aiges-parent-watch", daemon=True, args=(settings.watch_fd, request_stop)
        ).start()
        while not stop.wait(1.0):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("stopping: %s", reasons[0] if reasons else "requested")
    _stop(server, state, settings.grace)
    log.info("stopped")
    return 0


def _install(server: Any, settings: Settings, request_stop: Callable[[str], None]) -> Any:
    """Load the runtime and the protocol, then let waiting calls through."""
    import aiges.utils.log  # noqa: F401  (the runtime's stderr handler for every aiges.* logger)
    from aiges.grpc.outbox import Outbox  # start-up time: loaded only when this path runs
    from aiges.grpc.runner import WrapperRunner  # start-up time: loaded only when this path runs
    from aiges.grpc.services import State, all_services  # start-up time: loaded only when this path runs

    outbox = Outbox()
    runner: Any
    if settings.processes > 1:
        from aiges.grpc.processes import ProcessRunner  # start-up time: loaded only when this path runs
        from aiges.grpc.workers import DEFAULT_QUEUE  # start-up time: loaded only when this path runs

        runner = ProcessRunner(
            outbox.put,
            settings.processes,
            -(-settings.workers // settings.processes),
            settings.wrapper,
            settings.wrapper_argv,
            settings.max_message_bytes,
            capacity=settings.workers + (DEFAULT_QUEUE if settings.queue is None else settings.queue),
        )
    else:
        runner = WrapperRunner(outbox.put, settings.wrapper, settings.wrapper_argv, settings.max_message_bytes)
    state = State(runner, _workers(settings), outbox, request_stop)
    state.check_users = settings.network == "tcp" and settings.client_cert is None  # mTLS names the host itself
    server.install(all_services(state))
    return state


def _stop(server: Any, state: Any, grace: float) -> None:
    state.stopping.set()
    started = time.monotonic()
    if not state.workers.drain(grace / 3):
        log.warning("%d wrapper call(s) still running at shutdown", state.workers.in_flight)
    finishing = threading.Thread(target=state.runner.fini, name="aiges-fini", daemon=True)
    finishing.start()
    finishing.join(max(0.1, grace / 3))
    if finishing.is_alive():
        log.warning("wrapperFini did not return within %.1f s", grace / 3)
    state.outbox.close()
    server.stop(max(0.1, grace - (time.monotonic() - started)))
    state.workers.stop()
