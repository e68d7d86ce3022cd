"""The result classes of the host the plugin runs in, picked once.

Inside the loader's C wrapper (CGO mode) results must be ``aiges_embed``'s own classes; everywhere else
(gRPC mode, local runs, tests) ``aiges.dto``'s. Wrappers used to choose with a ``try: from aiges_embed
import ... except ImportError`` block; importing the names from here (or ``aiges.sdk``) does that choice.
Outside the C wrapper, ``aiges.loading`` may install the runtime's pure-Python ``aiges_embed``, whose
classes are ``aiges.dto``'s, so the choice gives the same classes either way.
"""

import sys
from typing import TYPE_CHECKING, Any

from aiges import dto

NAMES = ("Response", "ResponseData", "SessionCreateResponse", "callback")


def _embedded_module() -> Any:
    module = sys.modules.get("aiges_embed")
    if module is None:
        try:
            import aiges_embed as module  # type: ignore[no-redef]  # rebinds the lookup above (only in the C wrapper)
        except ImportError:
            return None
    return module if all(hasattr(module, name) for name in NAMES) else None


_HOST = _embedded_module()

if TYPE_CHECKING:  # for a type checker, the classes of aiges.dto (aiges_embed's have the same interface)
    from aiges.dto import Response, ResponseData, SessionCreateResponse
    from aiges.embed import callback
elif _HOST is not None:
    Response = _HOST.Response
    ResponseData = _HOST.ResponseData
    SessionCreateResponse = _HOST.SessionCreateResponse
    callback = _HOST.callback
else:
    from aiges import embed as _pure

    Response = dto.Response
    ResponseData = dto.ResponseData
    SessionCreateResponse = dto.SessionCreateResponse
    callback = _pure.callback  # callback(response, usrTag), as aiges_embed's

__all__ = list(NAMES)
