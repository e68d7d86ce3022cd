"""``python -m aiges schema``: print the plugin's schema as the loader or the vendor SDK would get it."""
import argparse
import json
import sys

from aiges.errors import AigesError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("location", nargs="?", default=None, help="wrapper.py, its folder, or the project root")
    parser.add_argument("--legacy", action="store_true", help="the vendor SDK 0.16.0's legacy form")
    parser.add_argument("--compact", action="store_true", help="one line, as sent over gRPC")


def main(args: argparse.Namespace) -> int:
    from aiges import loading

    try:
        cls, _ = loading.import_wrapper(args.location)
        document = cls().schema_dict("legacy" if args.legacy else "gateway")
    except (OSError, AttributeError, ImportError, SyntaxError, AigesError) as error:
        print("python -m aiges schema: %s" % error, file=sys.stderr)
        return 2
    print(json.dumps(document, ensure_ascii=False, indent=None if args.compact else 2))
    return 0
