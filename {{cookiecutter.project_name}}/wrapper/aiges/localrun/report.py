"""Show a run to a person: phases with timings, outputs previewed, files written, verdict last."""
import hashlib
import json
import os
import sys
import tempfile
from typing import Any, Dict, List, Optional, TextIO

from aiges.core.types import Status, Types
from aiges.fields import PayloadField

_MAGIC = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"), (b"RIFF", ".wav"),
          (b"ID3", ".mp3"), (b"BM", ".bmp"), (b"%PDF", ".pdf"))


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
        raw = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else str(data).encode("utf-8")
        self.line("  <- %s: %s, status %s, %d bytes%s" % (
            getattr(node, "key", "?"), Types.get(getattr(node, "type", None), "?"),
            Status.get(getattr(node, "status", None), "?"), len(raw), " -> " + written if written else ""))
        preview = preview_text(raw)
        if preview:
            for text in preview.splitlines()[:20]:
                self.line("       " + text)


def preview_text(raw: bytes, limit: int = 600) -> str:
    """A readable preview: pretty JSON, text, or a one-line summary of binary data."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "binary, sha256 %s" % hashlib.sha256(raw).hexdigest()[:16]
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    return text if len(text) <= limit else text[:limit] + " ..."


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
    return write_output(folder, name, (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
                                       + "\n").encode("utf-8"))


def percentile(values: List[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (seconds)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
