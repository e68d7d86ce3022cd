"""Schema builders: the vendor-identical legacy form and the complete gateway form."""

import json
from typing import Any, Dict

from aiges.schema.gateway import gateway_schema
from aiges.schema.legacy import legacy_schema


def dumps(schema: Dict[str, Any]) -> str:
    """Serialise a schema the way the vendor did (4-space indent, UTF-8 kept as is)."""
    return json.dumps(schema, indent=4, ensure_ascii=False)


__all__ = ["dumps", "gateway_schema", "legacy_schema"]
