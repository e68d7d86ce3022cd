"""Read the fenced code blocks of the documentation and the test markers in front of them.

The convention (described for writers in docs/contributing-docs.md):

* A block may be preceded by a one-line marker ``<!-- test: WORD ... key=value ... -->`` (the
  nearest non-blank line before the opening fence). Words: ``run``, ``skip``, ``output``,
  ``continue``; keys: ``reason``, ``needs``, ``exit``, ``timeout``, ``file``, ``insert``,
  ``after``, ``replace``.
* A page may carry ``<!-- test-page: workdir=project|empty|none template=checkout|clone -->``
  anywhere outside code (``template=clone``: ``gh:org/aiges-template`` means a fresh ``git clone`` of
  the checkout, i.e. its last commit, as copier and cruft updates need a clean template repository).

Only the parsing lives here; docs_runner.py executes blocks.
"""

import dataclasses
import re
import shlex
from pathlib import Path
from typing import Dict, List, Optional

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+.-]*)[^`]*$")
MARKER = re.compile(r"^\s*<!--\s*test:\s*(?P<body>.*?)\s*-->\s*$")
PAGE_MARKER = re.compile(r"^\s*<!--\s*test-page:\s*(?P<body>.*?)\s*-->\s*$")

FLAG_WORDS = {"run", "skip", "output", "continue"}
OPTION_KEYS = {"reason", "needs", "exit", "timeout", "file", "append", "insert", "after", "replace"}
NEEDS = {"docker", "network", "gpu"}
PAGE_SETTINGS = {"workdir": ("project", "empty", "none"), "template": ("checkout", "clone")}
SHELL_LANGS = {"console", "shell-session", "bash", "sh", "shell"}
PYTHON_LANGS = {"python", "py", "python3"}
DATA_LANGS = {"json", "toml", "yaml", "yml"}


class MarkerError(ValueError):
    """A malformed test marker (always a documentation bug)."""


@dataclasses.dataclass
class Marker:
    flags: frozenset
    options: Dict[str, str]

    @classmethod
    def parse(cls, body: str, where: str = "") -> "Marker":
        try:
            words = shlex.split(body)
        except ValueError as error:
            raise MarkerError(f"{where}: cannot parse test marker {body!r}: {error}") from error
        flags = set()
        options: Dict[str, str] = {}
        for word in words:
            key, sep, value = word.partition("=")
            if sep:
                if key not in OPTION_KEYS:
                    raise MarkerError(f"{where}: unknown test marker option {key!r} (known: {sorted(OPTION_KEYS)})")
                options[key] = value
            elif word in FLAG_WORDS:
                flags.add(word)
            else:
                raise MarkerError(f"{where}: unknown test marker word {word!r} (known: {sorted(FLAG_WORDS)})")
        marker = cls(frozenset(flags), options)
        marker.check(where)
        return marker

    def check(self, where: str) -> None:
        options = self.options
        if "skip" in self.flags and not options.get("reason", "").strip():
            raise MarkerError(f'{where}: `skip` needs reason="..."')
        if options.get("needs", "docker") not in NEEDS:
            raise MarkerError(f"{where}: needs={options['needs']} is not one of {sorted(NEEDS)}")
        if ("after" in options or "replace" in options) and "insert" not in options:
            raise MarkerError(f"{where}: after=/replace= only go with insert=PATH")
        if "insert" in options and ("after" in options) == ("replace" in options):
            raise MarkerError(f"{where}: insert=PATH needs exactly one of after=REGEX or replace=REGEX")
        for key in ("exit", "timeout"):
            if key in options and not options[key].isdigit():
                raise MarkerError(f"{where}: {key}={options[key]} is not a number")


@dataclasses.dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marker: Optional[Marker]

    @property
    def where(self) -> str:
        return f"{self.page.as_posix()}:{self.line}"

    @property
    def kind(self) -> str:
        if self.lang in SHELL_LANGS:
            return "shell"
        if self.lang in PYTHON_LANGS:
            return "python"
        if self.lang in DATA_LANGS:
            return "data"
        return "other"

    def has(self, flag: str) -> bool:
        return self.marker is not None and flag in self.marker.flags

    def option(self, key: str, default: Optional[str] = None) -> Optional[str]:
        if self.marker is None:
            return default
        return self.marker.options.get(key, default)

    @property
    def action(self) -> str:
        """What the docs tests do with the block: skip, needs, write, append, insert, run, parse or none."""
        if self.has("skip"):
            return "skip"
        if self.option("needs"):
            return "needs"
        if self.option("file"):
            return "write"
        if self.option("append"):
            return "append"
        if self.option("insert"):
            return "insert"
        if self.kind == "python" or self.has("run"):
            return "run"
        if self.kind == "data":
            return "parse"
        return "none"


@dataclasses.dataclass
class Page:
    path: Path
    blocks: List[Block]
    settings: Dict[str, str]

    @property
    def workdir(self) -> str:
        """Where the page's blocks start: a fresh generated project, an empty folder, or a scratch folder."""
        if "workdir" in self.settings:
            return self.settings["workdir"]
        changes_project = any(block.action in ("write", "append", "insert") for block in self.blocks)
        runs_shell = any(block.action in ("run", "needs") and block.kind == "shell" for block in self.blocks)
        return "project" if changes_project or runs_shell else "none"


def _strip_indent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t")


def _page_settings(body: str, where: str) -> Dict[str, str]:
    settings = {}
    for word in shlex.split(body):
        key, sep, value = word.partition("=")
        if not sep or value not in PAGE_SETTINGS.get(key, ()):
            known = " ".join(f"{name}={'|'.join(values)}" for name, values in PAGE_SETTINGS.items())
            raise MarkerError(f"{where}: test-page takes {known}, got {word!r}")
        settings[key] = value
    return settings


def parse_page(path: Path, root: Optional[Path] = None) -> Page:
    """All fenced blocks of a markdown page with their markers, and the page settings."""
    display = Path(path.relative_to(root) if root else path).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    settings: Dict[str, str] = {}
    index = 0
    previous_text_line = ""
    while index < len(lines):
        line = lines[index]
        opening = FENCE_OPEN.match(line)
        if opening is None:
            page_marker = PAGE_MARKER.match(line)
            if page_marker:
                settings.update(_page_settings(page_marker.group("body"), f"{display}:{index + 1}"))
            if line.strip():
                previous_text_line = line
            index += 1
            continue
        start = index + 1  # 1-based line of the opening fence
        indent, fence, lang = opening.group("indent"), opening.group("fence"), opening.group("lang").lower()
        body: List[str] = []
        index += 1
        while index < len(lines):
            stripped = lines[index].strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                break
            body.append(_strip_indent(lines[index], indent))
            index += 1
        else:
            raise MarkerError(f"{display}:{start}: code fence is never closed")
        found = MARKER.match(previous_text_line)
        marker = Marker.parse(found.group("body"), f"{display}:{start}") if found else None
        blocks.append(Block(Path(display), start, lang, "\n".join(body) + "\n", marker))
        previous_text_line = ""
        index += 1
    return Page(Path(display), blocks, settings)


def all_pages(docs: Path) -> List[Page]:
    root = docs.parent
    return [parse_page(path, root) for path in sorted(docs.rglob("*.md")) if "_hooks" not in path.parts]


# --- console blocks -----------------------------------------------------------------------------


@dataclasses.dataclass
class Console:
    commands: List[str]
    expected: List[str]


def parse_console(text: str) -> Console:
    """``$ command`` lines (continued by a trailing backslash) and the output lines shown after them."""
    commands: List[str] = []
    expected: List[str] = []
    continuing = False
    for line in text.splitlines():
        if continuing:
            commands[-1] += "\n" + line
            continuing = line.endswith("\\")
        elif line.startswith("$ ") or line == "$":
            commands.append(line[2:])
            continuing = line.endswith("\\")
        else:
            expected.append(line)
    return Console(commands, expected)


def output_pattern(line: str) -> "re.Pattern[str]":
    """A shown output line as a pattern: ``...`` matches anything, runs of spaces match any spacing."""
    pattern = ".*".join(re.escape(part) for part in line.strip().split("..."))
    return re.compile(re.sub(r"(\\ )+", r"\\s+", pattern))


def missing_output(expected: List[str], actual: str) -> List[str]:
    """Shown lines that do not appear, in order, in the actual output (empty when all do)."""
    actual_lines = actual.splitlines()
    position = 0
    missing = []
    for line in expected:
        if not line.strip() or line.strip() == "...":
            continue
        pattern = output_pattern(line)
        for offset in range(position, len(actual_lines)):
            if pattern.search(actual_lines[offset]):
                position = offset + 1
                break
        else:
            missing.append(line)
    return missing
