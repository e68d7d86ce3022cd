"""xtest.toml: one request through the loader's RPC port with the declared test values (docs/reference/files.md).

Each input gets a section ``payload_<key>`` and each output ``expect_<key>`` (prefixes keep them
apart from xtest's own sections and from each other when an input and an output share a key). The
keys, types and attributes come from the same fields as schema.json, so the two agree. xtest
requires ``interval > 0`` on every input section even when it does not slice; audio in a session is
sliced into 40 ms frames (sample_rate x channels x bit_depth), everything else is sent whole.
"""

from typing import Any, Dict, List

from aiges.declarations import Declarations
from aiges.fields import AudioBodyField, PayloadField
from aiges.tools.render.options import Settings
from aiges.tools.render.samples import SampleSource
from aiges.tools.render.values import loader_string

XTEST_TOML = "xtest.toml"
INTERVAL_MS = 40
DEFAULT_SLICE = 1280
INPUT_PREFIX = "payload_"
OUTPUT_PREFIX = "expect_"


def describe(field: PayloadField) -> str:
    """xtest's ``describe``: the payload attributes, ``k1=v1;k2=v2`` (e.g. ``encoding=jpg``)."""
    return ";".join("%s=%s" % (name, loader_string(value)) for name, value in field.attributes().items())


def slice_size(field: PayloadField) -> int:
    if isinstance(field, AudioBodyField):
        size = field.sample_rate * field.channels * field.bit_depth // 8 * INTERVAL_MS // 1000
        return max(size, 1)
    return DEFAULT_SLICE


def xtest_document(declarations: Declarations, settings: Settings, sources: List[SampleSource]) -> Dict[str, Any]:
    session = declarations.is_session
    source_of = {source.key: source.path for source in sources}
    document: Dict[str, Any] = {
        "xtest": {"taddrs": "AIservice@127.0.0.1:%d" % settings.port},
        "svcMode": {
            "service": "AIservice",
            "svcId": declarations.meta.service_id,
            "sub": declarations.meta.sub,
            "timeout": settings.xtest_timeout,
            "multiThr": 1,
            "loopCnt": 1,
            "sessMode": 1 if session else 0,
        },
        "header": {"appid": settings.xtest_appid},
        "parameter": {field.key: field.wire_value() for field in declarations.params if field.wire_value() != ""},
        "data": {
            "payload": ";".join(INPUT_PREFIX + field.key for field in declarations.inputs),
            "expect": ";".join(OUTPUT_PREFIX + field.key for field in declarations.accepts),
        },
    }
    for field in declarations.inputs:
        sliced = session and field.media == "audio"
        document[INPUT_PREFIX + field.key] = {
            "inputSrc": source_of[field.key],
            "sliceOn": 1 if sliced else 0,
            "sliceSize": slice_size(field),
            "interval": INTERVAL_MS,
            "name": field.key,
            "type": field.media,
            "describe": describe(field),
        }
    for field in declarations.accepts:
        document[OUTPUT_PREFIX + field.key] = {"name": field.key, "type": field.media, "describe": describe(field)}
    document["downstream"] = {"output": 0, "outputDst": "./log/result"}
    document["log"] = {
        "file": "./log/xtest.log",
        "level": settings.log_level,
        "size": 100,
        "count": 20,
        "async": 0,
        "die": 30,
    }
    document["trace"] = {"able": 0}
    return document
