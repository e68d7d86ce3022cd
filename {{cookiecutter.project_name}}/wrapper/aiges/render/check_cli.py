"""``python -m aiges check``: fail when schema.json, aiges.toml or xtest.toml are stale.

Renders in memory exactly as ``render`` would and compares with the files on disk. Exit status: 0
when everything is up to date, 1 when a file is stale, missing or unexpected (a unified diff from the
file on disk to what render would write goes to stdout), 2 when rendering itself fails.

``--in-image`` is the check the Dockerfile runs, so that a plain ``docker build .`` refuses stale
files with the same message: wrapper.py is only parsed (its dependencies are not needed), TOML files
are compared by content, and in grpc mode the interpreter ``pythonPluginCmd`` names must be the one
running the check (the Dockerfile's ``python3``, which installed requirements.txt).
"""
import argparse
import os
import shlex
import shutil
import sys
from typing import Optional

from aiges.render import outputs
from aiges.render.aiges_toml import plugin_command
from aiges.render.common import EXIT_CANNOT, EXIT_OK, EXIT_PROBLEMS, add_arguments, render_or_explain
from aiges.render.project import Rendered
from aiges.tools import conflicts


def configure(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)
    parser.add_argument("--in-image", action="store_true",
                        help="the Dockerfile's check: parse wrapper.py without importing it, compare TOML files by "
                             "content, and check that pythonPluginCmd runs this interpreter")


def main(args: argparse.Namespace) -> int:
    unresolved = conflicts.scan(conflicts.project_root(args.project))  # before reading files that may hold them
    if unresolved:
        print(conflicts.report(unresolved, "python -m aiges check"), file=sys.stderr)
        return EXIT_PROBLEMS
    status, rendered = render_or_explain(args, "check", EXIT_CANNOT)
    if rendered is None:
        return status
    found = outputs.changes(rendered.project.root, rendered.outputs, rendered.owned_dirs)
    if not found:
        problem = interpreter_problem(rendered) if args.in_image else None
        if problem:
            print("python -m aiges check: %s" % problem, file=sys.stderr)
            return EXIT_PROBLEMS
        if not args.quiet:
            print("up to date: %s" % ", ".join(output.path for output in rendered.outputs), file=sys.stderr)
        return EXIT_OK
    by_content = {output.path for output in rendered.outputs if output.document is not None}
    for change in found:
        if change.path not in by_content:
            sys.stdout.write(outputs.diff(change))
    sys.stdout.flush()
    for change in found:
        print("%s: %s" % (change.path, {"missing": "missing", "stale": "stale (differs from wrapper.py)",
                                        "unexpected": "not rendered any more"}[change.kind]), file=sys.stderr)
    print("python -m aiges check: %d file%s out of date; run `python -m aiges render` and commit the result"
          % (len(found), "" if len(found) == 1 else "s"), file=sys.stderr)
    return EXIT_PROBLEMS


def interpreter_problem(rendered: Rendered, python: Optional[str] = None) -> Optional[str]:
    """grpc mode: does ``pythonPluginCmd`` start the interpreter ``python`` (default: this one)?

    The loader runs the command with ``bash -c``, so a bare name is looked up on ``PATH``; a command
    that does not start with a Python interpreter (a script of the user's) is not judged.
    """
    settings = rendered.project.settings
    if settings.plugin_mode != "grpc":
        return None
    try:
        words = [word for word in shlex.split(plugin_command(settings)) if "=" not in word.split("/")[0]]
    except ValueError:
        return None
    if not words or not os.path.basename(words[0]).startswith("python"):
        return None
    found = shutil.which(words[0])
    expected = os.path.realpath(python or sys.executable)
    if found and os.path.realpath(found) == expected:
        return None
    return ("[aiges].pythonPluginCmd runs %r (%s here) but the python3 that installed requirements.txt is %s: the "
            "plugin would start without its dependencies; make plugin_cmd in [tool.aiges] start with python3 (or %s) "
            "and render again" % (words[0], os.path.realpath(found) if found else "not found", expected, expected))
