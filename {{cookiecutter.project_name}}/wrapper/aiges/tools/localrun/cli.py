"""``python -m aiges run``: load wrapper.py (ours or a python_wrapper one, through ``aiges.widgetpy.bridge``) and run
it with ``commands.execute``.

Apart from ``commands`` because ``Wrapper().run()`` (``aiges.sdk``) imports ``commands``, and the bridge is built
on ``aiges.sdk``: this module, which only the command table imports, joins them without an import cycle.
"""

import argparse
import traceback

from aiges import loading, settings
from aiges.errors import AigesError
from aiges.tools.localrun.commands import EXIT_FAILED, EXIT_USAGE, Reporter, absolute_inputs, execute, mode_to_emulation
from aiges.tools.localrun.commands import configure as configure
from aiges.widgetpy.bridge import wrapper_for

__all__ = ["configure", "main"]


def main(args: argparse.Namespace) -> int:

    reporter = Reporter(quiet=args.quiet)
    args.input = absolute_inputs(args.input)  # given relative to where the command runs, before any chdir
    try:
        wrapper_file = loading.find_wrapper_file(args.location)
        root = loading.project_root(wrapper_file)
        emulate = args.emulate or mode_to_emulation(settings.plugin_mode(root))
        # provides aiges_embed unless a real one exists
        cls, _ = loading.import_wrapper(wrapper_file, fallback=wrapper_for)
    except (OSError, AttributeError, ImportError, SyntaxError, AigesError) as error:
        reporter.failure("cannot load the wrapper: %s: %s" % (type(error).__name__, error))
        return EXIT_USAGE
    except Exception as error:  # noqa: BLE001 - user code at import time
        reporter.failure(
            "importing wrapper.py raised %s: %s\n%s" % (type(error).__name__, error, traceback.format_exc())
        )
        return EXIT_FAILED
    try:
        wrapper = cls() if emulate != "grpc" else cls(legacy=False, is_aipaas=True, keep_schema_default_value=True)
    except Exception as error:  # noqa: BLE001 - user constructor
        reporter.failure("Wrapper() raised %s: %s" % (type(error).__name__, error))
        return EXIT_FAILED
    return execute(wrapper, args, root, emulate, reporter)
