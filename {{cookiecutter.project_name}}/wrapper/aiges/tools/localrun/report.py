"""Show a run to a person: phases with timings, outputs previewed, files written, verdict last."""

import hashlib
import json
import os
import sys
import tempfile
from typing import Any, Dict, List, Optional, TextIO

from aiges.core.types import Status, Types
from aiges.fields import PayloadField

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF8", ".gif"),
    (b"RIFF", ".wav"),
    (b"ID3", ".mp3"),
    (b"BM", ".bmp"),
    (b"%PDF", ".pdf"),
)


class Reporter:
    """Writes the human-readable account of a run to ``stream`` (stderr unless told otherwise)."""

    def __init__(self, stream: Optional[TextIO] = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet

    def line(self, text: str = "") -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def phase(self, name: str, seconds: float, detail: str = "") -> None:
        self.line("  %-16s %9.2f ms  %s" % (name, seconds * 1000.0, detail))

    def always(self, text: str) -> None:
        """A line shown even with --quiet (results the user asked for)."""
        print(text, file=self.stream, flush=True)

    def failure(self, text: str) -> None:
        print("  FAILED: " + text.replace("\n", "\n          "), file=self.stream, flush=True)

    def node(self, node: Any, written: Optional[str]) -> None:
        data = getattr(node, "data", b"")
        kind: Any = getattr(node, "type", None)  # any node a wrapper returns: looked up, never trusted
        status: Any = getattr(node, "status", None)
        raw = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else str(data).encode("utf-8")
        self.line(
            "  <- %s: %s, status %s, %d bytes%s"
            % (
                getattr(node, "key", "?"),
                Types.get(kind, "?"),
                Status.get(status, "?"),
                len(raw),
                " -> " + written if written else "",
            )
        )
        preview = preview_text(raw)
        if preview:
            for text in preview.splitlines():
                self.line("       " + text)


ELLIPSIS = "\u2026"  # the one marker of "cut here" in previews
STRING_HEAD, STRING_TAIL = 80, 40  # characters of a long JSON string kept from its start and its end


def preview_text(raw: bytes, limit: int = 600, max_lines: int = 20) -> str:
    """A readable preview: pretty JSON, text, or a one-line summary of binary data.

    Never cut mid-token: JSON is shown whole line by line (long strings shortened inside their quotes,
    keeping both ends, so every shown line is still valid JSON syntax), text is cut at a space, and
    what was left out is said on a last line of its own, starting with the ellipsis.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "binary, sha256 %s" % hashlib.sha256(raw).hexdigest()[:16]
    try:
        document = json.loads(text)
    except ValueError:
        return _cut_text(text, limit, max_lines)
    return _cut_lines(json.dumps(_abbreviate(document), indent=2, ensure_ascii=False).splitlines(), limit, max_lines)


def _abbreviate(value: Any) -> Any:
    """The JSON value with every long string shortened in its middle: both ends stay readable (what a
    wrapper appended or prefixed shows), and the marker says how much was left out."""
    left_out = len(value) - STRING_HEAD - STRING_TAIL if isinstance(value, str) else 0
    if left_out > 20:
        return "%s%s(%d characters left out)%s%s" % (
            value[:STRING_HEAD],
            ELLIPSIS,
            left_out,
            ELLIPSIS,
            value[-STRING_TAIL:],
        )
    if isinstance(value, list):
        return [_abbreviate(item) for item in value]
    if isinstance(value, dict):
        return {key: _abbreviate(item) for key, item in value.items()}
    return value


def _cut_lines(lines: List[str], limit: int, max_lines: int) -> str:
    """Whole lines while they fit in ``limit`` characters and ``max_lines`` lines, then one marker line."""
    kept: List[str] = []
    used = 0
    for line in lines:
        if len(kept) >= max_lines or (kept and used + len(line) > limit):
            break
        kept.append(line)
        used += len(line) + 1
    left = len(lines) - len(kept)
    if left:
        kept.append("%s (%d more line%s)" % (ELLIPSIS, left, "" if left == 1 else "s"))
    return "\n".join(kept)


def _cut_text(text: str, limit: int, max_lines: int) -> str:
    """Plain text: whole lines when they fit, else cut at the last space before ``limit``, never inside a word."""
    lines = text.splitlines()
    if len(text) <= limit and len(lines) <= max_lines:
        return text
    if lines and len(lines[0]) <= limit:
        return _cut_lines(lines, limit, max_lines)
    head = text[:limit]
    space = head.rfind(" ")
    if space > 0:
        head = head[:space]
    head = head.rstrip()
    return head + "\n%s (%d more characters)" % (ELLIPSIS, len(text) - len(head))


def extension_for(node: Any, accepts: Dict[str, PayloadField]) -> str:
    data = getattr(node, "data", b"")
    raw = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else b""
    for magic, extension in _MAGIC:
        if raw.startswith(magic):
            return extension
    field = accepts.get(getattr(node, "key", ""))
    if field is not None and field.media == "text":
        try:
            json.loads(raw.decode("utf-8"))
            return ".json"
        except ValueError:
            pass
    return field.file_extension() if field is not None else ".bin"


def write_output(folder: str, name: str, data: Any) -> str:
    """Write one output file atomically; returns its path."""
    os.makedirs(folder, exist_ok=True)
    raw = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else str(data).encode("utf-8")
    path = os.path.join(folder, name)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(raw)
    os.replace(temporary, path)
    return path


def write_json(folder: str, name: str, document: Dict[str, Any]) -> str:
    return write_output(
        folder, name, (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    )


def percentile(values: List[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (seconds)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
