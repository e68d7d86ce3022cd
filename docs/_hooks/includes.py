"""mkdocs hook: ``<!-- include: GLOB [shift=N] -->`` on a line of its own is replaced by the files it matches.

GLOB is relative to the repository root (the folder of mkdocs.yml). Matching files are included in
sorted order, each introduced by the path it came from; ``shift=N`` pushes their headings N levels
down so they nest under the including page's heading. When nothing matches, a note says so and
names the command that produces the files (``none=...``), instead of failing the build: the
performance page must build before the first benchmark run.

Used by docs/performance.md for benchmarks/results/*.md. No dependency beyond mkdocs.
"""

import glob
import os
import re
import shlex
from typing import Dict, List

INCLUDE = re.compile(r"^<!--\s*include:\s*(?P<args>.*?)\s*-->[ \t]*$", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})(?=\s)", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~)")


def parse_arguments(text: str) -> Dict[str, str]:
    """``GLOB key=value ...`` -> {"glob": GLOB, key: value, ...} (values may be quoted)."""
    words = shlex.split(text)
    if not words:
        raise ValueError("include directive without a path")
    found = {"glob": words[0]}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"include option {word!r} is not key=value")
        found[key] = value
    return found


def matching_files(root: str, pattern: str) -> List[str]:
    """Repository-relative paths (forward slashes) of the files matching ``pattern``, sorted."""
    paths = glob.glob(os.path.join(root, pattern))
    return sorted(os.path.relpath(path, root).replace(os.sep, "/") for path in paths if os.path.isfile(path))


def shift_headings(text: str, levels: int) -> str:
    """Add ``levels`` to every ATX heading outside fenced code (capped at level 6)."""
    if levels <= 0:
        return text
    out = []
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            line = HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + levels), line, count=1)
        out.append(line)
    return "\n".join(out)


def render_include(root: str, arguments: Dict[str, str]) -> str:
    files = matching_files(root, arguments["glob"])
    if not files:
        hint = arguments.get("none", "")
        tail = " " + hint if hint else ""
        return f'!!! note "Nothing to include yet"\n    No file matches `{arguments["glob"]}`.{tail}\n'
    parts = []
    for relative in files:
        with open(os.path.join(root, relative), encoding="utf-8") as handle:
            body = handle.read().strip("\n")
        body = shift_headings(body, int(arguments.get("shift", "0")))
        parts.append(f"<!-- included from {relative} -->\n\n{body}\n\n*Source: `{relative}`*\n")
    return "\n".join(parts)


def expand(markdown: str, root: str) -> str:
    """Replace every include directive of ``markdown``."""
    return INCLUDE.sub(lambda match: render_include(root, parse_arguments(match.group("args"))), markdown)


def on_page_markdown(markdown, page, config, files):
    return expand(markdown, os.path.dirname(os.path.abspath(config.config_file_path)))


def on_serve(server, config, builder):
    results = os.path.join(os.path.dirname(os.path.abspath(config.config_file_path)), "benchmarks", "results")
    if os.path.isdir(results):
        server.watch(results)
    return server
