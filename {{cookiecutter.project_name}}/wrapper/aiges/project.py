"""The generated project's own settings: ``[tool.aiges]`` in its pyproject.toml."""
import os
from typing import Any, Dict

from aiges import tomlread

PLUGIN_MODES = ("grpc", "cgo")


def tool_settings(root: str) -> Dict[str, Any]:
    """``[tool.aiges]`` of ``<root>/pyproject.toml`` (empty when the file or section is missing)."""
    path = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(path):
        return {}
    document = tomlread.load_file(path)
    section = document.get("tool", {}).get("aiges", {})
    return dict(section) if isinstance(section, dict) else {}


def plugin_mode(root: str, default: str = "grpc") -> str:
    """The loader mode the project targets: ``grpc`` (python plugin) or ``cgo`` (C wrapper)."""
    try:
        mode = tool_settings(root).get("plugin_mode", default)
    except (OSError, ValueError):
        return default
    return mode if mode in PLUGIN_MODES else default
