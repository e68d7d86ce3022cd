"""The complete schema for the gateway and the loader: what the vendor's "V2" form meant to be.

Shape (docs/reference/files.md): ``meta`` with everything AIservice reads, and ``schemainput`` /
``schemaoutput`` as Draft-7 JSON Schemas of the HTTP request and response. Unlike the vendor's
forms, every param carries its bounds, default, title and description; every body field its own
encodings, compression and format; the accepts appear under ``parameter.<serviceId>`` where the
HTTP gateway reads the requested outputs; and the ``required`` lists are real. Defaults are given
as ``defaultVal``, the platform's keyword (AIservice renames it to ``default`` for /openapi.json).
"""

from typing import Any, Dict, cast

from aiges.declarations import Declarations
from aiges.fields import (
    COMPRESSIONS,
    KNOWN_ENCODINGS,
    MAX_PAYLOAD_CHARS,
    TEXT_FORMATS,
    AudioBodyField,
    ParamField,
    PayloadField,
    StringParamField,
    VideoBodyField,
    _NumericParamField,
)
from aiges.schema.legacy import as_int

JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"

ALL_STATUSES = [0, 1, 2, 3]
STATUS_TEXT = "0 begin, 1 continue, 2 end, 3 once"


def gateway_schema(declarations: Declarations) -> Dict[str, Any]:
    meta = declarations.meta
    service_id = meta.service_id
    return {
        "meta": {
            "serviceId": service_id,
            "version": meta.version,
            "route": meta.route,
            "sub": meta.sub,
            "call": meta.call,
            "call_type": as_int(meta.call_type),
            "webgate_type": as_int(meta.webgate_type),
            "hosts": meta.hosts,
            "service": [service_id],
            "routeKey": [],
            service_id: {
                "input": {field.key: {"dataType": field.media} for field in declarations.inputs},
                "accept": {field.key: {"dataType": field.media} for field in declarations.accepts},
            },
        },
        "schemainput": request_schema(declarations),
        "schemaoutput": response_schema(declarations),
    }


def request_schema(declarations: Declarations) -> Dict[str, Any]:
    service_id = declarations.meta.service_id
    session = declarations.is_session
    section_properties: Dict[str, Any] = {field.key: param_schema(field) for field in declarations.params}
    section_properties.update({field.key: accept_request_schema(field) for field in declarations.accepts})
    section: Dict[str, Any] = {"type": "object", "properties": section_properties}
    required_params = [field.key for field in declarations.params if field.required]
    if required_params:
        section["required"] = required_params
    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "title": "%s %s request" % (service_id, declarations.meta.version),
        "type": "object",
        "properties": {
            "header": request_header(session),
            "parameter": {
                "type": "object",
                "properties": {service_id: section},
                "required": [service_id] if required_params else [],
            },
            "payload": {
                "type": "object",
                "properties": {
                    field.key: payload_schema(field, session, is_input=True) for field in declarations.inputs
                },
                "required": [field.key for field in declarations.inputs],
            },
        },
        "required": ["header", "payload"],
    }


def response_schema(declarations: Declarations) -> Dict[str, Any]:
    session = declarations.is_session
    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "title": "%s %s response" % (declarations.meta.service_id, declarations.meta.version),
        "type": "object",
        "properties": {
            "header": {
                "type": "object",
                "properties": {
                    "code": {"type": "integer", "description": "0 on success, else the error code"},
                    "message": {"type": "string"},
                    "sid": {"type": "string"},
                    "status": {"type": "integer", "enum": ALL_STATUSES, "description": STATUS_TEXT},
                },
                "required": ["code"],
            },
            "payload": {
                "type": ["object", "null"],
                "properties": {
                    field.key: payload_schema(field, session, is_input=False) for field in declarations.accepts
                },
            },
        },
        "required": ["header"],
    }


def request_header(session: bool) -> Dict[str, Any]:
    text = {"type": "string", "maxLength": 50}
    return {
        "type": "object",
        "properties": {
            "appid": dict(text, description="application id issued by the platform"),
            "uid": dict(text),
            "did": dict(text, description="device id"),
            "imei": dict(text),
            "imsi": dict(text),
            "mac": dict(text),
            "net_type": {"type": "string", "enum": ["wifi", "2G", "3G", "4G", "5G"]},
            "net_isp": {"type": "string", "enum": ["CMCC", "CUCC", "CTCC", "other"]},
            "status": {
                "type": "integer",
                "enum": ALL_STATUSES if session else [3],
                "defaultVal": 3,
                "description": STATUS_TEXT,
            },
            "request_id": dict(text),
            "res_id": {"type": "string", "description": "personalisation resource id"},
        },
        "required": ["appid", "status"],
    }


def param_schema(field: ParamField) -> Dict[str, Any]:
    block: Dict[str, Any] = {"type": field.json_type}
    _describe(block, field)
    if field.json_type == "string":
        string = cast(StringParamField, field)  # the param class of that json_type
        block["minLength"], block["maxLength"] = string.min_length, string.max_length
    elif field.json_type in ("number", "integer"):
        numeric = cast(_NumericParamField, field)  # Number/IntegerParamField
        block["minimum"], block["maximum"] = numeric.minimum, numeric.maximum
    if field.enums:
        block["enum"] = list(field.enums)
    if field.test_value not in (None, "") or field.json_type == "boolean":
        block["defaultVal"] = field.test_value
    return block


def _describe(block: Dict[str, Any], field: Any) -> None:
    if field.title:
        block["title"] = field.title
    if field.description:
        block["description"] = field.description


def _encoding_schema(field: PayloadField) -> Dict[str, Any]:
    return {
        "type": "string",
        "enum": list(field.encodings),
        "defaultVal": field.encoding,
        "description": "one of the encodings this service accepts; known for %s: %s"
        % (field.media, ", ".join(KNOWN_ENCODINGS.get(field.media, []))),
    }


def payload_schema(field: PayloadField, session: bool, is_input: bool = True) -> Dict[str, Any]:
    """A body node: its data, status, and the attributes of its media type.

    The loader base64-decodes every request payload string, text included; in the response, text is
    sent as is and other media as base64 (docs/how-to/gateway.md).
    """
    properties: Dict[str, Any] = {"encoding": _encoding_schema(field)}
    defaults: Dict[str, Any] = {"encoding": field.encoding}
    if field.media == "text":
        properties["compress"] = {"type": "string", "enum": list(COMPRESSIONS), "defaultVal": field.compress}
        properties["format"] = {"type": "string", "enum": list(TEXT_FORMATS), "defaultVal": field.format}
        defaults.update(compress=field.compress, format=field.format)
    if isinstance(field, AudioBodyField):
        rates = sorted({8000, 16000, 22050, 24000, 44100, 48000, field.sample_rate})
        properties["sample_rate"] = {"type": "integer", "enum": rates, "defaultVal": field.sample_rate}
        properties["channels"] = {"type": "integer", "minimum": 1, "maximum": 8, "defaultVal": field.channels}
        depths = sorted({8, 16, 24, 32, field.bit_depth})
        properties["bit_depth"] = {"type": "integer", "enum": depths, "defaultVal": field.bit_depth}
        defaults.update(sample_rate=field.sample_rate, channels=field.channels, bit_depth=field.bit_depth)
    if isinstance(field, VideoBodyField):
        properties["frame_rate"] = {"type": "integer", "minimum": 1, "maximum": 240, "defaultVal": field.frame_rate}
        defaults["frame_rate"] = field.frame_rate
    statuses = ALL_STATUSES if session else sorted({3, field.status})
    properties["status"] = {"type": "integer", "enum": statuses, "defaultVal": field.status, "description": STATUS_TEXT}
    properties["seq"] = {"type": "integer", "minimum": 0, "maximum": 9999999}
    properties[field.media] = {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_PAYLOAD_CHARS,
        "description": (
            "the text itself (UTF-8)"
            if field.media == "text" and not is_input
            else "base64 of the %s data" % field.media
        ),
    }
    defaults["status"] = field.status
    block: Dict[str, Any] = {"type": "object"}
    _describe(block, field)
    block.update(properties=properties, required=[field.media], defaultVal=defaults)
    return block


def accept_request_schema(field: PayloadField) -> Dict[str, Any]:
    """How a client requests an output under ``parameter.<serviceId>`` (what the gateway reads)."""
    properties: Dict[str, Any] = {
        "encoding": _encoding_schema(field),
        "data_type": {"type": "string", "enum": [field.media], "defaultVal": field.media},
    }
    defaults: Dict[str, Any] = {"encoding": field.encoding, "data_type": field.media}
    if field.media == "text":
        properties["compress"] = {"type": "string", "enum": list(COMPRESSIONS), "defaultVal": field.compress}
        properties["format"] = {"type": "string", "enum": list(TEXT_FORMATS), "defaultVal": field.format}
        defaults.update(compress=field.compress, format=field.format)
    block: Dict[str, Any] = {"type": "object"}
    _describe(block, field)
    block.update(properties=properties, defaultVal=defaults)
    return block


def sample_request(declarations: Declarations) -> Dict[str, Any]:
    """A request body built from the declared test values (used by tests and docs examples)."""
    import base64  # only for --request

    service_id = declarations.meta.service_id
    section: Dict[str, Any] = {
        field.key: field.test_value for field in declarations.params if field.test_value not in (None, "")
    }
    for field in declarations.accepts:
        section[field.key] = accept_request_schema(field)["defaultVal"]
    payload: Dict[str, Any] = {}
    for field in declarations.inputs:
        data = field.sample_bytes()
        node: Dict[str, Any] = dict(payload_schema(field, declarations.is_session)["defaultVal"])
        node[field.media] = base64.b64encode(data).decode("ascii")  # the loader decodes every input
        payload[field.key] = node
    return {"header": {"appid": "123456", "status": 3}, "parameter": {service_id: section}, "payload": payload}
