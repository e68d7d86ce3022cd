"""``python -m aiges.tools.conflicts``: find what a template update could not merge.

``copier update`` and ``cruft update`` merge template changes into files the user edited. Where
both changed the same lines they leave conflict markers in the file (git's ``<<<<<<<``/``>>>>>>>``
lines, copier's ``<<<<<<< before updating``) or the rejected hunks in a ``<file>.rej`` next to it,
and copier still exits 0. A wrapper.py with markers no longer parses, but a schema.json, aiges.toml
or README with them goes unnoticed until the loader or a reader trips over it. The template's copier
update runs this after merging (a ``_migrations`` step), and ``python -m aiges check`` runs the same
scan, so a half-merged project fails loudly, naming each file, instead of being built and shipped.

Exit status: 0 nothing found, 1 conflicts found (listed on stderr with what to do).
"""

import argparse
import dataclasses
import os
import re
import sys
from typing import Iterator, List, Optional

EXIT_OK = 0
EXIT_CONFLICTS = 1
# A line that starts a or ends a conflict: seven '<' or '>' then a space (and a label) or the line end.
_MARKER = re.compile(r"^(?:<{7}|>{7})(?: |$)", re.MULTILINE)
_SKIPPED_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".venv",
    "venv",
    ".nox",
    ".tox",
    "node_modules",
    "output",
    "outputs",
    "wheelhouse",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "log",
    "dist",
    "build",
}
RENDERED = {"schema.json", "schema.legacy.json", "aiges.toml", "xtest.toml"}  # written by `python -m aiges render`
_LARGEST = 4 * 1024 * 1024  # bytes: bigger files are data (models, samples), not merged text


@dataclasses.dataclass(frozen=True)
class Conflict:
    """One file an update left unresolved: ``path`` relative to the project, ``line`` of its first marker."""

    path: str
    line: int = 0  # 0 for a .rej file

    def describe(self) -> str:
        if self.path.endswith(".rej"):
            return "%s: changes the update could not apply to %s (apply them by hand, then delete this file)" % (
                self.path,
                self.path[: -len(".rej")],
            )
        if self.path in RENDERED:
            return (
                "%s:%d: conflict markers (a rendered file: keep either side, `python -m aiges render` rewrites "
                "it from wrapper.py)" % (self.path, self.line)
            )
        return "%s:%d: conflict markers (keep the lines you want, delete the <<<<<<< ======= >>>>>>> lines)" % (
            self.path,
            self.line,
        )


def _files(root: str) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(name for name in dirs if name not in _SKIPPED_DIRS)
        for name in sorted(files):
            yield os.path.join(folder, name)


def _first_marker(path: str) -> int:
    """Line number of the first conflict marker of a text file, 0 when it has none (or is binary/large)."""
    try:
        if os.path.getsize(path) > _LARGEST:
            return 0
        with open(path, "rb") as source:
            data = source.read()
    except OSError:
        return 0
    if b"\0" in data:
        return 0
    text = data.decode("utf-8", "replace")
    found = _MARKER.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else 0


def scan(root: str) -> List[Conflict]:
    """Every unresolved conflict below ``root``: files with markers and ``*.rej`` files, in path order."""
    found = []
    for path in _files(root):
        relative = os.path.relpath(path, root).replace(os.sep, "/")
        if path.endswith(".rej"):
            found.append(Conflict(relative))
            continue
        line = _first_marker(path)
        if line:
            found.append(Conflict(relative, line))
    return found


def report(conflicts: List[Conflict], command: str) -> str:
    """The message for a person: the list, then what to do."""
    lines = [
        "%s: unresolved update conflicts in %d file%s:" % (command, len(conflicts), "" if len(conflicts) == 1 else "s")
    ]
    lines += ["  " + conflict.describe() for conflict in conflicts]
    rejected = any(conflict.path.endswith(".rej") for conflict in conflicts)
    lines.append(
        "A template update merged changes into files you edited and could not merge these. Resolve each "
        "one%s, then run `python -m aiges render` and `python -m aiges check`, and commit."
        % (" and delete the .rej files" if rejected else "")
    )
    return "\n".join(lines)


def project_root(location: Optional[str]) -> str:
    """The project root for ``location`` (the root or its wrapper/ folder), without reading any file."""
    folder = os.path.abspath(location or ".")
    if (
        not os.path.exists(os.path.join(folder, "pyproject.toml"))
        and os.path.isfile(os.path.join(os.path.dirname(folder), "pyproject.toml"))
        and os.path.basename(folder) == "wrapper"
    ):
        return os.path.dirname(folder)
    return folder


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aiges.tools.conflicts",
        description="Fail when a template update left conflict markers or .rej files.",
    )
    parser.add_argument("--project", metavar="DIR", help="the project root (default: the current directory)")
    args = parser.parse_args(argv)
    conflicts = scan(project_root(args.project))
    if conflicts:
        print(report(conflicts, "template update"), file=sys.stderr)
        return EXIT_CONFLICTS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
