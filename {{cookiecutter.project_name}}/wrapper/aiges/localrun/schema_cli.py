"""``python -m aiges schema``: print the plugin's schema as the loader or the vendor SDK would get it.

``--request`` prints a request body instead, built from the declared test values, that the loader
accepts (docs/how-to/deploy-to-loader.md): the loader builds its list of expected outputs only from the request's
``parameter.<serviceId>`` (never from the schema's defaults), so every output is named there with its
``data_type``, and the header carries ``appid``.
"""
import argparse
import json
import sys

from aiges.errors import AigesError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("location", nargs="?", default=None, help="wrapper.py, its folder, or the project root")
    parser.add_argument("--legacy", action="store_true", help="the vendor SDK 0.16.0's legacy form")
    parser.add_argument("--compact", action="store_true", help="one line, as sent over gRPC")
    parser.add_argument("--request", action="store_true",
                        help="print a request body the loader accepts (test values, every output named with its "
                             "data_type), e.g. for curl -d @request.json, instead of the schema")


def main(args: argparse.Namespace) -> int:
    from aiges import loading

    try:
        cls, _ = loading.import_wrapper(args.location)
        if args.request:
            from aiges.schema.gateway import sample_request

            document = sample_request(cls().declarations(check_samples=True))
        else:
            document = cls().schema_dict("legacy" if args.legacy else "gateway")
    except (OSError, AttributeError, ImportError, SyntaxError, ValueError, AigesError) as error:
        print("python -m aiges schema: %s" % error, file=sys.stderr)
        return 2
    print(json.dumps(document, ensure_ascii=False, indent=None if args.compact else 2))
    return 0
