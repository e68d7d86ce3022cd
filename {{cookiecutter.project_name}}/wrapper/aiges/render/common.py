"""What ``render`` and ``check`` share: their options and turning failures into one-line messages."""
import argparse
import sys
from typing import Optional, Tuple

from aiges.errors import DeclarationError, DeclarationErrors
from aiges.render.evaluate import NotStatic
from aiges.render.project import Rendered, locate, render
from aiges.render.tomlout import MissingDependency
from aiges.tomlcompat import TomlReaderMissing

EXIT_OK = 0
EXIT_PROBLEMS = 1  # render: the declarations are wrong; check: the committed files are stale
EXIT_CANNOT = 2  # no wrapper.py, missing tomli-w (or tomli < 3.11), bad settings (check: also wrong declarations)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", metavar="DIR",
                        help="the project root or its wrapper folder (default: the current directory)")
    parser.add_argument("--legacy-schema", action="store_true",
                        help="also render schema.legacy.json, the vendor SDK's schema form (kept once it exists)")
    parser.add_argument("--import", dest="force_import", action="store_true",
                        help="read the declarations by importing wrapper.py (in a subprocess), not by parsing it")
    parser.add_argument("--quiet", "-q", action="store_true", help="print errors only")


def render_or_explain(args: argparse.Namespace, command: str, problems_exit: int) -> Tuple[int, Optional[Rendered]]:
    """Render in memory; on failure print why (stderr) and return the exit status to use."""
    prefix = "python -m aiges %s" % command
    in_image = bool(getattr(args, "in_image", False))
    untouched = "; no file was written" if command == "render" else ""  # check never writes
    try:
        rendered = render(locate(args.project), force_import=args.force_import, legacy=args.legacy_schema,
                          in_image=in_image)
    except NotStatic as error:  # only with --in-image: importing would need the wrapper's dependencies
        print("%s: note: not checked here, wrapper.py cannot be read without importing it (%s); "
              "`python -m aiges build` and `python -m aiges check` on your machine check it" % (prefix, error.reason),
              file=sys.stderr)
        return EXIT_OK, None
    except (MissingDependency, TomlReaderMissing) as error:
        print("%s: %s" % (prefix, error), file=sys.stderr)
        return EXIT_CANNOT, None
    except FileNotFoundError as error:
        print("%s: %s" % (prefix, error), file=sys.stderr)
        return EXIT_CANNOT, None
    except DeclarationErrors as errors:
        for error in errors.errors:
            print("error: %s" % error, file=sys.stderr)
        print("%s: %d problem%s%s" % (prefix, len(errors.errors), "" if len(errors.errors) == 1 else "s", untouched),
              file=sys.stderr)
        return problems_exit, None
    except DeclarationError as error:
        print("error: %s" % error, file=sys.stderr)
        print("%s: cannot render%s" % (prefix, untouched), file=sys.stderr)
        return EXIT_CANNOT, None
    if rendered.reading.how == "import" and not args.quiet:
        print("note: read the declarations by importing wrapper.py, because %s" % rendered.reading.reason,
              file=sys.stderr)
    return EXIT_OK, rendered
