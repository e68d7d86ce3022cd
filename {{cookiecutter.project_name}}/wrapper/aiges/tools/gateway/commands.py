"""``python -m aiges gateway``: serve the plugin locally as the loader's HTTP/websocket front does.

Exit status: 0 after a clean stop, 1 when the wrapper fails to load or init, 2 for a missing
dependency (aiohttp, a development requirement) or bad declarations.
"""

import argparse
import asyncio
import signal
import sys
from typing import Any, Optional, Tuple

from aiges import loading
from aiges.errors import AigesError
from aiges.schema.gateway import gateway_schema, sample_request
from aiges.tools.gateway import example
from aiges.tools.localrun import phases
from aiges.tools.localrun.inputs import build_config, parse_assignments
from aiges.widgetpy.bridge import wrapper_for

MISSING_AIOHTTP = (
    "python -m aiges gateway needs aiohttp (a development requirement): pip install -r requirements-dev.txt"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "location",
        nargs="?",
        default=None,
        help="wrapper.py, its folder, or the project root (default: current directory)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=1888,
        help="port to listen on (default 1888, the loader's http_listen; 0 picks a free one)",
    )
    parser.add_argument("--config", action="append", metavar="KEY=VALUE", help="override an init config key")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a wrapper call or result may take")


def _load(args: argparse.Namespace) -> Tuple[Any, Any, str]:

    wrapper_file = loading.find_wrapper_file(args.location)
    root = loading.project_root(wrapper_file)
    cls, _ = loading.import_wrapper(wrapper_file, fallback=wrapper_for)
    wrapper = cls(legacy=False, is_aipaas=True, keep_schema_default_value=True)  # as aiges.serve makes it
    return wrapper, wrapper.declarations(check_samples=True), root


def main(args: argparse.Namespace) -> int:
    try:
        wrapper, declarations, root = _load(args)
        body = sample_request(declarations)
        fresh = gateway_schema(declarations)
    except AigesError as error:
        print("python -m aiges gateway: the wrapper's declarations are wrong:\n%s" % error, file=sys.stderr)
        return 2
    except (OSError, ImportError, SyntaxError, KeyError, ValueError) as error:
        print(
            "python -m aiges gateway: cannot load the wrapper: %s: %s" % (type(error).__name__, error), file=sys.stderr
        )
        return 1
    except Exception as error:  # noqa: BLE001 - user code at import or construction
        print(
            "python -m aiges gateway: loading wrapper.py raised %s: %s" % (type(error).__name__, error), file=sys.stderr
        )
        return 1
    try:
        import aiohttp  # noqa: F401 - only to say what to install
    except ImportError:
        print(MISSING_AIOHTTP, file=sys.stderr)
        return 2
    from aiges.tools.gateway import app, page  # after the aiohttp check: optional dependency

    schema, warning = page.page_schema(root, fresh)
    if warning:
        print("python -m aiges gateway: warning: %s" % warning, file=sys.stderr, flush=True)
    config = build_config(
        getattr(wrapper, "config", {}) or {}, root, parse_assignments(args.config, "--config"), "grpc"
    )
    context = phases.Context(
        wrapper=wrapper,
        declarations=declarations,
        config=config,
        params={},
        samples=[],
        emulate="grpc",
        asynchronous=declarations.is_async,
        timeout=args.timeout,
    )
    collector = phases.Collector()
    context.collector = collector
    plugin = app.Plugin(context, collector, declarations.is_session, body, schema)
    with collector:
        try:
            phases.init(context)
        except phases.PhaseFailed as failure:
            print("python -m aiges gateway: %s\n%s" % (failure, failure.details), file=sys.stderr)
            return 1
        try:
            asyncio.run(_serve(plugin, args))
        finally:
            try:
                phases.fini(context)
            except phases.PhaseFailed as failure:
                print("python -m aiges gateway: %s" % failure, file=sys.stderr)
    return 0


async def _serve(plugin: Any, args: argparse.Namespace) -> None:
    from aiohttp import web  # optional dependency: aiohttp

    from aiges.tools.gateway import app  # after the aiohttp check: optional dependency

    runner = web.AppRunner(app.build_app(plugin), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = runner.addresses[0][1]
    _announce(plugin, args.host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def _announce(plugin: Any, host: str, port: int, stream: Optional[Any] = None) -> None:
    """The URL, the page, and ready commands built from the project's samples (stdout: for people)."""
    out = stream or sys.stdout
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - a display name, not a bind
    base = "http://%s:%d" % (shown, port)
    print(
        "aiges gateway: %s %s serving %s on %s%s"
        % (
            plugin.service_id,
            plugin.context.declarations.meta.version,
            "GET (websocket)" if plugin.session else "POST",
            base,
            plugin.route,
        ),
        file=out,
    )
    print("  web page: %s/" % base, file=out)
    if plugin.session:
        print(
            "  try it (websocket, from the project root):\n%s"
            % example.websocket_snippet("ws://%s:%d%s" % (shown, port, plugin.route)),
            file=out,
        )
    else:
        for command in example.curl_commands(base + plugin.route, plugin.example):
            print("  try it (from the project root):\n%s" % command, file=out)
    print("  (Ctrl-C stops; wrapperFini runs then)", file=out, flush=True)
