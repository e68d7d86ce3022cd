"""A pure-Python ``aiges_embed``: the module the loader's C wrapper embeds, for running outside it.

Wrappers do ``try: from aiges_embed import ... except ImportError: from aiges.dto import ...``. The
local run's CGO emulation installs this module as ``aiges_embed`` so wrappers take the same import
branch they take in production (spec 2.1, compatibility check 11).
"""
from aiges.callback import callback_metric, callback_trace, deliver
from aiges.dto import DataListCls, DataListNode, Response, ResponseData, SessionCreateResponse


def callback(resp: Response, usrTag: str = "") -> int:  # noqa: N803 (loader API)
    """``aiges_embed.callback(response, usrTag)``: deliver an async or session result."""
    return deliver(resp, usrTag)


__all__ = ["DataListCls", "DataListNode", "Response", "ResponseData", "SessionCreateResponse",
           "callback", "callback_metric", "callback_trace"]
