"""Numbers read from the environment, where a setting has an ``AIGES_*`` variable beside its flag."""

import argparse
import os

DEFAULT_MAX_MESSAGE_MB = 256  # both plugin servers' limit on a request or result


def int_from_env(name: str, default: int) -> int:
    """``$name`` as an int; ``default`` when it is unset, empty or not a number (the flag's own check
    then judges the value the user passes on the command line)."""
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        return default


def add_max_message_mb(parser: argparse.ArgumentParser) -> None:
    """``--max-message-mb`` (``$AIGES_MAX_MESSAGE_MB``), the same option for both plugin servers."""
    parser.add_argument(
        "--max-message-mb",
        type=int,
        default=int_from_env("AIGES_MAX_MESSAGE_MB", DEFAULT_MAX_MESSAGE_MB),
        help="largest request or result in MB (env AIGES_MAX_MESSAGE_MB; default %(default)s)",
    )
