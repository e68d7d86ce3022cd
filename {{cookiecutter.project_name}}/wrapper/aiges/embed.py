"""A pure-Python ``aiges_embed``: the module the loader's C wrapper embeds, for running outside it.

Wrappers do ``try: from aiges_embed import ... except ImportError: from aiges.dto import ...``, and
some use names (``SessionCreateResponse``, ``callback``) that only the ``try`` branch imports. Wherever
the runtime imports a wrapper (``aiges.serve``, the local run, render's import fallback) and no real
``aiges_embed`` exists, :func:`aiges.loading.provide_embed_module` installs this module under that
name, so such files load in every mode (docs/reference/runtime-api.md#dto, compatibility check 11). Inside the C
wrapper its
own module always wins.
"""

from aiges.callback import callback_metric, callback_trace, deliver
from aiges.dto import DataListCls, DataListNode, Response, ResponseData, SessionCreateResponse


def callback(resp: Response, usrTag: str = "") -> int:  # noqa: N803 (loader API)
    """``aiges_embed.callback(response, usrTag)``: deliver an async or session result."""
    return deliver(resp, usrTag)


__all__ = [
    "DataListCls",
    "DataListNode",
    "Response",
    "ResponseData",
    "SessionCreateResponse",
    "callback",
    "callback_metric",
    "callback_trace",
]
