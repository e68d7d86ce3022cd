"""``python -m aiges render`` / ``check`` / ``schema``: the commands over the rendered files.

``render`` writes schema.json, aiges.toml and xtest.toml (and deploy/k8s/) from wrapper.py. Run it from
the project root (or its wrapper folder, or give ``--project``). Exit status: 0 when written, 1 when the
declarations are wrong (nothing is written then), 2 when it cannot run (no wrapper.py, tomli-w missing,
bad ``[tool.aiges]``).

``check`` renders in memory exactly as ``render`` would and compares with the files on disk. Exit
status: 0 when everything is up to date, 1 when a file is stale, missing or unexpected (a unified diff
from the file on disk to what render would write goes to stdout), 2 when rendering itself fails.
``--in-image`` is the check the Dockerfile runs, so that a plain ``docker build .`` refuses stale
files with the same message: wrapper.py is only parsed (its dependencies are not needed), TOML files
are compared by content, and in grpc mode the interpreter ``pythonPluginCmd`` names must be the one
running the check (the Dockerfile's ``python3``, which installed requirements.txt).

``schema`` prints the plugin's schema as the loader or the vendor SDK would get it (it imports
wrapper.py, as the loader does). ``--request`` prints a request body instead, built from the declared
test values, that the loader accepts (docs/how-to/deploy-to-loader.md): the loader builds its list of
expected outputs only from the request's ``parameter.<serviceId>`` (never from the schema's defaults),
so every output is named there with its ``data_type``, and the header carries ``appid``.
"""

import argparse
import json
import os
import shlex
import shutil
import sys
from typing import Optional, Tuple

from aiges import loading
from aiges.errors import AigesError, DeclarationError, DeclarationErrors
from aiges.schema.gateway import sample_request
from aiges.tomlcompat import TomlReaderMissing
from aiges.tools import Command, conflicts
from aiges.tools.render import outputs
from aiges.tools.render.aiges_toml import loader_async_mode, plugin_command
from aiges.tools.render.evaluate import NotStatic
from aiges.tools.render.pipeline import Rendered, locate, render
from aiges.tools.render.tomlout import MissingDependency
from aiges.widgetpy.bridge import wrapper_for

EXIT_OK = 0
EXIT_PROBLEMS = 1  # render: the declarations are wrong; check: the committed files are stale
EXIT_CANNOT = 2  # no wrapper.py, missing tomli-w (or tomli < 3.11), bad settings (check: also wrong declarations)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project", metavar="DIR", help="the project root or its wrapper folder (default: the current directory)"
    )
    parser.add_argument(
        "--legacy-schema",
        action="store_true",
        help="also render schema.legacy.json, the vendor SDK's schema form (kept once it exists)",
    )
    parser.add_argument(
        "--import",
        dest="force_import",
        action="store_true",
        help="read the declarations by importing wrapper.py (in a subprocess), not by parsing it",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print errors only")


def render_or_explain(args: argparse.Namespace, command: str, problems_exit: int) -> Tuple[int, Optional[Rendered]]:
    """Render in memory; on failure print why (stderr) and return the exit status to use."""
    prefix = "python -m aiges %s" % command
    in_image = bool(getattr(args, "in_image", False))
    untouched = "; no file was written" if command == "render" else ""  # check never writes
    try:
        rendered = render(
            locate(args.project), force_import=args.force_import, legacy=args.legacy_schema, in_image=in_image
        )
    except NotStatic as error:  # only with --in-image: importing would need the wrapper's dependencies
        print(
            "%s: note: not checked here, wrapper.py cannot be read without importing it (%s); "
            "`python -m aiges build` and `python -m aiges check` on your machine check it" % (prefix, error.reason),
            file=sys.stderr,
        )
        return EXIT_OK, None
    except (MissingDependency, TomlReaderMissing) as error:
        print("%s: %s" % (prefix, error), file=sys.stderr)
        return EXIT_CANNOT, None
    except FileNotFoundError as error:
        print("%s: %s" % (prefix, error), file=sys.stderr)
        return EXIT_CANNOT, None
    except DeclarationErrors as errors:
        for problem in errors.errors:
            print("error: %s" % problem, file=sys.stderr)
        print(
            "%s: %d problem%s%s" % (prefix, len(errors.errors), "" if len(errors.errors) == 1 else "s", untouched),
            file=sys.stderr,
        )
        return problems_exit, None
    except DeclarationError as error:
        print("error: %s" % error, file=sys.stderr)
        print("%s: cannot render%s" % (prefix, untouched), file=sys.stderr)
        return EXIT_CANNOT, None
    if rendered.reading.how == "import" and not args.quiet:
        print(
            "note: read the declarations by importing wrapper.py, because %s" % rendered.reading.reason, file=sys.stderr
        )
    return EXIT_OK, rendered


def configure_render(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)


def render_main(args: argparse.Namespace) -> int:
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
        print(
            "rendered from %s (%s read; %s mode; %s; asyncMode %s):"
            % (
                rendered.project.relative(rendered.project.wrapper_file),
                rendered.reading.how,
                rendered.project.settings.plugin_mode,
                declarations.session_decision.describe(),
                "true" if loader_async_mode(declarations) else "false",
            ),
            file=sys.stderr,
        )
        width = max(len(output.path) for output in rendered.outputs) + 2
        for output in rendered.outputs:
            state = (
                "unchanged"
                if output.path not in changed
                else ("created" if changed[output.path].old is None else "updated")
            )
            print("  %s%s" % (output.path.ljust(width), state), file=sys.stderr)
        for change in found:
            if change.new is None:
                print("  %sremoved (no input needs it any more)" % change.path.ljust(width), file=sys.stderr)
    return EXIT_OK


def configure_check(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)
    parser.add_argument(
        "--in-image",
        action="store_true",
        help="the Dockerfile's check: parse wrapper.py without importing it, compare TOML files by "
        "content, and check that pythonPluginCmd runs this interpreter",
    )


def check_main(args: argparse.Namespace) -> int:
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
        print(
            "%s: %s"
            % (
                change.path,
                {
                    "missing": "missing",
                    "stale": "stale (differs from wrapper.py)",
                    "unexpected": "not rendered any more",
                }[change.kind],
            ),
            file=sys.stderr,
        )
    print(
        "python -m aiges check: %d file%s out of date; run `python -m aiges render` and commit the result"
        % (len(found), "" if len(found) == 1 else "s"),
        file=sys.stderr,
    )
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
    return (
        "[aiges].pythonPluginCmd runs %r (%s here) but the python3 that installed requirements.txt is %s: the "
        "plugin would start without its dependencies; make plugin_cmd in [tool.aiges] start with python3 (or %s) "
        "and render again" % (words[0], os.path.realpath(found) if found else "not found", expected, expected)
    )


def configure_schema(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("location", nargs="?", default=None, help="wrapper.py, its folder, or the project root")
    parser.add_argument("--legacy", action="store_true", help="the vendor SDK 0.16.0's legacy form")
    parser.add_argument("--compact", action="store_true", help="one line, as sent over gRPC")
    parser.add_argument(
        "--request",
        action="store_true",
        help="print a request body the loader accepts (test values, every output named with its "
        "data_type), e.g. for curl -d @request.json, instead of the schema",
    )


def schema_main(args: argparse.Namespace) -> int:
    try:
        cls, _ = loading.import_wrapper(args.location, fallback=wrapper_for)
        if args.request:
            document = sample_request(cls().declarations(check_samples=True))
        else:
            document = cls().schema_dict("legacy" if args.legacy else "gateway")
    except (OSError, AttributeError, ImportError, SyntaxError, ValueError, AigesError) as error:
        print("python -m aiges schema: %s" % error, file=sys.stderr)
        return 2
    print(json.dumps(document, ensure_ascii=False, indent=None if args.compact else 2))
    return 0


RENDER = Command(configure_render, render_main)
CHECK = Command(configure_check, check_main)
SCHEMA = Command(configure_schema, schema_main)
