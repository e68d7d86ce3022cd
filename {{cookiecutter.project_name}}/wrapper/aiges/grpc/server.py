"""The plugin server's life: bind a loopback port, announce it, serve, stop cleanly.

Start-up announces the port as soon as the gRPC server listens, before the protocol tables and
the runtime are loaded; calls that arrive meanwhile wait for them, so the host's connection set-up
overlaps our remaining start-up work (the wrapper itself is imported only by ``wrapperInit``).

Stop happens on ``GRPCController.Shutdown``, SIGTERM/SIGINT, or when the loader disappears (its end
of our stdout pipe closes, or we are re-parented; spec 10.2 item 26). Stopping marks health
NOT_SERVING, lets queued wrapper calls finish (bounded), calls ``wrapperFini``, ends the
``communicate`` streams normally, and stops the server, within ``grace`` seconds overall: inside
the 2 s go-plugin waits before it kills a plugin.
"""
import logging
import os
import select
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import grpc

log = logging.getLogger("aiges.serve")

HOST = "127.0.0.1"
# gRPC threads beyond the wrapper workers: the host's long-lived streams (communicate, stdio, broker)
# hold one each, and session calls waiting for a worker hold one while they wait. Created on demand.
STREAM_THREADS = 64


class Settings:
    """How to serve; built by ``aiges.serve`` from its command line and the loader's environment."""

    def __init__(self, port: Optional[int] = None, port_range: Optional[Tuple[int, int]] = None, workers: int = 2,
                 max_message_bytes: int = 256 * 1024 * 1024, wrapper: Optional[str] = None,
                 wrapper_argv: Optional[List[str]] = None, grace: float = 1.5) -> None:
        self.port = port  # fixed port (0: any); None: the first free one of port_range, else any
        self.port_range = port_range  # PLUGIN_MIN_PORT..PLUGIN_MAX_PORT
        self.workers = max(1, workers)
        self.max_message_bytes = max_message_bytes
        self.wrapper = wrapper  # folder of wrapper.py; None: the working directory
        self.wrapper_argv = wrapper_argv  # sys.argv the wrapper sees
        self.grace = grace
        self.watch_fd: Optional[int] = None  # the loader's stdout pipe (closed when the loader dies)


def handshake_line(port: int) -> str:
    """go-plugin's handshake: core protocol 1, app protocol 1, tcp address, grpc."""
    return "1|1|tcp|%s:%d|grpc" % (HOST, port)


def _ports(settings: Settings) -> Iterable[int]:
    if settings.port is not None:
        return [settings.port]
    if settings.port_range is not None:
        low, high = settings.port_range
        return range(low, high + 1)
    return [0]


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


def bind(server: Any, settings: Settings) -> int:
    """Bind the first free port (127.0.0.1 only); raises OSError when there is none."""
    for port in _ports(settings):
        if not _looks_free(port):
            continue
        try:
            bound = server.add_insecure_port("%s:%d" % (HOST, port))
        except RuntimeError:
            continue
        if bound:
            return bound
    if settings.port_range is not None and settings.port is None:
        raise OSError("no free port on %s in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT = %d..%d"
                      % (HOST, *settings.port_range))
    raise OSError("cannot listen on %s:%s" % (HOST, settings.port))


class DeferredHandlers(grpc.GenericRpcHandler):
    """Routes calls to the real handlers once :meth:`install` has run; calls arriving earlier wait."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._by_service: Dict[str, grpc.GenericRpcHandler] = {}
        self._by_method: Dict[str, Optional[grpc.RpcMethodHandler]] = {}  # resolved once per method path

    def install(self, handlers: Dict[str, grpc.GenericRpcHandler]) -> None:
        self._by_service = dict(handlers)
        self._ready.set()

    def service(self, handler_call_details: Any) -> Optional[grpc.RpcMethodHandler]:
        method = handler_call_details.method
        found = self._by_method.get(method)
        if found is not None:
            return found
        self._ready.wait()
        handler = self._by_service.get(method.split("/")[1] if method.count("/") == 2 else "")
        found = handler.service(handler_call_details) if handler is not None else None
        if found is not None:
            self._by_method[method] = found
        return found


def _watch_parent(fd: Optional[int], on_gone: Callable[[str], None], interval: float = 0.5) -> None:
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
    """Serve until asked to stop; returns the exit status. Call from the main thread (signals)."""
    stop = threading.Event()
    reasons: List[str] = []

    def request_stop(reason: str) -> None:
        if not stop.is_set():
            reasons.append(reason)
            stop.set()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            os._exit(128 + signum)  # a second signal while stopping: give up waiting
        request_stop("received %s" % signal.Signals(signum).name)

    deferred = DeferredHandlers()
    server = grpc.server(ThreadPoolExecutor(max_workers=settings.workers + STREAM_THREADS,
                                            thread_name_prefix="aiges-grpc"), options=[
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.so_reuseport", 0),  # never share a port with another plugin
    ])
    server.add_generic_rpc_handlers([deferred])
    port = bind(server, settings)
    server.start()
    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        announce(handshake_line(port))
        try:
            state = _install(deferred, settings, request_stop)
        except Exception:
            logging.getLogger("aiges.serve").exception("cannot load the gRPC runtime")
            deferred.install({})
            server.stop(0)
            return 1
        log.info("serving on %s:%d with %d worker(s), max message %d MB", HOST, port, settings.workers,
                 settings.max_message_bytes // (1024 * 1024))
        threading.Thread(target=_watch_parent, name="aiges-parent-watch", daemon=True,
                         args=(settings.watch_fd, request_stop)).start()
        while not stop.wait(1.0):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("stopping: %s", reasons[0] if reasons else "requested")
    _stop(server, state, settings.grace)
    log.info("stopped")
    return 0


def _install(deferred: DeferredHandlers, settings: Settings, request_stop: Callable[[str], None]) -> Any:
    """Load the runtime and the protocol, then let waiting calls through."""
    import aiges.utils.log  # noqa: F401  (the runtime's stderr handler for every aiges.* logger)
    from aiges.grpc.outbox import Outbox
    from aiges.grpc.runner import WrapperRunner
    from aiges.grpc.services import State, all_services
    from aiges.grpc.workers import Workers

    outbox = Outbox()
    state = State(WrapperRunner(outbox.put, settings.wrapper, settings.wrapper_argv), Workers(settings.workers),
                  outbox, request_stop)
    deferred.install(all_services(state))
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
    server.stop(max(0.1, grace - (time.monotonic() - started))).wait()
    state.workers.stop()
