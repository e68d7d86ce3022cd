"""``python3 -m python_wrapper.grpc_server``: the WidgetPy plugin server (loader option ``WIDGET_PLUGIN_MODE=py``).

Started as the vendor's server is (``--module M --sock PATH [--class C] [--workers N] [--callback-sock PATH]``,
the contract the loader's documentation gives), it serves the wrapper, old API or new
(``selection.py``), on our own HTTP/2 transport (``aiges.grpc.h2``, no grpcio). What it does differently
from the vendor's, on purpose (docs/explanation/widgetpy.md):

- SIGTERM/SIGINT handlers are installed first, before anything is imported or printed: a signal right
  after the readiness line stops the server cleanly (the vendor's died of it 1-2 times in 20);
- ``AIGES_PY_READY unix:<PATH>`` is printed once the listener is up and the rpcs are installed; after it
  stdout is pointed at stderr, so the wrapper's prints become log records and never mix into the loader's
  pipe (the loader's end of it is watched: when it closes, the server stops);
- the socket lives in a private directory, PATH links to it (``socketpath.py``);
- the largest message is ``--max-message-mb`` (256 MB, not grpcio's 4 MiB);
- shutdown lets running calls finish, calls the wrapper's ``fini``/``wrapperFini`` (unless the loader's Fini
  did), then exits 0 within ``--grace`` seconds.
"""

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
import time
from typing import Any, List, Optional

from aiges.utils.environ import add_max_message_mb, int_from_env

READY_PREFIX = "AIGES_PY_READY "
DEFAULT_WORKERS = 4  # the vendor's default
DEFAULT_GRACE = 5.0  # the vendor's server.stop(grace=5)

log = logging.getLogger("aiges.widgetpy")


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="python3 -m python_wrapper.grpc_server",
        description="The AIGES WidgetPy plugin server (WIDGET_PLUGIN_MODE=py), on the aiges runtime.",
    )
    found.add_argument("--module", default="wrapper", help="module of the wrapper class (default: wrapper)")
    found.add_argument("--class", dest="class_name", default=None, help="the wrapper class (default: detected)")
    found.add_argument("--sock", required=True, help="unix socket path the loader connects to")
    found.add_argument(
        "--workers",
        type=int,
        default=int_from_env("AIGES_WORKERS", DEFAULT_WORKERS),
        help="wrapper calls run at the same time (env AIGES_WORKERS; default %(default)s)",
    )
    found.add_argument("--callback-sock", dest="callback_sock", default=None, help="the loader's CallbackService")
    found.add_argument(
        "--queue",
        type=int,
        default=int_from_env("AIGES_QUEUE", 1000),
        help="wrapper calls that may wait for a worker (env AIGES_QUEUE; default %(default)s)",
    )
    add_max_message_mb(found)
    found.add_argument(
        "--log-level",
        default=os.environ.get("AIGES_LOG_LEVEL") or None,
        choices=("debug", "info", "warn", "warning", "error"),
        help="log level until Init applies the config's log.level (env AIGES_LOG_LEVEL)",
    )
    found.add_argument(
        "--grace", type=float, default=DEFAULT_GRACE, help="seconds allowed for a clean stop (default %(default)s)"
    )
    found.add_argument("--callback-timeout", type=float, default=30.0, help="seconds a callback to the loader may take")
    return found


class _Stop:
    """The stop request, settable from signal handlers before anything else exists."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reasons: List[str] = []
        self.cleanup: List[Any] = []  # run by a second signal before exiting at once

    def request(self, reason: str) -> None:
        if not self.event.is_set():
            self.reasons.append(reason)
            self.event.set()

    def on_signal(self, signum: int, _frame: object) -> None:
        if self.event.is_set():
            for action in self.cleanup:
                action()
            os._exit(128 + signum)  # a second signal while stopping: give up waiting
        self.request("received %s" % signal.Signals(signum).name)


def main(argv: Optional[List[str]] = None) -> int:
    stop = _Stop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # first of all: no start-up window without them
        signal.signal(signum, stop.on_signal)
    args = parser().parse_args(argv)
    from aiges.utils import logsetup  # start-up time: after the signal handlers

    logs = logsetup.start()
    if args.log_level:
        logs.set_level(args.log_level)
    try:
        code = _run(args, stop, logs)
    finally:
        logs.close()
    from aiges.serve import exit_watchdog  # start-up time: loaded after the signal handlers are installed

    exit_watchdog(code, 2.0)  # threads a wrapper left running never hold the exit
    return code


def _run(args: argparse.Namespace, stop: _Stop, logs: Any) -> int:
    try:
        import google.protobuf  # noqa: F401 - the one dependency (the messages); say so plainly when it is missing
    except ImportError as error:
        log.error("python3 -m python_wrapper.grpc_server needs protobuf (pip install protobuf): %s", error)
        return 2
    # start-up time: loaded after the signal handlers are installed
    from aiges import callback
    from aiges.grpc.h2.transport import H2Transport
    from aiges.grpc.workers import Workers
    from aiges.widgetpy import service, socketpath
    from aiges.widgetpy.callbacks import LoaderCallbacks

    max_bytes = max(1, args.max_message_mb) * 1024 * 1024
    loader = LoaderCallbacks(args.callback_sock, args.callback_timeout) if args.callback_sock else None
    try:
        adapter = load(args.module, args.class_name, loader.push if loader else None, max_bytes)
    except Exception:
        log.exception(
            "cannot load the wrapper (--module %s%s)",
            args.module,
            " --class " + args.class_name if args.class_name else "",
        )
        return 1
    if loader is not None:
        loader.connect()
        callback.install_reporter(loader.report)
    workers = Workers(max(1, args.workers), max(0, args.queue))
    try:
        listener, endpoint = socketpath.bind(args.sock)
    except OSError as error:
        log.error("cannot listen: %s", error)
        workers.stop()
        return 1
    stop.cleanup.append(lambda: socketpath.unbind(args.sock, endpoint))
    transport = H2Transport(max_bytes, listener, idle_timeout=None)
    try:
        transport.install(service.entries(adapter, workers))
        transport.start()
        if stop.event.is_set():
            log.info("stopping before serving: %s", stop.reasons[0])
        else:
            _announce(args.sock, stop, logs)
            log.info(
                "serving %s (%s API) on %s (-> %s) with %d worker(s), max message %d MB",
                type(adapter.wrapper).__name__,
                adapter.api,
                args.sock,
                endpoint.path,
                max(1, args.workers),
                max_bytes // (1024 * 1024),
            )
            while not stop.event.wait(1.0):  # a timed wait keeps the main thread responsive to signals
                pass
            log.info("stopping: %s", stop.reasons[0] if stop.reasons else "requested")
        _shut_down(adapter, workers, transport, args.grace)
    finally:
        socketpath.unbind(args.sock, endpoint)
        callback.install_reporter(None)
        if loader is not None:
            loader.close()
    log.info("stopped")
    return 0


def load(module_name: str, class_name: Optional[str], push: Any, max_bytes: int) -> Any:
    """Import ``module_name`` (the working directory first on ``sys.path``, as the vendor's server puts it), pick
    the class and wrap an instance in the adapter of its API."""
    # start-up time: loaded after the signal handlers are installed
    from aiges import loading
    from aiges.grpc.runner import instantiate
    from aiges.widgetpy import selection
    from aiges.widgetpy.legacy import LegacyWrapper
    from aiges.widgetpy.modern import ModernWrapper

    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    loading.provide_embed_module()  # old-API wrappers import aiges_embed (after sys.path: one of the folder's wins)
    module = importlib.import_module(module_name)
    cls = selection.find_class(module, class_name)
    kind = selection.api_of(cls)
    log.info("serving %s.%s (%s API)", module_name, cls.__name__, kind)
    if kind == selection.NEW_API:
        return ModernWrapper(cls())
    return LegacyWrapper(instantiate(cls), push, max_bytes)


def _announce(path: str, stop: _Stop, logs: Any) -> None:
    # start-up time: loaded after the signal handlers are installed
    from aiges.grpc.lifecycle import watch_parent
    from aiges.serve import reserve_stdout

    sys.stdout.write("%sunix:%s\n" % (READY_PREFIX, path))
    sys.stdout.flush()
    watch_fd = reserve_stdout()
    logs.start_capture(logs.console.stream.fileno())
    threading.Thread(target=watch_parent, name="aiges-parent-watch", daemon=True, args=(watch_fd, stop.request)).start()


def _shut_down(adapter: Any, workers: Any, transport: Any, grace: float) -> None:
    started = time.monotonic()
    if not workers.drain(grace / 2):
        log.warning("%d wrapper call(s) still running at shutdown", workers.in_flight)
    finishing = threading.Thread(target=adapter.shutdown, name="aiges-fini", daemon=True)
    finishing.start()
    finishing.join(max(0.1, grace / 4))
    if finishing.is_alive():
        log.warning("fini did not return within %.1f s", grace / 4)
    transport.stop(max(0.1, grace - (time.monotonic() - started)))
    workers.stop()
