"""``python -m aiges check``: fail when schema.json, aiges.toml or xtest.toml are stale.

Renders in memory exactly as ``render`` would and compares with the files on disk. Exit status: 0
when everything is up to date, 1 when a file is stale, missing or unexpected (a unified diff from the
file on disk to what render would write goes to stdout), 2 when rendering itself fails.
"""
import argparse
import sys

from aiges.render import outputs
from aiges.render.common import EXIT_CANNOT, EXIT_OK, EXIT_PROBLEMS, add_arguments, render_or_explain


def configure(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)


def main(args: argparse.Namespace) -> int:
    status, rendered = render_or_explain(args, "check", EXIT_CANNOT)
    if rendered is None:
        return status
    found = outputs.changes(rendered.project.root, rendered.outputs, rendered.owned_dirs)
    if not found:
        if not args.quiet:
            print("up to date: %s" % ", ".join(output.path for output in rendered.outputs), file=sys.stderr)
        return EXIT_OK
    for change in found:
        sys.stdout.write(outputs.diff(change))
    sys.stdout.flush()
    for change in found:
        print("%s: %s" % (change.path, {"missing": "missing", "stale": "stale (differs from wrapper.py)",
                                        "unexpected": "not rendered any more"}[change.kind]), file=sys.stderr)
    print("python -m aiges check: %d file%s out of date; run `python -m aiges render` and commit the result"
          % (len(found), "" if len(found) == 1 else "s"), file=sys.stderr)
    return EXIT_PROBLEMS
