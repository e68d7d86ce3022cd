"""The loader's JSON envelope: what a request must hold (docs/how-to/gateway.md, docs/how-to/deploy-to-loader.md) and
the bodies it answers.

A request is ``{"header": {"appid": ...}, "parameter": {"<serviceId>": {...}}, "payload": {...}}``.
Scalars under ``parameter.<section>`` become the wrapper's params (strings, numbers in Go's ``%b``
form, as the loader passes them); objects there name the expected outputs, each with ``data_type``.
Payload entries carry their data base64-encoded under ``text``/``image``/``audio``/``video``/``other``.
Anything the loader would refuse raises :class:`Refusal` with the loader's code and a plain hint.
"""

import base64
import binascii
import dataclasses
import json
import math
import uuid
from typing import Any, Dict, List, Optional

from aiges.core.types import DataAudio, DataImage, DataOnce, DataText, DataVideo, Types
from aiges.tools.localrun.inputs import Sample

MEDIA = {"text": DataText, "image": DataImage, "audio": DataAudio, "video": DataVideo, "other": DataText}

# The loader's codes (docs/reference/errors.md#loader-codes, docs/how-to/deploy-to-loader.md).
INVALID_INPUT = 10009
ONCE_TIMEOUT = 10102
OUTPUT_INVALID = 10106
WRAPPER_ERROR = 10910

OUTPUT_NIL_MESSAGE = "wrapper output data is nil "
OUTPUT_INVALID_MESSAGE = "wrapper output data invalid(key or type)"


class Refusal(Exception):
    """A request the loader refuses: its code and message as the loader sends them, and a hint in plain words."""

    def __init__(self, code: int, message: str, hint: str, http_status: int = 500) -> None:
        super().__init__("%d %s: %s" % (code, message, hint))
        self.code = code
        self.message = message
        self.hint = hint
        self.http_status = http_status


@dataclasses.dataclass
class Expected:
    """One output the request names under ``parameter.<serviceId>``."""

    key: str
    media: str
    attributes: Dict[str, str]


@dataclasses.dataclass
class Part:
    """One payload entry: the input's data (a local-run Sample) and the status it was sent with."""

    sample: Sample
    status: int


@dataclasses.dataclass
class Request:
    """A request the loader accepts, turned into what the wrapper is called with."""

    sid: str
    status: int
    params: Dict[str, str]
    parts: List[Part]
    expected: Dict[str, Expected]


def go_float(number: float) -> str:
    """A JSON number as the loader hands it to the plugin: Go's ``%b`` (``3`` -> ``6755399441055744p-51``)."""
    if number == 0:
        return "0p-1074"
    mantissa, exponent = math.frexp(abs(number))
    bits, power = int(mantissa * (1 << 53)), exponent - 53
    if power < -1074:  # subnormal: Go keeps the exponent at -1074 and shortens the mantissa
        bits, power = bits >> (-1074 - power), -1074
    return "%s%dp%d" % ("-" if number < 0 else "", bits, power)


def param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_float(float(value))
    return str(value)


def decode_body(raw: bytes) -> Dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Refusal(
            INVALID_INPUT,
            "invalid request body",
            'the body is not JSON (%s); send the envelope {"header": ..., "parameter": ..., "payload": ...}' % error,
        ) from None
    if not isinstance(body, dict):
        raise Refusal(INVALID_INPUT, "invalid request body", "the body must be a JSON object (the envelope)")
    return body


def check_header(body: Dict[str, Any]) -> Dict[str, Any]:
    header = body.get("header")
    if not isinstance(header, dict):
        raise Refusal(
            INVALID_INPUT,
            "invalid header",
            'the body has no "header" object; it needs at least "header": {"appid": "..."}',
        )
    appid = header.get("appid")
    if not isinstance(appid, str) or not appid:
        near = [key for key in header if key.lower().replace("_", "") == "appid" and key != "appid"]
        raise Refusal(
            INVALID_INPUT,
            "invalid header: appid is required",
            'header.appid is missing%s: the loader\'s key is exactly "appid"'
            % (" (found %s)" % ", ".join(repr(key) for key in near) if near else ""),
        )
    return header


def parse_parameter(body: Dict[str, Any], service_id: str) -> Any:
    """``(params, expected)`` from ``parameter``: scalars -> params, objects -> expected outputs."""
    parameter = body.get("parameter")
    params: Dict[str, str] = {}
    expected: Dict[str, Expected] = {}
    if isinstance(parameter, dict):
        for section in parameter.values():
            if not isinstance(section, dict):
                continue
            for key, value in section.items():
                if isinstance(value, dict):
                    continue
                if value is not None:
                    params[str(key)] = param_text(value)
    section = parameter.get(service_id) if isinstance(parameter, dict) else None
    requested = (
        {key: value for key, value in section.items() if isinstance(value, dict)} if isinstance(section, dict) else {}
    )
    for key, value in requested.items():
        media = value.get("data_type")
        if media not in ("text", "image", "audio", "video"):
            raise Refusal(
                OUTPUT_INVALID,
                OUTPUT_INVALID_MESSAGE,
                "parameter.%s.%s has no valid data_type (got %r): give one of text, image, audio, video"
                % (service_id, key, media),
            )
        expected[key] = Expected(
            key,
            media,
            {
                name: str(item)
                for name, item in value.items()
                if name != "data_type" and not isinstance(item, (dict, list))
            },
        )
    return params, expected


def parse_payload(body: Dict[str, Any], required: bool = True) -> List[Part]:
    payload = body.get("payload")
    if payload is None and not required:
        return []
    if not isinstance(payload, dict) or (required and not payload):
        raise Refusal(
            INVALID_INPUT,
            "invalid payload",
            'the body has no "payload" object with the inputs, e.g. '
            '"payload": {"<input key>": {"text": "<base64>", "status": 3}}',
        )
    parts = []
    for key, entry in payload.items():
        if not isinstance(entry, dict):
            raise Refusal(
                INVALID_INPUT,
                "invalid payload",
                "payload.%s must be an object holding its data under text, image, audio, video or other" % key,
            )
        found = [name for name in MEDIA if name in entry]
        if not found:
            raise Refusal(
                INVALID_INPUT,
                "invalid payload",
                "payload.%s carries no data: put it base64-encoded under one of %s" % (key, ", ".join(MEDIA)),
            )
        media = found[0]
        value = entry[media]
        if isinstance(value, (dict, list)):
            data = json.dumps(value, ensure_ascii=False).encode("utf-8")  # the loader re-encodes JSON values
        elif isinstance(value, str):
            try:
                data = base64.b64decode(value.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                raise Refusal(
                    INVALID_INPUT,
                    "invalid payload",
                    "payload.%s.%s is not valid base64: encode the data (e.g. `base64 -w0 file`)" % (key, media),
                ) from None
        else:
            raise Refusal(INVALID_INPUT, "invalid payload", "payload.%s.%s must be a base64 string" % (key, media))
        parts.append(Part(Sample(str(key), data, MEDIA[media], "payload.%s" % key), _status(entry.get("status"), key)))
    return parts


def _status(value: Any, key: str) -> int:
    if value is None:
        return DataOnce
    try:
        status = int(value)
    except (TypeError, ValueError):
        status = -1
    if status not in (0, 1, 2, 3):
        raise Refusal(
            INVALID_INPUT,
            "invalid payload",
            "payload.%s.status must be 0 (begin), 1 (continue), 2 (end) or 3 (once), got %r" % (key, value),
        )
    return status


def parse_request(raw: bytes, service_id: str) -> Request:
    """A once request, validated in the loader's order; raises Refusal."""
    body = decode_body(raw)
    header = check_header(body)
    params, expected = parse_parameter(body, service_id)
    parts = parse_payload(body)
    sid = str(uuid.uuid4())
    params["sid"] = sid
    return Request(sid, _status(header.get("status"), "header"), params, parts, expected)


def check_outputs(nodes: List[Any], expected: Dict[str, Expected], service_id: str) -> None:
    """The loader answers only outputs the request named, with the type it asked for (else 10106)."""
    for node in nodes:
        wanted = expected.get(node.key)
        media = Types.get(getattr(node, "type", DataText), "text")
        if wanted is None:
            raise Refusal(
                OUTPUT_INVALID,
                OUTPUT_NIL_MESSAGE,
                "the plugin answered output %r, which the request does not name under parameter.%s "
                "(named: %s); the loader expects only the outputs a request names (it ignores the "
                'schema\'s defaults): add "%s": {"data_type": "%s"}'
                % (node.key, service_id, ", ".join(sorted(expected)) or "none", node.key, media),
            )
        if wanted.media != media:
            raise Refusal(
                OUTPUT_INVALID,
                OUTPUT_INVALID_MESSAGE,
                "the plugin answered output %r as %s but the request asks data_type %r"
                % (node.key, media, wanted.media),
            )


def payload_of(nodes: List[Any], expected: Dict[str, Expected]) -> Dict[str, Any]:
    """Result nodes as the loader's response payload: text raw, other media base64."""
    payload: Dict[str, Any] = {}
    for node in nodes:
        data = node.data if isinstance(node.data, (bytes, bytearray)) else str(node.data).encode("utf-8")
        media = Types.get(getattr(node, "type", DataText), "text")
        entry: Dict[str, Any] = dict(expected[node.key].attributes) if node.key in expected else {}
        entry.update({"seq": "0", "status": str(getattr(node, "status", DataOnce))})
        if media == "text":
            entry["text"] = bytes(data).decode("utf-8", "replace")
        else:
            entry[media] = base64.b64encode(bytes(data)).decode("ascii")
        payload[node.key] = entry
    return payload


def success(sid: str, status: int, nodes: List[Any], expected: Dict[str, Expected]) -> Dict[str, Any]:
    return {
        "header": {"code": 0, "message": "success", "sid": sid, "status": status},
        "payload": payload_of(nodes, expected),
    }


def error(code: int, message: str, sid: Optional[str], hint: str) -> Dict[str, Any]:
    """The loader's error body; ``hint`` is the gateway's own addition (the loader keeps that in its log)."""
    return {"header": {"code": code, "message": message, "sid": sid or ""}, "payload": None, "hint": hint}
