"""``python -m aiges <command>``: run, schema, render, check, serve, build.

Each command is ``module`` or ``module:NAME``: the module (or its :class:`aiges.tools.Command`
``NAME``) offers ``configure(parser)`` and ``main(args) -> int``. The developer tools live in
``aiges.tools``, the run-time server in ``aiges.serve``. Modules are imported only when their command
runs, so ``run`` needs nothing beyond the standard library even when grpcio or the docker SDK are missing.
"""

import argparse
import importlib
import sys
from typing import List, Optional

from aiges import __version__
from aiges.tomlcompat import TomlReaderMissing

COMMANDS = {
    "run": ("aiges.tools.localrun.cli", "run the plugin locally in the loader's call order and check its output"),
    "schema": ("aiges.tools.render.commands:SCHEMA", "print the plugin's schema (complete or legacy form)"),
    "render": ("aiges.tools.render.commands:RENDER", "render schema.json, aiges.toml and xtest.toml from wrapper.py"),
    "check": ("aiges.tools.render.commands:CHECK", "fail when schema.json, aiges.toml or xtest.toml are stale"),
    "serve": ("aiges.serve", "serve the plugin over gRPC as the loader's python mode does"),
    "build": ("aiges.tools.build", "build the athena_serving image with Docker"),
    "gateway": ("aiges.tools.gateway.commands", "serve the plugin over HTTP/websocket as the loader does"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aiges", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("--version", action="version", version="aiges %s" % __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, summary) in COMMANDS.items():
        commands.add_parser(name, help=summary, description=summary, add_help=False)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        parser = build_parser()
        if not argv:
            parser.print_help(sys.stderr)
            return 2
        parser.parse_args(argv)  # prints --help/--version or the "invalid choice" error
        return 2
    name, rest = argv[0], argv[1:]
    target, summary = COMMANDS[name]
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        print(
            "python -m aiges %s: %s\n(this command needs an optional dependency; see the project README)"
            % (name, error),
            file=sys.stderr,
        )
        return 2
    parser = argparse.ArgumentParser(prog="python -m aiges %s" % name, description=summary)
    command = getattr(module, attribute) if attribute else module
    command.configure(parser)
    arguments = parser.parse_args(rest)
    try:
        return int(command.main(arguments) or 0)
    except TomlReaderMissing as error:  # Python < 3.11 without tomli: the fix, not a traceback
        print("python -m aiges %s: %s" % (name, error), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
