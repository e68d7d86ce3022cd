"""Alias of :mod:`aiges.core.types`.

Older wrappers and the vendor's own docs import ``aiges.types``; 0.16.0 removed it and those
wrappers crash at import. We keep both names working.
"""

from aiges.core.types import *  # noqa: F403
from aiges.core.types import __all__  # noqa: F401
