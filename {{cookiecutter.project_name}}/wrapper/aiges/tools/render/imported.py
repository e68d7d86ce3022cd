"""The import fallback: read declarations by importing wrapper.py in a subprocess.

Used only when a declaration is not a literal the static reader can evaluate. A subprocess keeps the
user's module (and whatever it imports or prints) out of the rendering process; the child writes
:class:`~aiges.tools.render.raw.RawDeclarations` as JSON to a file, never to stdout, which user code may
print to. The parent builds fields from it with the same builder the static reader uses.
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

import aiges
from aiges.tools.render.raw import META_ATTRIBUTES, RawDeclarations, RawField

if TYPE_CHECKING:
    from aiges.fields import Field

# The folder holding the `aiges` package in use: the child imports the same runtime.
RUNTIME_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(aiges.__file__)))
IMPORT_TIMEOUT = 600  # seconds: importing a wrapper may load large frameworks
_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[3]); "
    "from aiges.tools.render.imported import child_main; sys.exit(child_main(sys.argv[1], sys.argv[2]))"
)


class ImportFailed(Exception):
    """wrapper.py could not be imported (or read after import); ``line`` is in wrapper.py when known."""

    def __init__(self, message: str, line: Optional[int] = None) -> None:
        super().__init__(message)
        self.line = line


def read_imported(wrapper_file: str, timeout: float = IMPORT_TIMEOUT) -> RawDeclarations:
    """Import wrapper.py with this interpreter in a subprocess and return what it declares."""
    wrapper_file = os.path.abspath(wrapper_file)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")  # leave no __pycache__ behind in the user's folder
    with tempfile.TemporaryDirectory(prefix="aiges-render-") as scratch:
        result_file = os.path.join(scratch, "declarations.json")
        try:
            process = subprocess.run(
                [sys.executable, "-c", _CHILD, wrapper_file, result_file, RUNTIME_PARENT],
                cwd=os.path.dirname(wrapper_file),
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ImportFailed("importing wrapper.py took longer than %d s" % timeout) from error
        if not os.path.isfile(result_file):
            tail = process.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise ImportFailed(
                "the import subprocess exited with status %d%s"
                % (process.returncode, (": " + " | ".join(tail)) if tail else "")
            )
        with open(result_file, encoding="utf-8") as handle:
            document = json.load(handle)
    if not document.get("ok"):
        raise ImportFailed(document.get("error", "unknown error"), document.get("line"))
    return RawDeclarations.from_json(document["declarations"])


def child_main(wrapper_file: str, result_file: str) -> int:
    """Runs in the subprocess: import, read, write the result file (always, even on failure)."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            from aiges.loading import import_wrapper  # runs in the import subprocess only
            from aiges.widgetpy.bridge import wrapper_for  # runs in the import subprocess only

            cls, _ = import_wrapper(wrapper_file, fallback=wrapper_for)
            document: Dict[str, Any] = {"ok": True, "declarations": raw_from_class(cls).to_json()}
    except BaseException as error:  # noqa: BLE001 - user code may raise anything, even SystemExit
        document = {
            "ok": False,
            "error": "%s: %s" % (type(error).__name__, error),
            "line": _line_in(wrapper_file, error),
        }
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    return 0


def raw_from_class(cls: type) -> RawDeclarations:
    """What an imported Wrapper class declares, as aiges.discovery finds it."""
    from aiges import discovery  # runs in the import subprocess only

    found = discovery.discover(cls)
    raw = RawDeclarations(
        class_name=cls.__name__, request_error=found.request_error, response_error=found.response_error
    )
    raw.meta = {name: getattr(cls, name) for name in META_ATTRIBUTES if hasattr(cls, name)}
    raw.config = getattr(cls, "config", {})
    raw.session_mode = getattr(cls, "session_mode", None)
    from aiges.declarations import has_field_holders  # runs in the import subprocess only

    raw.field_holders = has_field_holders(cls)
    raw.methods = sorted(discovery.user_methods(cls))
    holders: Sequence[Tuple[str, Sequence[Tuple[str, Sequence[Field]]]]] = (
        ("requestCls", (("params", found.params), ("inputs", found.inputs))),
        ("responseCls", (("accepts", found.accepts),)),
    )
    for attribute, groups in holders:
        holder = getattr(cls, attribute, None)
        is_instance = holder is not None and not isinstance(holder, type)
        if is_instance:
            raw.holder_classes[attribute] = type(holder).__name__
        names = _attribute_names(holder) if is_instance else {}
        for group, fields in groups:
            for field in fields:
                pending = names.get(id(field))
                attribute_name, owner = pending.pop(0) if pending else ("?", "?")
                getattr(raw, group).append(RawField(spec=field.spec, attribute=attribute_name, owner=owner))
    return raw


def _attribute_names(holder: Any) -> Dict[int, List[Tuple[str, str]]]:
    """Attribute name and declaring class of each field object (a field may be bound twice)."""
    from aiges.discovery import declared_attributes  # runs in the import subprocess only

    names: Dict[int, List[Tuple[str, str]]] = {}
    for name, value in declared_attributes(holder):
        owner = next((klass.__name__ for klass in type(holder).__mro__ if name in vars(klass)), type(holder).__name__)
        names.setdefault(id(value), []).append((name, owner))
    return names


def _line_in(wrapper_file: str, error: BaseException) -> Optional[int]:
    """The line of wrapper.py where the import failed, when the failure passed through it."""
    target = os.path.abspath(wrapper_file)
    if isinstance(error, SyntaxError) and error.filename and os.path.abspath(error.filename) == target:
        return error.lineno
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.abspath(frame.filename) == target:
            line = frame.lineno
    return line
