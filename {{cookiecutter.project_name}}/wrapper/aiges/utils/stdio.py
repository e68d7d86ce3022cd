"""Under a go-plugin host, turn everything written to stdout and stderr into log records.

The loader logs the plugin's stderr line by line and at DEBUG unless a line is an hclog JSON entry
(spec 13.3), and a JSON line with a non-string ``@message`` crashes it. So after the handshake file
descriptors 1 and 2 become pipes read here: ``print()``, ``sys.stderr``, C extensions and child
processes all end up as records of the loggers ``aiges.stdout`` / ``aiges.stderr``, which the
runtime's handler writes as safe hclog lines (and to the log file). Nothing written there can reach
the loader raw.

How lines become records (:class:`Lines`): a Python traceback (``Traceback (most recent call
last):`` up to its exception line) is one ERROR record; a line starting ``[ERROR]``, ``[WARN]``,
``[INFO]``, ``[DEBUG]`` or ``[TRACE]`` gets that level (the prefix convention the loader knows); a
line that is already an hclog entry keeps its level, message and fields (but its values are
re-encoded: a number as ``@message`` becomes text); a ``warnings`` line (``file:N: XWarning: ...``
and the source line below it) is a WARN record; any other non-blank line is INFO. A line without its
newline is written after a short pause (a prompt, a progress bar); a line over 60 K characters is
written in pieces.
"""
import json
import logging
import os
import re
import select
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

LEVEL_NUMBERS = {"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
                 "error": logging.ERROR}
_PREFIX = re.compile(r"^\[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s?")
_WARNING = re.compile(r"^\S.*:\d+: \w*Warning: ")
TRACEBACK_START = "Traceback (most recent call last):"
PARTIAL_WAIT = 0.5  # seconds before a line without its newline is written anyway
MAX_PENDING = 60 * 1024  # characters: a longer line (or traceback) is written in pieces

Record = Tuple[int, str, Dict[str, Any]]  # (logging level, message, hclog fields)


def classify(line: str) -> Record:
    """The record for one line that is not part of a traceback."""
    found = _PREFIX.match(line)
    if found:
        return LEVEL_NUMBERS[found.group(1).lower()], line[found.end():], {}
    stripped = line.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        entry = _hclog_entry(stripped)
        if entry is not None:
            return entry
    if _WARNING.match(line):
        return logging.WARNING, line, {}
    return logging.INFO, line, {}


def _hclog_entry(text: str) -> Optional[Record]:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or "@message" not in value:
        return None
    level = value.pop("@level", "info")
    level = level.strip().lower() if isinstance(level, str) else "info"
    message = value.pop("@message")
    value.pop("@timestamp", None)
    fields = {str(key): item for key, item in value.items() if not str(key).startswith("@") or key == "@module"}
    if "@module" in fields:
        fields["module"] = fields.pop("@module")
    return (LEVEL_NUMBERS.get(level, logging.INFO), message if isinstance(message, str) else json.dumps(message),
            fields)


class Lines:
    """Text in (any chunks), records out; keeps a traceback together. Not thread-safe: one per stream."""

    def __init__(self) -> None:
        self._partial = ""
        self._traceback: List[str] = []
        self._warning: Optional[str] = None  # a warnings line, waiting for its indented source line

    @property
    def holding(self) -> bool:
        """Text is held: a line without its newline, or a traceback without its exception line."""
        return bool(self._partial or self._traceback or self._warning is not None)

    def feed(self, text: str) -> List[Record]:
        records: List[Record] = []
        text = self._partial + text
        *complete, self._partial = text.split("\n")
        for line in complete:
            self._line(line.rstrip("\r"), records)
        if len(self._partial) > MAX_PENDING:
            self._end_traceback(records)
            records.append(classify(self._partial))
            self._partial = ""
        return records

    def _line(self, line: str, records: List[Record]) -> None:
        if self._warning is not None:
            warning, self._warning = self._warning, None
            if line[:1].isspace() and line.strip():  # the source line `warnings` prints below
                records.append((logging.WARNING, warning + "\n" + line, {}))
                return
            records.append((logging.WARNING, warning, {}))
        if self._traceback:
            self._traceback.append(line)
            if line and not line[0].isspace():  # the exception line ends the traceback
                self._end_traceback(records)
            elif sum(len(part) + 1 for part in self._traceback) > MAX_PENDING:
                self._end_traceback(records)
            return
        if line.startswith(TRACEBACK_START):
            self._traceback = [line]
        elif _WARNING.match(line):
            self._warning = line
        elif line.strip():  # blank lines carry nothing to log
            records.append(classify(line))

    def _end_traceback(self, records: List[Record]) -> None:
        if self._traceback:
            lines, self._traceback = self._traceback, []
            records.append((logging.ERROR, lines[-1] if len(lines) > 1 else lines[0],
                            {"exception": "\n".join(lines)}))

    def flush(self) -> List[Record]:
        """Everything still held (at a pause in the output, or at the end)."""
        records: List[Record] = []
        if self._warning is not None:
            records.append((logging.WARNING, self._warning, {}))
            self._warning = None
        self._end_traceback(records)
        if self._partial.strip():
            records.append(classify(self._partial))
            self._partial = ""
        return records


class Capture:
    """fds 1 and 2 as pipes whose lines go to ``emit(stream, record)``; :meth:`close` restores ``target``."""

    def __init__(self, target_fd: int, emit: Callable[[str, Record], None]) -> None:
        self.target_fd = target_fd
        self.emit = emit
        self._threads: List[threading.Thread] = []
        self._closed = False

    def start(self) -> "Capture":
        for stream, fd in (("stdout", 1), ("stderr", 2)):
            read_end, write_end = os.pipe()
            os.dup2(write_end, fd)
            os.close(write_end)
            thread = threading.Thread(target=self._pump, args=(stream, read_end), name="aiges-" + stream,
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _pump(self, stream: str, fd: int) -> None:
        lines = Lines()
        decoder_errors = "surrogateescape"
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        pending = b""
        try:
            while True:
                if not poller.poll(PARTIAL_WAIT * 1000 if lines.holding else None):
                    self._send(stream, lines.flush())  # a pause: write what is held
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                data = pending + chunk
                cut = _utf8_boundary(data)
                pending = data[cut:]
                self._send(stream, lines.feed(data[:cut].decode("utf-8", decoder_errors)))
        except OSError:
            pass
        finally:
            records = lines.feed(pending.decode("utf-8", decoder_errors)) + lines.flush()
            self._send(stream, records)
            os.close(fd)

    def _send(self, stream: str, records: List[Record]) -> None:
        for record in records:
            try:
                self.emit(stream, record)
            except Exception:  # noqa: BLE001, S110 - the reader must outlive a broken handler
                pass

    def close(self, timeout: float = 1.0) -> None:
        """Point fds 1 and 2 back at ``target_fd`` and wait (bounded) until the pipes are drained."""
        if self._closed:
            return
        self._closed = True
        for fd in (1, 2):
            try:
                os.dup2(self.target_fd, fd)
            except OSError:
                pass
        for thread in self._threads:  # EOF comes once no child process holds a write end any more
            thread.join(timeout / max(1, len(self._threads)))


def _utf8_boundary(data: bytes) -> int:
    """Where the last complete UTF-8 character of ``data`` ends (a chunk may cut one in two)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: keep looking for the lead byte
            continue
        if byte & 0x80 == 0:
            return len(data)
        needed = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4
        return len(data) if back >= needed else len(data) - back
    return len(data)

