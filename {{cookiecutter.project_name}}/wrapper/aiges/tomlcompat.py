"""Read TOML: ``tomllib`` on Python 3.11+, its backport ``tomli`` below.

The official images run CPython 3.9, where the standard library has no TOML reader; the generated
project's requirements.txt installs ``tomli`` there. Without either, every read raises
:class:`TomlReaderMissing` with the fix, which the CLI prints as one line (never a traceback).
"""

import sys
from typing import Any, Dict

INSTALL_HINT = (
    "reading TOML on Python %d.%d needs tomli: pip install tomli (in a generated project it is in "
    'requirements.txt: tomli>=1.1; python_version < "3.11")' % sys.version_info[:2]
)


class TomlReaderMissing(ImportError):
    """Neither ``tomllib`` nor ``tomli`` can be imported by this interpreter."""


def _reader() -> Any:
    try:
        import tomllib  # type: ignore[import-not-found]  # Python 3.11+; mypy checks as 3.10
    except ImportError:
        try:
            import tomli as tomllib  # the backport, on Python < 3.11 only
        except ImportError as error:
            raise TomlReaderMissing(INSTALL_HINT) from error
    return tomllib


def loads(text: str) -> Dict[str, Any]:
    """The document in ``text``; invalid TOML raises the reader's ``TOMLDecodeError`` (a ValueError)."""
    return _reader().loads(text)


def load_file(path: str) -> Dict[str, Any]:
    """The document in the UTF-8 file ``path`` (OSError when unreadable, ValueError when invalid)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return loads(text)
