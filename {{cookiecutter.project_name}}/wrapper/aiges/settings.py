"""The generated project's own settings: ``[tool.aiges]`` in its pyproject.toml."""

import os
from typing import Any, Dict

from aiges import tomlcompat

PLUGIN_MODES = ("grpc", "cgo", "widgetpy")


def tool_settings(root: str) -> Dict[str, Any]:
    """``[tool.aiges]`` of ``<root>/pyproject.toml`` (empty when the file or section is missing)."""
    path = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(path):
        return {}
    document = tomlcompat.load_file(path)
    section = document.get("tool", {}).get("aiges", {})
    return dict(section) if isinstance(section, dict) else {}


# AIGES_PLUGIN_MODE as the loader's image sets it -> our plugin_mode names
_IMAGE_MODES = {"python": "grpc", "c": "cgo"}


def plugin_mode(root: str, default: str = "grpc") -> str:
    """The loader mode the project targets: ``grpc`` (python plugin), ``cgo`` (C wrapper) or ``widgetpy``
    (the AIGES v3 loader's Python protocol).

    From ``[tool.aiges]`` in the project; inside the image, where there is no pyproject.toml, from
    the ``WIDGET_PLUGIN_MODE=py`` or ``AIGES_PLUGIN_MODE`` the Dockerfile sets.
    """
    try:
        settings = tool_settings(root)
    except (OSError, ValueError):
        settings = {}
    image_mode = "widgetpy" if os.environ.get("WIDGET_PLUGIN_MODE") == "py" else None
    image_mode = image_mode or _IMAGE_MODES.get(os.environ.get("AIGES_PLUGIN_MODE", ""))
    mode = settings.get("plugin_mode") or image_mode or default
    return mode if mode in PLUGIN_MODES else default
