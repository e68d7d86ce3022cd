"""hclog JSON lines: the only stderr format a go-plugin host logs at its own level.

The loader reads the plugin's stderr line by line (go-plugin ``logStderr``, docs/reference/logs.md). A JSON object
is logged at its ``@level`` with ``@message`` as the text and the other keys as fields; anything else
is logged at DEBUG, which the loader's default ``log.level = info`` hides. The host converts
``@message``, ``@level`` and ``@timestamp`` to strings without checking, so a non-string there
crashes the loader: every line made here carries those three as strings, whatever the record holds.
Lines are kept under the host's 64 KiB read buffer (a longer line is split by the host and logged at
DEBUG); a longer message is split into several lines marked ``part = "i/n"``.
"""

import json
import logging
import math
import time
from typing import Any, Dict, List, Optional

# go-plugin reads stderr with a 64 KiB buffer; stay well below it (the newline counts too).
MAX_LINE_BYTES = 60 * 1024
LEVELS = ("trace", "debug", "info", "warn", "error")


def level_name(levelno: int) -> str:
    """hclog's name for a ``logging`` level number."""
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


def go_timestamp(seconds: Optional[float] = None) -> str:
    """``seconds`` (default: now) in Go's ``2006-01-02T15:04:05.000000Z07:00`` layout, local time."""
    seconds = time.time() if seconds is None else seconds
    whole = int(seconds // 1)
    micros = round((seconds - whole) * 1e6)
    if micros >= 1000000:
        whole, micros = whole + 1, micros - 1000000
    local = time.localtime(whole)
    offset = local.tm_gmtoff or 0
    if offset == 0:
        zone = "Z"
    else:
        sign = "+" if offset > 0 else "-"
        hours, minutes = divmod(abs(offset) // 60, 60)
        zone = "%s%02d:%02d" % (sign, hours, minutes)
    return "%s.%06d%s" % (time.strftime("%Y-%m-%dT%H:%M:%S", local), micros, zone)


def _text(value: Any) -> str:
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not lose the line
        return "<unprintable %s>" % type(value).__name__


def _dump(entry: Dict[str, Any]) -> str:
    """Readable UTF-8 JSON; all-ASCII escapes when the text holds lone surrogates (undecodable bytes)."""
    text = json.dumps(entry, ensure_ascii=False, default=_text, separators=(", ", ": "))
    return text if _encodable(text) else json.dumps(entry, default=_text, separators=(", ", ": "))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def lines(
    level: str,
    message: Any,
    module: str = "",
    timestamp: Optional[float] = None,
    fields: Optional[Dict[str, Any]] = None,
) -> List[str]:
    """One entry as JSON lines (one in the normal case), each under ``MAX_LINE_BYTES``.

    ``level`` is one of ``LEVELS`` (anything else becomes ``info``); ``fields`` become hclog
    key/value fields (keys starting with ``@`` other than ``@caller`` are dropped; values are strings,
    numbers or booleans, anything else is ``str()``-ed). When the line would be too long, the
    message and the fields' text are joined and split over several lines marked ``part``.
    """
    head: Dict[str, Any] = {
        "@level": level if level in LEVELS else "info",
        "@message": _text(message),
        "@timestamp": go_timestamp(timestamp),
    }
    if module:
        head["@module"] = _text(module)
    for key, value in (fields or {}).items():
        key = _text(key)
        if key.startswith("@") and key != "@caller":
            continue
        plain = (
            isinstance(value, (str, int, bool)) or value is None or (isinstance(value, float) and math.isfinite(value))
        )
        head[key] = value if plain else _text(value)  # NaN/Infinity are not JSON: Go would reject the line
    line = _dump(head)
    if _size(line) < MAX_LINE_BYTES:
        return [line]
    return _split(head)


def _split(head: Dict[str, Any]) -> List[str]:
    """A too-long entry as several lines: the text (message, then each field) cut into pieces."""
    text = head["@message"]
    for key, value in head.items():
        if not key.startswith("@"):
            text += "\n%s: %s" % (key, _text(value))
    base: Dict[str, Any] = {key: head[key] for key in ("@level", "@timestamp", "@module") if key in head}
    budget = MAX_LINE_BYTES - _size(_dump(dict(base, **{"@message": "", "part": "00000/00000"}))) - 16
    escaped = not _encodable(text)  # _dump will escape everything
    pieces: List[str] = []
    start = 0
    while start < len(text):
        count = budget
        while True:
            piece = text[start : start + count]
            encoded = _size(json.dumps(piece, ensure_ascii=escaped)) - 2
            if encoded <= budget or count <= 1:
                break
            count = max(1, count * budget // encoded - 1)
        pieces.append(piece)
        start += len(piece)
    total = len(pieces)
    return [
        _dump(dict(base, **{"@message": piece, "part": "%d/%d" % (index, total)}))
        for index, piece in enumerate(pieces, 1)
    ]


class HclogFormatter(logging.Formatter):
    """Formats a ``logging`` record as hclog JSON line(s): level, message, timestamp, ``@module``
    (the logger name), ``@caller`` (file:line) and the traceback as the ``exception`` field."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception as error:  # noqa: BLE001 - a bad %-format must not lose the record
            message = "%s (cannot format %r with %r: %s)" % (_text(record.msg), record.msg, record.args, error)
        fields: Dict[str, Any] = {}
        if getattr(record, "hclog_caller", True):
            fields["@caller"] = "%s:%s" % (record.pathname, record.lineno)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            fields["exception"] = record.exc_text
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        extra = getattr(record, "hclog_fields", None)
        if isinstance(extra, dict):
            fields.update(extra)
        return "\n".join(lines(level_name(record.levelno), message, record.name, record.created, fields))
