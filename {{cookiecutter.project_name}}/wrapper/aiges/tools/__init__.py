"""Developer tools (render, check, local run, build, gateway): not needed by the loader at run time.

They ship in the image all the same (docs/explanation/architecture.md#tools-in-the-image): the
Dockerfile's ``check --in-image`` and ``aiges build``'s proof run them there. Each command is a
:class:`Command` that ``aiges.__main__`` looks up by name.
"""

import argparse
from typing import Callable, NamedTuple


class Command(NamedTuple):
    """One ``python -m aiges`` command: add its options to a parser, then run with the parsed arguments."""

    configure: Callable[[argparse.ArgumentParser], None]
    main: Callable[[argparse.Namespace], int]
