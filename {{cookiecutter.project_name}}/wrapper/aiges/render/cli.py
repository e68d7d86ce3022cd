"""``python -m aiges render``: write schema.json, aiges.toml and xtest.toml from wrapper.py.

Run it from the project root (or its wrapper folder, or give ``--project``). Exit status: 0 when
written, 1 when the declarations are wrong (nothing is written then), 2 when it cannot run (no
wrapper.py, tomli-w missing, bad ``[tool.aiges]``).
"""
import argparse
import sys

from aiges.render import outputs
from aiges.render.aiges_toml import loader_async_mode
from aiges.render.common import EXIT_OK, EXIT_PROBLEMS, add_arguments, render_or_explain


def configure(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)


def main(args: argparse.Namespace) -> int:
    status, rendered = render_or_explain(args, "render", EXIT_PROBLEMS)
    if rendered is None:
        return status
    root = rendered.project.root
    for warning in rendered.reading.declarations.warnings():
        print("warning: %s" % warning, file=sys.stderr)  # even with --quiet: the project may be misconfigured
    found = outputs.changes(root, rendered.outputs, rendered.owned_dirs)
    outputs.apply(root, found)
    if not args.quiet:
        changed = {change.path: change for change in found}
        declarations = rendered.reading.declarations
        print("rendered from %s (%s read; %s mode; %s; asyncMode %s):" % (
            rendered.project.relative(rendered.project.wrapper_file), rendered.reading.how,
            rendered.project.settings.plugin_mode, declarations.session_decision.describe(),
            "true" if loader_async_mode(declarations) else "false"), file=sys.stderr)
        width = max(len(output.path) for output in rendered.outputs) + 2
        for output in rendered.outputs:
            state = "unchanged" if output.path not in changed else (
                "created" if changed[output.path].old is None else "updated")
            print("  %s%s" % (output.path.ljust(width), state), file=sys.stderr)
        for change in found:
            if change.new is None:
                print("  %sremoved (no input needs it any more)" % change.path.ljust(width), file=sys.stderr)
    return EXIT_OK
