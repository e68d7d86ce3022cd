"""Write TOML with tomli-w: the only third-party package rendering needs.

tomli-w keeps the insertion order (callers order their tables on purpose), rejects ``None`` (dropped
here) and returns text (encoded here as UTF-8 with LF line ends).
"""

from typing import Any, Dict, List

INSTALL_HINT = "rendering TOML needs tomli-w: pip install tomli-w"


class MissingDependency(Exception):
    """tomli-w is not installed for this interpreter."""


def require_tomli_w() -> Any:
    try:
        import tomli_w  # optional dependency: tomli-w, for rendering only
    except ImportError as error:
        raise MissingDependency(INSTALL_HINT) from error
    return tomli_w


def plain(document: Dict[str, Any]) -> Dict[str, Any]:
    """The document as a TOML reader returns the written file (``None`` values dropped)."""
    return _drop_none(document)


def dumps(document: Dict[str, Any], header: List[str]) -> bytes:
    """TOML bytes for ``document`` after ``# header`` comment lines; ends with one newline."""
    text = require_tomli_w().dumps(_drop_none(document))
    comment = "".join("# %s\n" % line if line else "#\n" for line in header)
    return (comment + "\n" + text.strip("\n") + "\n").encode("utf-8")


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_drop_none(item) for item in value if item is not None]
    return value
