"""Numbers read from the environment, where a setting has an ``AIGES_*`` variable beside its flag."""

import os


def int_from_env(name: str, default: int) -> int:
    """``$name`` as an int; ``default`` when it is unset, empty or not a number (the flag's own check
    then judges the value the user passes on the command line)."""
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        return default
