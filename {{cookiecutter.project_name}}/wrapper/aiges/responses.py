"""Builders for the common result shapes: one node of JSON, text, image or audio.

Each is right in CGO mode too: the node's data is ``bytes`` (the C wrapper and protobuf refuse str and
memoryview), the response's ``list`` is assigned (the C wrapper hands out a copy, so ``append`` would be
lost) and the classes are the host's (:mod:`aiges.hostclasses`).
"""

import json
from typing import Any, Union

from aiges import hostclasses
from aiges.core.types import DataAudio, DataImage, DataOnce, DataText
from aiges.fields import Field

Target = Union[str, Field]


def key_of(target: Target) -> str:
    """The output key: a declared field's key, or the key itself."""
    key = target.key if isinstance(target, Field) else target
    if not isinstance(key, str) or not key:
        raise TypeError("the first argument is the output field or its key, got %r" % (target,))
    return key


def node_response(target: Target, data: Any, data_type: int, status: int = DataOnce) -> Any:
    """A Response holding one node ``key`` with ``data`` (bytes-like) of ``data_type`` and ``status``."""
    if isinstance(data, str):
        raise TypeError("data of %r must be bytes; encode text first (or use text_response)" % key_of(target))
    node = hostclasses.ResponseData()
    node.key = key_of(target)
    node.setDataType(data_type)
    node.status = int(status)
    node.setData(bytes(data))
    response = hostclasses.Response()
    response.list = [node]  # assigned, never appended: the C wrapper's list is a copy
    return response


def json_response(target: Target, document: Any, status: int = DataOnce, sort_keys: bool = False) -> Any:
    """``document`` as UTF-8 JSON text (``ensure_ascii=False``: readable Chinese in the answer)."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=sort_keys)
    return node_response(target, text.encode("utf-8"), DataText, status)


def text_response(target: Target, text: str, status: int = DataOnce) -> Any:
    """``text`` as UTF-8 bytes of a text node."""
    if not isinstance(text, str):
        raise TypeError("text_response takes a str, got %s" % type(text).__name__)
    return node_response(target, text.encode("utf-8"), DataText, status)


def image_response(target: Target, data: Any, status: int = DataOnce) -> Any:
    """Encoded image bytes (PNG, JPEG, ...) as an image node."""
    return node_response(target, data, DataImage, status)


def audio_response(target: Target, data: Any, status: int = DataOnce) -> Any:
    """Audio bytes (PCM or an encoded format) as an audio node."""
    return node_response(target, data, DataAudio, status)
