"""The names a wrapper needs, in one list: what ``aiges.sdk`` exports and ``from aiges import ...`` offers.

Kept apart from ``aiges.sdk`` so that ``import aiges`` can name them without importing anything.
"""

# Everything a wrapper needs, in one place (``from aiges.sdk import ...``; ``from aiges import ...`` is the same list).
API = (
    "WrapperBase",
    # declarations
    "Field",
    "ParamField",
    "StringParamField",
    "IntegerParamField",
    "NumberParamField",
    "BooleanParamField",
    "PayloadField",
    "StringBodyField",
    "JsonBodyField",
    "ImageBodyField",
    "AudioBodyField",
    "VideoBodyField",
    # requests and results (the host's classes: aiges_embed's inside the C wrapper)
    "DataListCls",
    "DataListNode",
    "Response",
    "ResponseData",
    "SessionCreateResponse",
    "callback",
    "json_response",
    "text_response",
    "image_response",
    "audio_response",
    # params, errors, sessions
    "Params",
    "read_params",
    "ErrorCodes",
    "PluginError",
    "ParamError",
    "SessionTable",
    "SessionManager",
    # data types and statuses
    "DataText",
    "DataAudio",
    "DataImage",
    "DataVideo",
    "DataPer",
    "DataBegin",
    "DataContinue",
    "DataEnd",
    "DataOnce",
    "Once",
    "log",
)
