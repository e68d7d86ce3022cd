"""The plugin's own log file (the vendor's ``/log/app/wrapper.log``): size-rotated, human-readable.

Which file is decided by ``$AIGES_LOG_FILE`` at start-up, else by the ``log.file`` key of the config
``wrapperInit`` receives (``[tool.aiges] log_file``, rendered into ``[wrapper]``), else the vendor's
path. Records logged before that decision (start-up, before ``wrapperInit``) are kept in memory and
written once the file is chosen, so the file holds the whole run and no file is created at a path
the project moved away from. Where the file cannot be written, ``./log/app/wrapper.log`` (in the
loader's log tree, under the wrapper's folder) is used instead, with one warning; where that fails
too, there is no file (the loader's log still has everything).
"""

import logging
import logging.handlers
import os
import stat
import threading
from typing import Callable, List, Optional, Tuple

DEFAULT_PATH = "/log/app/wrapper.log"
FALLBACK_PATH = os.path.join("log", "app", "wrapper.log")
ENV = "AIGES_LOG_FILE"
MAX_BYTES = 50 * 1024 * 1024
BACKUPS = 5
PENDING_LIMIT = 10000  # records kept before the file is chosen; older ones are dropped
FILE_FORMAT = "%(asctime)s - %(name)s:%(funcName)s:%(lineno)s - %(levelname)s:  %(message)s"
NO_FILE = ("", "-", "none")


def _open(path: str) -> logging.Handler:
    """A rotating handler for ``path`` (directories created); raises OSError where it cannot write."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        regular = True
    # never rotate a device or a pipe (rotating renames the file: /dev/null must stay where it is)
    handler = logging.handlers.RotatingFileHandler(
        path,
        maxBytes=MAX_BYTES if regular else 0,
        backupCount=BACKUPS if regular else 0,
        encoding="utf-8",
        errors="backslashreplace",
    )
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    return handler


class LogFile(logging.Handler):
    """A handler that holds records until :meth:`choose` names the file, then writes them there."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        super().__init__(logging.NOTSET)
        self._warn = warn  # how to say that the file moved (a warning the loader shows)
        self._target: Optional[logging.Handler] = None
        self._pending: List[logging.LogRecord] = []
        self._chosen = False
        self._choose_lock = threading.Lock()
        self.path: Optional[str] = None  # the file written, once chosen (None: no file)

    @property
    def chosen(self) -> bool:
        return self._chosen

    def emit(self, record: logging.LogRecord) -> None:
        if self._target is not None:
            self._target.handle(record)
        elif not self._chosen:
            if record.exc_info and not record.exc_text:  # the traceback object may be gone later
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            try:
                record.msg, record.args = record.getMessage(), None
            except Exception:  # noqa: BLE001, S110 - the formatter reports a bad %-format later
                pass
            self._pending.append(record)
            del self._pending[:-PENDING_LIMIT]

    def choose(self, path: Optional[str]) -> Optional[str]:
        """Open ``path`` (None: the default; "" or "-": no file), falling back as the module says;
        the first call decides, later ones are ignored. Returns the path written (None: no file)."""
        with self._choose_lock:
            if self._chosen:
                return self.path
            wanted = DEFAULT_PATH if path is None else path
            handler, problem = None, ""
            if wanted.strip().lower() not in NO_FILE:
                handler, problem = self._try(wanted)
                if handler is None:
                    fallback = os.path.abspath(FALLBACK_PATH)
                    handler, second = self._try(fallback) if fallback != os.path.abspath(wanted) else (None, "")
                    where = (
                        ("logging to %s instead" % fallback)
                        if handler
                        else ("and not %s either (%s): no log file" % (fallback, second))
                    )
                    problem = "cannot write the log file %s (%s); %s" % (wanted, problem, where)
            self.acquire()
            try:  # the waiting records first, then the ones arriving meanwhile (they wait for the lock)
                for record in self._pending:
                    if handler is not None:
                        handler.handle(record)
                self._pending = []
                self._target = handler
                self.path = getattr(handler, "baseFilename", None)
                self._chosen = True
            finally:
                self.release()
            if problem:
                self._warn(problem)
            return self.path

    @staticmethod
    def _try(path: str) -> Tuple[Optional[logging.Handler], str]:
        try:
            return _open(path), ""
        except OSError as error:
            return None, error.strerror or str(error)

    def flush(self) -> None:
        if self._target is not None:
            self._target.flush()

    def close(self) -> None:
        """Write what is still pending (to the default file when nothing was chosen), then close."""
        if not self._chosen:
            self.choose(os.environ.get(ENV))
        if self._target is not None:
            self._target.close()
        super().close()
