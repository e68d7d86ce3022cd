"""Rendered files in memory, how they differ from the disk, and atomic writes.

Everything is rendered before anything is written, so a failing render leaves the previous files
as they were; each file is replaced atomically (temporary file in the same folder, then
``os.replace``), and a file whose bytes would not change is not touched at all.
"""

import dataclasses
import difflib
import os
import tempfile
from typing import Any, Dict, List, Optional, Sequence

from aiges import tomlcompat


@dataclasses.dataclass(frozen=True)
class Output:
    """One rendered file: ``path`` relative to the project root, with ``/`` separators."""

    path: str
    data: bytes
    # Set for a TOML file compared by content (parsed) instead of by bytes: the check inside the image,
    # where no TOML writer is installed and the comment header names other paths.
    document: Optional[Dict[str, Any]] = None


@dataclasses.dataclass(frozen=True)
class Change:
    """A file whose content on disk differs from the rendered one (``new`` None: to be removed)."""

    path: str
    old: Optional[bytes]
    new: Optional[bytes]

    @property
    def kind(self) -> str:
        if self.old is None:
            return "missing" if self.new is not None else "absent"
        return "stale" if self.new is not None else "unexpected"


def changes(root: str, outputs: Sequence[Output], owned_dirs: Sequence[str] = ()) -> List[Change]:
    """What writing ``outputs`` would change; files in ``owned_dirs`` that no output produces are removed."""
    found: List[Change] = []
    produced = set()
    for output in outputs:
        produced.add(output.path)
        old = _read(os.path.join(root, output.path))
        if output.document is not None:
            if not _same_document(old, output.document):
                found.append(Change(output.path, old, output.data))
        elif old != output.data:
            found.append(Change(output.path, old, output.data))
    for folder in owned_dirs:
        absolute = os.path.join(root, folder)
        if not os.path.isdir(absolute):
            continue
        for name in sorted(os.listdir(absolute)):
            relative = folder.rstrip("/") + "/" + name
            if relative not in produced and os.path.isfile(os.path.join(absolute, name)):
                found.append(Change(relative, _read(os.path.join(absolute, name)), None))
    return found


def apply(root: str, found: Sequence[Change]) -> None:
    for change in found:
        target = os.path.join(root, change.path)
        if change.new is None:
            os.remove(target)
        else:
            write_atomically(target, change.new)


def write_atomically(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mode = _mode_for(path)
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def diff(change: Change) -> str:
    """A unified diff from the file on disk to the rendered one (a note for binary files)."""
    try:
        old = (change.old or b"").decode("utf-8")
        new = (change.new or b"").decode("utf-8")
    except UnicodeDecodeError:
        return "Binary file %s differs\n" % change.path
    before = "a/%s" % change.path if change.old is not None else "/dev/null"
    after = "b/%s" % change.path if change.new is not None else "/dev/null"
    lines = difflib.unified_diff(_lines(old), _lines(new), fromfile=before, tofile=after)
    return "".join(lines)


def _lines(text: str) -> List[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _same_document(old: Optional[bytes], document: Dict[str, Any]) -> bool:

    if old is None:
        return False
    try:
        return tomlcompat.loads(old.decode("utf-8")) == document
    except (UnicodeDecodeError, ValueError):
        return False


def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _mode_for(path: str) -> int:
    """Keep an existing file's permissions; new files get the usual 0o666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
