"""How ``aiges.serve`` logs: where the runtime's and the wrapper's records go, in which format.

Importing the runtime never touches the root logger (``aiges.utils.log``); the *server* does, once,
because it owns the process: when the root logger has no handler (nobody configured ``logging``),
it gets the server's handlers and the loader's level, so a wrapper's ``logging.getLogger(...)``
records are shown like the runtime's. A wrapper that configured logging itself keeps its set-up.

* Console (the loader reads our stderr): under a go-plugin host (``BASIC_PLUGIN`` and
  ``PLUGIN_PROTOCOL_VERSIONS`` set, as the loader does) hclog JSON lines, so every record appears
  at its own level in the loader's log; by hand (or ``$AIGES_LOG_FORMAT=text``) today's human lines.
  ``$AIGES_LOG_FORMAT=json`` forces JSON. In JSON mode stdout and stderr are captured after the
  handshake (``aiges.utils.stdio``) so nothing printed reaches the loader raw.
* File: ``aiges.utils.logfile`` (``$AIGES_LOG_FILE``, ``[wrapper] "log.file"``, ``/log/app/wrapper.log``).
"""

import logging
import os
import sys
from typing import Any, Dict, Mapping, Optional, TextIO

from aiges.utils import hclog, logfile, stdio
from aiges.utils.log import LOG_FORMAT, LOGGER_NAME, level_number
from aiges.utils.log import log as runtime_log

FORMAT_ENV = "AIGES_LOG_FORMAT"
FORMATS = ("json", "text")


def under_go_plugin(env: Mapping[str, str] = os.environ) -> bool:
    """The environment a go-plugin host gives its plugin (the magic cookie and protocol versions)."""
    return env.get("BASIC_PLUGIN") == "hello" and bool(env.get("PLUGIN_PROTOCOL_VERSIONS", "").strip())


def console_format(env: Mapping[str, str] = os.environ) -> str:
    """``json`` or ``text``: ``$AIGES_LOG_FORMAT`` when it is one of them, else by the host."""
    chosen = env.get(FORMAT_ENV, "").strip().lower()
    if chosen in FORMATS:
        return chosen
    return "json" if under_go_plugin(env) else "text"


def captured_record(stream: str, record: stdio.Record) -> Optional[logging.LogRecord]:
    """A captured line of ``stream`` as a record of the logger ``aiges.<stream>``, or None below its
    level. Also used by each ``--processes`` worker, whose lines reach the server as records."""
    level, message, fields = record
    logger = logging.getLogger("%s.%s" % (LOGGER_NAME, stream))
    if not logger.isEnabledFor(level):
        return None
    fields = dict(fields, stream=stream)
    exception = fields.pop("exception", None)
    made = logger.makeRecord(
        logger.name,
        level,
        "<%s>" % stream,
        0,
        message,
        (),
        None,
        func=stream,
        extra={"hclog_fields": fields, "hclog_caller": False},
    )
    if exception:
        made.exc_text = str(exception)
    return made


class _Once(logging.Filter):
    """A handler attached to several loggers handles each record once (a record may pass both)."""

    def filter(self, record: logging.LogRecord) -> bool:
        seen = record.__dict__.setdefault("_aiges_handlers", set())
        if id(self) in seen:
            return False
        seen.add(id(self))
        return True


class _Console(logging.StreamHandler):
    """The loader's stderr. When it cannot be written (the loader is gone) there is nobody to tell:
    the default error report would go to sys.stderr, which is captured and logged here again."""

    _aiges: bool  # set by install(): the mark of the runtime's own console handler

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass


class ServerLogging:
    """The server's handlers: console (format per :func:`console_format`) and the log file."""

    def __init__(self, fmt: str, console: Any) -> None:
        self.format = fmt
        self.console = _Console(console)
        self.console.setFormatter(hclog.HclogFormatter() if fmt == "json" else logging.Formatter(LOG_FORMAT))
        self.file = logfile.LogFile(lambda text: logging.getLogger("aiges.serve").warning("%s", text))
        for handler in (self.console, self.file):
            handler.addFilter(_Once())
        self.capture: Optional[stdio.Capture] = None
        self.owns_root = False
        self._console_fd: Optional[int] = None

    def install(self) -> None:
        runtime = logging.getLogger(LOGGER_NAME)
        for handler in list(runtime.handlers):
            if getattr(handler, "_aiges", False):  # the import-time stderr handler: replaced
                runtime.removeHandler(handler)
        self.console._aiges = True
        runtime.addHandler(self.console)
        runtime.addHandler(self.file)
        root = logging.getLogger()
        if not root.handlers:
            root.addHandler(self.console)
            root.addHandler(self.file)
            root.setLevel(runtime.level)
            self.owns_root = True
        chosen = os.environ.get(logfile.ENV)
        if chosen is not None:
            self.file.choose(chosen)

    def start_capture(self, console_fd: int) -> None:
        """After the handshake: stdout and stderr become records (JSON mode only)."""
        if self.format == "json" and self.capture is None:
            self.capture = stdio.Capture(console_fd, self._captured).start()

    def _captured(self, stream: str, record: stdio.Record) -> None:
        made = captured_record(stream, record)
        if made is not None:
            logging.getLogger(made.name).handle(made)

    def set_level(self, name: str) -> None:
        level = level_number(name)
        if level is None:
            return
        runtime_log.setLevel(level)
        if self.owns_root:
            logging.getLogger().setLevel(level)

    def apply_config(self, config: Mapping[str, str]) -> None:
        """``wrapperInit``'s config: ``log.level`` and ``log.file`` (``$AIGES_LOG_FILE`` wins)."""
        if config.get("log.level"):
            self.set_level(config["log.level"])
        if not self.file.chosen:
            self.file.choose(config.get("log.file"))

    def close(self) -> None:
        """End of serving: stdout/stderr drained and restored, the file written and closed."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        if self.capture is not None:
            self.capture.close()
        self.file.close()
        self.console.flush()


_active: Optional[ServerLogging] = None


def start(fmt: Optional[str] = None) -> ServerLogging:
    """Install the server's logging (once per process); returns it."""
    global _active
    if _active is None:
        fmt = fmt or console_format()
        console: TextIO
        if fmt == "json":  # our own copy of the real stderr: fd 2 becomes a pipe once captured
            console = os.fdopen(os.dup(2), "w", encoding="utf-8", errors="backslashreplace", buffering=1)
        else:
            console = sys.stderr
        _active = ServerLogging(fmt, console)
        _active.install()
    return _active


def active() -> Optional[ServerLogging]:
    return _active


def apply_config(config: Dict[str, str]) -> None:
    """What ``wrapperInit``'s config says about logging; outside the server only the level applies."""
    if _active is not None:
        _active.apply_config(config)
    elif config.get("log.level"):
        from aiges.utils.log import set_level  # log imports logsetup's formats (a cycle at the top)

        set_level(config["log.level"])
