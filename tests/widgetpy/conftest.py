"""Fixtures of the WidgetPy tests (helpers in ``widgetpy_support``). No ``__init__.py`` here, as in tests/grpc."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from widgetpy_support import folder_with, running, scratch  # noqa: E402, F401 - fixtures
