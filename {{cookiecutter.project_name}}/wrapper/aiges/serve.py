"""``python -m aiges.serve`` (also ``python -m aiges serve``): the gRPC plugin server of python mode.

The loader (AIservice with ``AIGES_PLUGIN_MODE=python``) starts ``[aiges].pythonPluginCmd`` with
``bash -c`` in the folder of wrapper.py, as a hashicorp go-plugin: it sets ``BASIC_PLUGIN=hello``
and ``PLUGIN_MIN_PORT``/``PLUGIN_MAX_PORT``, reads the handshake line from our stdout, then calls
``aiges.WrapperService`` over gRPC (docs/explanation/grpc-transport.md). stdout carries only that line: logs go to
stderr, and after the handshake anything the wrapper prints goes there too. Under a go-plugin host
every line on stderr is an hclog JSON entry, so the loader logs it at its level
(``aiges.utils.logsetup``). The options also accept the vendor's ``-w N`` and ``-c``; arguments after the
options are what wrapper.py sees in ``sys.argv[1:]``.

Start-up speed matters (the loader waits for the handshake): with the built-in transport this
module binds the port and prints the handshake using only what the interpreter has already loaded,
then imports the rest. ``--help`` works without grpcio or protobuf.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and argparse cost milliseconds; annotations here are never evaluated
    import argparse
    from typing import Any, Callable, Dict, List, Optional, Tuple

COOKIE_KEY = "BASIC_PLUGIN"
COOKIE_VALUE = "hello"
APP_PROTOCOL_VERSION = "1"
LISTEN_CHOICES = ("unix", "tcp")
CLIENT_CERT_KEY = "PLUGIN_CLIENT_CERT"  # go-plugin's AutoMTLS: the host's certificate (PEM)
DEFAULT_MAX_CONNECTIONS = 100  # the loader opens exactly one
DEFAULT_IDLE_TIMEOUT = 300.0

NOT_BY_HAND = """\
This is the AIGES python-mode plugin server. It is meant to be started by the loader (AIservice
with AIGES_PLUGIN_MODE=python, through [aiges].pythonPluginCmd), which sets {key}={value} and reads
the handshake line this program prints on stdout.

To start it by hand anyway (e.g. to talk to it with your own gRPC client):
    {key}={value} python -m aiges.serve
To debug your wrapper.py locally, without gRPC:
    python -m aiges run
"""


def _default_workers() -> int:
    return max(2, os.cpu_count() or 1)


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        return default


def configure(parser: argparse.ArgumentParser) -> None:
    from aiges.utils.environ import add_max_message_mb, int_from_env  # start-up time: the handshake has gone out by now

    parser.add_argument(
        "--listen",
        choices=LISTEN_CHOICES,
        default=_env_choice("AIGES_LISTEN", LISTEN_CHOICES),
        help="unix: a unix socket in a fresh directory only this user can enter (default); "
        "tcp: 127.0.0.1, which every local user can reach (env AIGES_LISTEN; --port implies "
        "tcp)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="with --listen tcp: listen on this port of 127.0.0.1 (0: any); default: the first "
        "free port in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT when the loader sets them, else any",
    )
    parser.add_argument(
        "-w",
        "--workers",
        type=int,
        default=int_from_env("AIGES_WORKERS", _default_workers()),
        help="wrapper calls run at the same time (env AIGES_WORKERS; default: CPU count, at "
        "least 2). Streams to the loader never use a worker",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=int_from_env("AIGES_PROCESSES", 1),
        metavar="N",
        help="worker processes running the wrapper (env AIGES_PROCESSES; default 1: in this process). "
        "N > 1 lets pure-Python CPU-bound code use N cores; --workers is shared among them",
    )
    parser.add_argument(
        "--queue",
        type=int,
        default=int_from_env("AIGES_QUEUE", 1000),
        metavar="N",
        help="wrapper calls that may wait for a worker (env AIGES_QUEUE; default 1000); beyond "
        "it a request is answered at once with ret 30004",
    )
    add_max_message_mb(parser)
    parser.add_argument(
        "--wrapper",
        default=None,
        metavar="DIR",
        help="folder of wrapper.py (default: the working directory, as the loader runs it)",
    )
    parser.add_argument(
        "--log-level",
        default=None,
        choices=("debug", "info", "warn", "warning", "error"),
        help="log level until wrapperInit applies the config's log.level (env AIGES_LOG_LEVEL)",
    )
    parser.add_argument(
        "--transport",
        choices=("h2", "grpcio"),
        default=_default_transport(),
        help="h2: the built-in HTTP/2 server (default); grpcio: grpcio's server (env AIGES_TRANSPORT)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=int_from_env("AIGES_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS),
        help="h2 transport: open connections at most; more are refused with GOAWAY "
        "(env AIGES_MAX_CONNECTIONS; default %(default)s; the loader opens one)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=_env_float("AIGES_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT),
        metavar="SECONDS",
        help="h2 transport: close a connection that has had no call for this long, with GOAWAY "
        "(env AIGES_IDLE_TIMEOUT; default %(default)s; 0: never)",
    )
    parser.add_argument(
        "--grace", type=float, default=1.5, help="seconds allowed for a clean stop (go-plugin kills after 2)"
    )
    parser.add_argument(
        "-c",
        dest="vendor_concurrent",
        action="store_true",
        help="accepted for the vendor's command line; one process serves concurrently anyway",
    )
    parser.add_argument(
        "wrapper_args", nargs="*", metavar="ARG", help="arguments wrapper.py sees in sys.argv[1:] (put them after --)"
    )


def _default_transport() -> str:
    return "grpcio" if os.environ.get("AIGES_TRANSPORT", "").strip().lower() == "grpcio" else "h2"


def _env_choice(name: str, choices: Tuple[str, ...]) -> Optional[str]:
    value = os.environ.get(name, "").strip().lower()
    return value if value in choices else None


def _network(listen: Optional[str], port: Optional[int]) -> str:
    """unix unless tcp is asked for (``--listen tcp``, AIGES_LISTEN=tcp or a ``--port``)."""
    return listen or ("tcp" if port is not None else "unix")


def _port_range() -> Tuple[Optional[Tuple[int, int]], str]:
    low, high = os.environ.get("PLUGIN_MIN_PORT", ""), os.environ.get("PLUGIN_MAX_PORT", "")
    if not low and not high:
        return None, ""
    try:
        first, last = int(low or high), int(high or low)
    except ValueError:
        return None, "PLUGIN_MIN_PORT/PLUGIN_MAX_PORT must be numbers, got %r/%r" % (low, high)
    if not 0 < first <= last < 65536:
        return None, "PLUGIN_MIN_PORT..PLUGIN_MAX_PORT = %d..%d is not a port range" % (first, last)
    return (first, last), ""


def _cookie_problem() -> str:
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        return NOT_BY_HAND.format(key=COOKIE_KEY, value=COOKIE_VALUE)
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").strip()
    if versions and APP_PROTOCOL_VERSION not in [v.strip() for v in versions.split(",")]:
        return "the loader speaks plugin protocol version(s) %s; this plugin speaks %s\n" % (
            versions,
            APP_PROTOCOL_VERSION,
        )
    return ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# The options the early start-up understands, each with a check of its value (None: takes no value).
# Anything else (help, --transport, an abbreviation, a bad value) goes to argparse first, so a command
# line error is reported before any handshake is printed.
_EARLY_OPTIONS: Dict[str, Optional[Callable[[str], Any]]] = {
    "--port": str.isdigit,
    "-w": str.isdigit,
    "--workers": str.isdigit,
    "--queue": str.isdigit,
    "--processes": str.isdigit,
    "--max-message-mb": str.isdigit,
    "--wrapper": bool,
    "--log-level": ("debug", "info", "warn", "warning", "error").__contains__,
    "--grace": _is_number,
    "-c": None,
    "--listen": LISTEN_CHOICES.__contains__,
    "--max-connections": str.isdigit,
    "--idle-timeout": _is_number,
}


def _early_port(argv: List[str]) -> Tuple[bool, Optional[int], str]:
    """(usable, --port value, network) from a strict look at the options: usable only with the
    built-in transport, without AutoMTLS, and with options that argparse will accept exactly as read here."""
    options = argv[: argv.index("--")] if "--" in argv else argv
    port = None
    listen = _env_choice("AIGES_LISTEN", LISTEN_CHOICES)
    index = 0
    while index < len(options):
        name, has_value, value = options[index].partition("=")
        if not name.startswith("-"):  # an argument for wrapper.py
            index += 1
            continue
        if name not in _EARLY_OPTIONS:
            return False, None, ""
        check = _EARLY_OPTIONS[name]
        if check is None:
            if has_value:
                return False, None, ""
            index += 1
            continue
        if not has_value:
            if index + 1 >= len(options):
                return False, None, ""
            value = options[index + 1]
            index += 1
        if not check(value):
            return False, None, ""
        if name == "--port":
            port = int(value)
        elif name == "--listen":
            listen = value
        index += 1
    network = _network(listen, port)
    usable = (
        _default_transport() == "h2"
        and not os.environ.get(CLIENT_CERT_KEY)
        and not (network == "unix" and port is not None)
    )
    return usable, port, network


def _announce_early(argv: List[str]) -> Optional[Tuple[Any, Any, Optional[int]]]:
    """Bind and print the handshake before anything else is imported: (listener, Endpoint, watch fd),
    or None to leave everything to the regular start-up (which reports any problem)."""
    usable, port, network = _early_port(argv)
    if not usable or _cookie_problem():
        return None
    port_range, problem = _port_range()
    if problem:
        return None
    from aiges.grpc import earlysignals  # start-up time: a few lines, no imports of its own
    from aiges.grpc.listen import (  # start-up time: the handshake goes out first
        Endpoint,
        handshake_line,
        listen,
        listen_unix,
        ports,
    )

    earlysignals.remember()  # a host may stop us as soon as it has read the handshake
    try:
        if network == "unix":
            listener, endpoint = listen_unix()
        else:
            listener, bound = listen(ports(port, port_range))
            endpoint = Endpoint("tcp", port=bound)
    except OSError:
        return None
    sys.stdout.write(handshake_line(endpoint) + "\n")
    sys.stdout.flush()
    return listener, endpoint, reserve_stdout()


def main(args: argparse.Namespace, early: Optional[Tuple[Any, Any, Optional[int]]] = None) -> int:
    problem = _cookie_problem()
    if problem:  # plain text for a person; an ERROR entry for a go-plugin host of another protocol
        _report(problem.rstrip("\n"))
        return 1
    network = _network(args.listen, args.port)
    if network == "unix" and args.port is not None:
        _report("aiges.serve: --port %d needs --listen tcp (AIGES_LISTEN=unix asks for a unix socket)" % args.port)
        return 2
    port_range, problem = _port_range()
    if problem:
        _report(problem)
        return 1
    import logging  # start-up time: loaded only when this path runs

    from aiges.utils import logsetup  # start-up time: loaded only when this path runs

    logs = logsetup.start()
    log = logging.getLogger("aiges.serve")
    if early:  # the handshake is out: from now on stdout and stderr are log records
        logs.start_capture(logs.console.stream.fileno())
    if args.log_level:
        logs.set_level(args.log_level)
    if args.vendor_concurrent:
        log.info("-c (vendor multi-process mode) is not needed and ignored")
    needed = "protobuf" if args.transport == "h2" else "grpcio protobuf"
    try:
        import google.protobuf  # noqa: F401 - every transport needs it (the messages)

        if args.transport == "grpcio":
            import grpc  # noqa: F401
        from aiges.grpc.lifecycle import Settings, serve  # start-up time: loaded only when this path runs
    except ImportError as error:
        log.error(
            "python -m aiges.serve --transport %s needs %s (pip install %s): %s", args.transport, needed, needed, error
        )
        logs.close()
        return 2
    settings = Settings(
        port=args.port,
        port_range=port_range,
        workers=args.workers,
        queue=max(0, args.queue),
        processes=max(1, args.processes),
        max_message_bytes=max(1, args.max_message_mb) * 1024 * 1024,
        wrapper=args.wrapper,
        wrapper_argv=[sys.argv[0], *args.wrapper_args],
        grace=args.grace,
        transport=args.transport,
        listener=early[0] if early else None,
        network=network,
        endpoint=early[1] if early else None,
        client_cert=os.environ.get(CLIENT_CERT_KEY) or None,
    )
    if early:
        settings.watch_fd = early[2]
    settings.max_connections = max(1, args.max_connections)
    settings.idle_timeout = args.idle_timeout if args.idle_timeout > 0 else None

    def announce(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        settings.watch_fd = reserve_stdout()
        logs.start_capture(logs.console.stream.fileno())

    try:
        code = serve(settings, announce)
    except (OSError, ValueError) as error:  # ValueError: an unusable PLUGIN_CLIENT_CERT
        log.error("%s", error)
        return 1
    finally:
        logs.close()
    exit_watchdog(code, 2.0)
    return code


def _report(text: str) -> None:
    """A start-up problem on stderr, as an ERROR entry when a go-plugin host reads it."""
    from aiges.utils.logsetup import console_format  # start-up time: loaded only when this path runs

    if console_format() == "json":
        from aiges.utils.hclog import lines  # start-up time: loaded only when this path runs

        text = "\n".join(lines("error", text, "aiges.serve"))
    sys.stderr.write(text + "\n")


def reserve_stdout() -> Optional[int]:
    """After the handshake, point fd 1 at stderr so prints from wrapper code never block or garble the
    loader's stdout; the original pipe is kept (returned) to notice when the loader goes away."""
    try:
        original = os.dup(1)
        os.dup2(2, 1)
    except OSError:
        return None
    reconfigure = getattr(sys.stdout, "reconfigure", None)  # TextIOWrapper's: a stand-in may lack it
    try:
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    except (AttributeError, ValueError):
        pass
    return original


def exit_watchdog(code: int, grace: float) -> None:
    """Let the interpreter exit normally (atexit handlers run), but never hang on threads a wrapper
    left running: after ``grace`` seconds the process ends anyway."""
    import threading  # start-up time: loaded only when this path runs

    def force() -> None:
        threading.Event().wait(grace)
        os._exit(code)

    threading.Thread(target=force, name="aiges-exit", daemon=True).start()


def run(argv: Optional[List[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    early = _announce_early(arguments)
    import argparse  # start-up time: loaded only when this path runs

    description = __doc__.splitlines()[0].replace("``", "")  # plain text in --help
    parser = argparse.ArgumentParser(prog="python -m aiges.serve", description=description)
    configure(parser)
    return main(parser.parse_args(arguments), early)


if __name__ == "__main__":
    sys.exit(run())
