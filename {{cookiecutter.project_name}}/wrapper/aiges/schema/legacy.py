"""The legacy schema, JSON-equal to what the vendor SDK 0.16.0's ``schema()`` returns.

Kept byte-for-byte in meaning for compatibility (docs/reference/files.md), including its omissions: fixed
payload blocks per media type, no minLength/minimum, accepts absent from ``parameter``. The one
deliberate change: a ``hosts`` class attribute is honoured (the vendor always wrote the default).
"""

from typing import Any, Dict, List, cast

from aiges.declarations import Declarations, ServiceMeta
from aiges.fields import ParamField, PayloadField, StringParamField, _NumericParamField

HEADER_KEYS = (
    "appid",
    "uid",
    "device_id",
    "device.imei",
    "device.imsi",
    "device.mac",
    "device.other",
    "net.type",
    "net.isp",
    "app.ver",
)


def legacy_schema(declarations: Declarations) -> Dict[str, Any]:
    meta = declarations.meta
    service_id = meta.service_id
    return {
        "meta": _meta(meta, declarations),
        "schemainput": {
            "type": "object",
            "properties": {
                "header": {
                    "type": "object",
                    "properties": {key: {"type": "string", "maxLength": 50} for key in HEADER_KEYS},
                    "required": ["appid"],
                },
                "parameter": {
                    "type": "object",
                    "properties": {
                        service_id: {
                            "type": "object",
                            "properties": {field.key: _param(field) for field in declarations.params},
                            "required": [field.key for field in declarations.params if field.required],
                        }
                    },
                },
                "payload": {
                    "type": "object",
                    "properties": {field.key: payload_block(field) for field in declarations.inputs},
                },
            },
        },
        "schemaoutput": {
            "type": "object",
            "properties": {
                "payload": {
                    "type": "object",
                    "properties": {field.key: payload_block(field) for field in declarations.accepts},
                }
            },
        },
    }


def _meta(meta: ServiceMeta, declarations: Declarations) -> Dict[str, Any]:
    return {
        "serviceId": meta.service_id,
        "version": meta.version,
        "route": meta.route,
        "sub": meta.sub,
        "call": meta.call,
        "call_type": as_int(meta.call_type),
        "hosts": meta.hosts,
        "service": [meta.service_id],
        "routeKey": [],
        meta.service_id: {
            "input": {field.key: {"dataType": field.media} for field in declarations.inputs},
            "accept": {field.key: {"dataType": field.media} for field in declarations.accepts},
        },
    }


def as_int(value: Any) -> Any:
    """``call_type`` was spliced into JSON text by the vendor, so "0" became 0."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _param(field: ParamField) -> Dict[str, Any]:
    if field.json_type == "boolean":
        return {"type": "boolean", "default": field.test_value}
    block: Dict[str, Any] = {"type": field.json_type}
    if field.enums:
        block["enum"] = list(field.enums)
    elif field.json_type == "string":
        block["maxLength"] = cast(StringParamField, field).max_length  # the param class of that json_type
    else:
        block["maximum"] = cast(_NumericParamField, field).maximum  # Number/IntegerParamField
    return block


def _enum(values: List[Any], kind: str = "integer") -> Dict[str, Any]:
    return {"type": kind, "enum": values}


def payload_block(field: PayloadField) -> Dict[str, Any]:
    """The vendor's fixed block for a media type (the field's own settings are ignored there)."""
    media = field.media
    if media == "image":
        properties = {
            "encoding": _enum(["jpg", "png", "bmp", "jpeg"], "string"),
            "image": {"type": "string", "minLength": 1, "maxLength": 10485760},
            "status": _enum([3]),
        }
    elif media == "audio":
        properties = {
            "encoding": _enum(["opus", "speex"], "string"),
            "sample_rate": _enum([8000, 16000]),
            "bit_depth": _enum([8, 16]),
            "channels": _enum([1, 2]),
            "status": _enum([0, 1, 2, 3]),
            "seq": {"type": "integer"},
            "audio": {"type": "string"},
        }
    elif media == "video":  # the vendor had no video field; same shape as its audio block
        properties = {
            "encoding": _enum(list(field.encodings), "string"),
            "status": _enum([0, 1, 2, 3]),
            "seq": {"type": "integer"},
            "video": {"type": "string"},
        }
    else:
        properties = {
            "encoding": _enum(["utf8", "gb2312"], "string"),
            "compress": _enum(["gzip"], "string"),
            "status": _enum([0, 1, 2, 3]),
            "seq": {"type": "integer"},
            "text": {"type": "string"},
        }
    return {"type": "object", "properties": properties}
