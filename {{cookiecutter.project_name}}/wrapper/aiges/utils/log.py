"""Logging for wrappers: ``log`` and ``getFileLogger``, without touching the root logger.

The vendor module reconfigured the root logger at import (level, handler, format), so a user's own
``logging`` output changed format or doubled (docs/explanation/vendor-fixes.md). Here ``log`` is a named logger
with its own stderr handler; importing never configures the root logger. Log files go to the
directories the loader expects, which are created when missing (vendor issue #70).

Under ``python -m aiges.serve`` the server takes over the handlers (``aiges.utils.logsetup``): hclog
JSON for the loader, the wrapper's records too, and the plugin's log file.
"""

import logging
import logging.handlers
import os
import sys
from typing import Optional

LOG_FORMAT = "%(asctime)s - %(name)s:%(funcName)s:%(lineno)s - %(levelname)s:  %(message)s"
LOGGER_NAME = "aiges"


def _level_from_env() -> int:
    name = os.environ.get("AIGES_LOG_LEVEL", "INFO").upper()
    return getattr(logging, name, logging.INFO) if isinstance(getattr(logging, name, None), int) else logging.INFO


def _make_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(getattr(handler, "_aiges", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)  # stdout belongs to the gRPC handshake
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._aiges = True  # type: ignore[attr-defined]  # our mark on a stdlib handler
        logger.addHandler(handler)
    logger.setLevel(_level_from_env())
    logger.propagate = False
    return logger


log = _make_logger()


def level_number(level: str) -> Optional[int]:
    """The ``logging`` number of a loader-style level name (trace/debug/info/warn/error), or None."""
    name = {"warn": "WARNING", "trace": "DEBUG"}.get(level.strip().lower(), level.strip().upper())
    value = getattr(logging, name, None)
    return value if isinstance(value, int) and name.isalpha() else None


def set_level(level: str) -> None:
    """Apply a loader-style level name (debug/info/warn/error) to the runtime's logger (and, under
    ``aiges.serve``, to the root logger when the server installed its handlers there)."""
    serving = sys.modules.get("aiges.utils.logsetup")
    active = serving.active() if serving is not None else None
    if active is not None:
        active.set_level(level)
        return
    value = level_number(level)
    if value is not None:
        log.setLevel(value)


def default_log_dir() -> str:
    """Where file logs go: ``$AIGES_LOG_DIR``, else ``./log/app`` (inside the loader's log tree)."""
    return os.environ.get("AIGES_LOG_DIR") or os.path.join(os.getcwd(), "log", "app")


def ensure_log_dirs(base: Optional[str] = None) -> str:
    """Create the log directories the loader and its C wrapper write to; returns the app log dir."""
    root = base or os.getcwd()
    for relative in ("log", os.path.join("log", "server"), os.path.join("log", "app")):
        os.makedirs(os.path.join(root, relative), exist_ok=True)
    return os.path.join(root, "log", "app")


def getFileLogger(  # noqa: N802
    name: str = "wrapper",
    level: int = logging.INFO,
    log_dir: Optional[str] = None,
    max_bytes: int = 50 * 1024 * 1024,
    backup_count: int = 5,
) -> logging.Logger:
    """A logger writing to ``<log_dir>/<name>.log`` (rotating), creating the directory if needed."""
    directory = log_dir or default_log_dir()
    os.makedirs(directory, exist_ok=True)
    logger = logging.getLogger("%s.%s" % (LOGGER_NAME, name))
    path = os.path.abspath(os.path.join(directory, name + ".log"))
    serving = sys.modules.get("aiges.utils.logsetup")
    active = serving.active() if serving is not None else None
    if active is not None and active.file.path == path:
        pass  # the server writes this file already, and the logger's records reach it
    elif not any(getattr(handler, "baseFilename", None) == path for handler in logger.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)
    return logger
