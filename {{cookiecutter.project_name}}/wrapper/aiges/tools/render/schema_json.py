"""schema.json (the complete gateway schema) and schema.legacy.json (the vendor SDK's form)."""

import json
from typing import Any, Dict

from aiges.declarations import Declarations
from aiges.schema import gateway_schema, legacy_schema

SCHEMA_FILE = "schema.json"
LEGACY_SCHEMA_FILE = "schema.legacy.json"


def render_schema(declarations: Declarations) -> bytes:
    return _json_bytes(gateway_schema(declarations))


def render_legacy_schema(declarations: Declarations) -> bytes:
    return _json_bytes(legacy_schema(declarations))


def _json_bytes(document: Dict[str, Any]) -> bytes:
    """Key order as built (meaningful, and stable), 4-space indent like the vendor, UTF-8 kept as is."""
    return (json.dumps(document, indent=4, ensure_ascii=False) + "\n").encode("utf-8")
