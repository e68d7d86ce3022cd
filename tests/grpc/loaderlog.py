"""What the loader makes of a plugin's stderr: a port of go-plugin's ``logStderr`` (spec 13.3).

go-plugin (the loader's v1.4.5 and Debian's 1.0.1 alike) reads the plugin's stderr with a 64 KiB
``bufio.Reader`` and ``ReadLine``, and for each line:

* a piece of a line longer than the buffer (and every further piece of it) is logged at DEBUG;
* a line that ``json.Unmarshal`` accepts into a map goes to ``parseJSON``: ``@message``, ``@level``
  and ``@timestamp`` are type-asserted to strings **without a check** (any other type panics the
  host: :class:`LoaderPanic` here), ``@timestamp`` must parse as ``2006-01-02T15:04:05.000000Z07:00``
  (else the line counts as plain text), the other keys become fields; the entry is logged at
  ``hclog.LevelFromString(@level)`` (case-insensitive, trimmed), or as the raw line at DEBUG when
  the level is missing or unknown;
* any other line is logged at the level of a leading ``[TRACE]``/``[DEBUG]``/``[INFO]``/``[WARN]``/
  ``[ERROR]``, else at DEBUG.

The loader's hclog logger (``python-plugin``, level from ``[wrapper] "log.level"``, default info)
prints only entries at or above its level: :func:`visible` is what a user sees.
"""

import dataclasses
import datetime
import json
import re
from typing import Any, Dict, Iterable, Iterator, List, Tuple

BUFFER = 64 * 1024  # go-plugin's stdErrBufferSize
LEVELS = ("trace", "debug", "info", "warn", "error")
PREFIXES = (("[TRACE]", "trace"), ("[DEBUG]", "debug"), ("[INFO]", "info"), ("[WARN]", "warn"), ("[ERROR]", "error"))
# time.Parse("2006-01-02T15:04:05.000000Z07:00", v): exactly six fraction digits, "Z" or ±hh:mm.
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$")


class LoaderPanic(AssertionError):
    """The line would crash the loader (go-plugin's unchecked ``interface{}.(string)``)."""


@dataclasses.dataclass
class Entry:
    """One entry of the loader's ``python-plugin`` log."""

    level: str
    message: str
    fields: Dict[str, Any] = dataclasses.field(default_factory=dict)
    raw: bytes = b""  # the stderr line (or piece) it came from

    def render(self) -> str:
        """Roughly how hclog prints it: ``[ERROR] python-plugin.bash: message: key=value``."""
        text = "[%s] python-plugin.bash: %s" % (self.level.upper(), self.message)
        pairs = ["%s=%s" % (key, value) for key, value in self.fields.items()]
        return text + (": " + " ".join(pairs) if pairs else "")

    def text(self) -> str:
        """The message and every field value, for searching."""
        return "\n".join([self.message, *("%s=%s" % (key, value) for key, value in self.fields.items())])


def read_lines(data: bytes, size: int = BUFFER) -> Iterator[Tuple[bytes, bool]]:
    """``bufio.Reader.ReadLine`` with a ``size`` buffer: (line without its end, isPrefix)."""
    position = 0
    while position < len(data):
        window = data[position : position + size]
        end = window.find(b"\n")
        if end >= 0:
            position += end + 1
            line = window[:end]
            yield (line[:-1] if line.endswith(b"\r") else line), False
        elif len(window) == size:  # buffer full: a prefix (a final "\r" is held back for its "\n")
            if window.endswith(b"\r") and len(window) > 1:
                window = window[:-1]
            position += len(window)
            yield window, True
        else:  # EOF without a newline: the rest, as it is
            position = len(data)
            yield window, False


def _go_time(value: str) -> bool:
    found = _TIMESTAMP.match(value)
    if not found:
        return False
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    zone = found.group(8)
    return zone == "Z" or (int(zone[1:3]) < 24 and int(zone[4:6]) < 60)


def _reject_constant(name: str) -> Any:
    raise ValueError("Go's encoding/json rejects %s" % name)


def parse_json(line: bytes) -> Any:
    """``parseJSON``: None when the line is not an hclog entry (plain text), else (message, level, fields).

    Raises LoaderPanic where go-plugin panics.
    """
    try:
        raw = json.loads(line.decode("utf-8", "replace"), parse_constant=_reject_constant)
    except ValueError:
        return None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return None  # json: cannot unmarshal array/number/string into map
    message = level = ""
    for key in ("@message", "@level", "@timestamp"):
        if key in raw and not isinstance(raw[key], str):
            raise LoaderPanic(
                "%s is %s, not a string: go-plugin panics (interface conversion) on %r"
                % (key, type(raw[key]).__name__, line[:200])
            )
        if key == "@message":
            message = raw.pop(key, "")
        elif key == "@level":
            level = raw.pop(key, "")
        elif key in raw:
            if not _go_time(raw.pop(key)):
                return None  # time.Parse failed: parseJSON returns the error, the line is plain text
    return message, level, raw


def entries(data: bytes, size: int = BUFFER) -> List[Entry]:
    """Every entry the loader logs for this stderr output (raises LoaderPanic where it would crash)."""
    found: List[Entry] = []
    continuation = False
    for line, prefix in read_lines(data, size):
        text = line.decode("utf-8", "replace")
        if prefix or continuation:  # a piece of an over-long line: not parsed
            found.append(Entry("debug", text, raw=line))
            continuation = prefix
            continue
        parsed = parse_json(line)
        if parsed is None:
            level = next((name for prefix, name in PREFIXES if text.startswith(prefix)), "debug")
            found.append(Entry(level, text, raw=line))
            continue
        message, level, fields = parsed
        level = level.strip().lower()
        if level not in LEVELS:
            found.append(Entry("debug", text, raw=line))
            continue
        found.append(Entry(level, message, fields, raw=line))
    return found


def visible(data: bytes, level: str = "info") -> List[Entry]:
    """The entries a loader with ``log.level = level`` prints."""
    floor = LEVELS.index(level)
    return [entry for entry in entries(data) if LEVELS.index(entry.level) >= floor]


def search(found: Iterable[Entry], needle: str) -> List[Entry]:
    """The entries whose message or a field contains ``needle``."""
    return [entry for entry in found if needle in entry.text()]
