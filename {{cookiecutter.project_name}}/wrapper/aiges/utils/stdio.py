"""Under a go-plugin host, turn everything written to stdout and stderr into log records.

The loader logs the plugin's stderr line by line and at DEBUG unless a line is an hclog JSON entry
(docs/reference/logs.md), and a JSON line with a non-string ``@message`` crashes it. So after the handshake
``sys.stdout`` and ``sys.stderr`` become :class:`TextToLog` writers (a printed line is a record at
once, in order with logged ones), and file descriptors 1 and 2 become pipes read here (C
extensions, child processes, ``sys.stdout.buffer``). All of it ends up as records of the loggers
``aiges.stdout`` / ``aiges.stderr``, which the runtime's handler writes as safe hclog lines (and to
the log file). Nothing written there can reach the loader raw.

How lines become records (:class:`Lines`): a Python traceback (``Traceback (most recent call
last):`` up to its exception line) is one ERROR record; a line starting ``[ERROR]``, ``[WARN]``,
``[INFO]``, ``[DEBUG]`` or ``[TRACE]`` gets that level (the prefix convention the loader knows); a
line that is already an hclog entry keeps its level, message and fields (but its values are
re-encoded: a number as ``@message`` becomes text); a ``warnings`` line (``file:N: XWarning: ...``
and the source line below it) is a WARN record; any other non-blank line is INFO. A line without its
newline is written after a short pause (a prompt, a progress bar); a line over 60 K characters is
written in pieces.
"""

import io
import json
import logging
import os
import re
import select
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

LEVEL_NUMBERS = {
    "trace": 5,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
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
        return LEVEL_NUMBERS[found.group(1).lower()], line[found.end() :], {}
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
    return (
        LEVEL_NUMBERS.get(level, logging.INFO),
        message if isinstance(message, str) else json.dumps(message),
        fields,
    )


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
            records.append((logging.ERROR, lines[-1] if len(lines) > 1 else lines[0], {"exception": "\n".join(lines)}))

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


class TextToLog(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` under the loader: each line written becomes a record at once,
    in order with the records the same thread logs. Bytes written to ``buffer`` or ``fileno()``
    reach the same place through the fd pipe (a moment later)."""

    def __init__(self, stream: str, original: Any, send: Callable[[str, List[Record]], None]) -> None:
        super().__init__()
        self.stream = stream
        self._original = original  # the TextIOWrapper on the fd (now a pipe): buffer, fileno
        self._send = send
        self._lines = Lines()
        self._lock = threading.RLock()
        self._busy = threading.local()
        self.last_write = 0.0

    # what code that inspects sys.stdout looks for
    encoding = "utf-8"
    errors = "surrogateescape"
    line_buffering = True
    newlines = None

    @property
    def name(self) -> str:
        return "<%s>" % self.stream

    @property
    def buffer(self) -> Any:
        return self._original.buffer

    def fileno(self) -> int:
        return self._original.fileno()

    def isatty(self) -> bool:
        return False

    def reconfigure(self, **_options: Any) -> None:
        """Accepted and ignored (``sys.stdout.reconfigure(encoding="utf-8")`` is common): lines become
        records whatever the encoding, and every line is written at once anyway."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if getattr(self._busy, "on", False):  # a handler writing to us while we emit: no loop
            self._original.write(text)
            self._original.flush()
            return len(text)
        with self._lock:
            self._busy.on = True
            try:
                self.last_write = time.monotonic()
                records = self._lines.feed(text)
                if records:
                    self._send(self.stream, records)
            finally:
                self._busy.on = False
        return len(text)

    def flush_held(self, quiet: float) -> None:
        """Write a held partial line or traceback once nothing was written for ``quiet`` seconds."""
        with self._lock:
            if self._lines.holding and time.monotonic() - self.last_write >= quiet:
                self._busy.on = True
                try:
                    records = self._lines.flush()
                    if records:
                        self._send(self.stream, records)
                finally:
                    self._busy.on = False

    def flush(self) -> None:
        self._original.flush()


class Capture:
    """fds 1 and 2 as pipes whose lines go to ``emit(stream, record)``, ``sys.stdout``/``sys.stderr``
    as :class:`TextToLog`; :meth:`close` restores them and points the fds at ``target_fd``."""

    def __init__(self, target_fd: int, emit: Callable[[str, Record], None]) -> None:
        self.target_fd = target_fd
        self.emit = emit
        self._threads: List[threading.Thread] = []
        self._closed = threading.Event()
        self._streams: List[Tuple[str, Any, TextToLog]] = []

    def start(self) -> "Capture":
        for stream, fd in (("stdout", 1), ("stderr", 2)):
            read_end, write_end = os.pipe()
            os.dup2(write_end, fd)
            os.close(write_end)
            thread = threading.Thread(target=self._pump, args=(stream, read_end), name="aiges-" + stream, daemon=True)
            thread.start()
            self._threads.append(thread)
        for stream in ("stdout", "stderr"):
            original = getattr(sys, stream)
            try:
                original.flush()
            except (OSError, ValueError, AttributeError):
                pass
            writer = TextToLog(stream, original, self._send)
            self._streams.append((stream, original, writer))
            setattr(sys, stream, writer)
        threading.Thread(target=self._flusher, name="aiges-stdio-flush", daemon=True).start()
        self._keep_fault_reports()
        return self

    def _keep_fault_reports(self) -> None:
        """A crash report (``faulthandler``, -X faulthandler) cannot pass the pipe reader of a dying
        process: it goes to the loader's stderr directly (plain text, logged at DEBUG)."""
        import faulthandler  # only when a crash handler is installed

        if faulthandler.is_enabled():
            faulthandler.enable(file=self.target_fd)

    def _flusher(self) -> None:
        while not self._closed.wait(PARTIAL_WAIT / 2):
            for _, _, writer in self._streams:
                writer.flush_held(PARTIAL_WAIT)

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
        """Restore sys.stdout/sys.stderr, point fds 1 and 2 back at ``target_fd`` and wait (bounded)
        until the pipes are drained."""
        if self._closed.is_set():
            return
        self._closed.set()
        for stream, original, writer in self._streams:
            if getattr(sys, stream) is writer:
                setattr(sys, stream, original)
            writer.flush_held(0.0)
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
