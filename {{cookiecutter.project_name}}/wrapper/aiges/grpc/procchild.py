"""One worker process of ``aiges.serve --processes N``: the wrapper, run by the same runner as in one process.

``aiges.grpc.processes`` starts it with ``python -c`` (a fresh interpreter, never a fork of the threaded
server) and the child end of a socket pair. Here a :class:`aiges.grpc.runner.WrapperRunner` does
everything it does in a single process (import, ``wrapperInit``, once, sessions, callbacks, fini);
its results, replies and log records go back up the socket, where the server puts them on the one
``communicate`` stream and into its own logs. Calls run on this process's own worker threads, never on
the thread that reads the socket: it keeps reading while the wrapper computes, so the server's sends
never wait behind a busy wrapper.

The server owns the life of this process: SIGINT/SIGTERM (sent to the whole process group) are
ignored so ``wrapperFini`` runs when the server asks for it, and the process ends when the server's
end of the socket closes, whatever the reason (a stop, or the server's death).
"""

import faulthandler
import logging
import os
import signal
import socket
import sys
import threading
from typing import Any, Dict, Optional

from aiges.grpc import wire
from aiges.grpc.procwire import Channel, Frame
from aiges.grpc.runner import WrapperRunner
from aiges.grpc.workers import Workers
from aiges.utils import stdio
from aiges.utils.log import level_number
from aiges.utils.log import log as runtime_log
from aiges.utils.logsetup import captured_record

QUEUE_LIMIT = 1 << 30  # the server bounds the calls it sends (its --queue); here nothing is refused
FINI_DRAIN = 0.5  # seconds running calls may take to finish before wrapperFini
EXIT_GRACE = 2.0  # seconds the interpreter may take to exit after the server closed the socket


class _Forward(logging.Handler):
    """Every record, as plain fields, to the server, which logs it (hclog for the loader, the log file)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.channel = channel
        self.setFormatter(logging.Formatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            exception = record.exc_text
            if record.exc_info and not exception:
                exception = self.formatter.formatException(record.exc_info) if self.formatter else None
            fields = (
                record.levelno,
                record.name,
                message,
                exception,
                record.pathname,
                record.lineno,
                record.funcName,
                getattr(record, "hclog_fields", None),
                getattr(record, "hclog_caller", True),
            )
            self.channel.send("log", 0, fields)
        except Exception:  # noqa: BLE001, S110 - the server is gone: nobody to tell
            pass


def _logging(channel: Channel, level: int) -> _Forward:
    """The runtime's and the wrapper's records go to the server, at the server's level."""
    forward = _Forward(channel)
    runtime = runtime_log  # its import added a stderr handler: replaced
    for handler in list(runtime.handlers):
        runtime.removeHandler(handler)
    runtime.addHandler(forward)
    runtime.setLevel(level)
    runtime.propagate = False
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(forward)
        root.setLevel(level)
    return forward


def _capture_output(forward: _Forward) -> stdio.Capture:
    """What the wrapper prints (``sys.stdout``/``sys.stderr``, and fds 1 and 2) becomes records here,
    line by line, as in the server process. Written raw to the server's stderr, the lines of two
    processes would cut into each other (an unbuffered ``print`` writes its pieces one by one)."""

    def emit(stream: str, record: stdio.Record) -> None:
        made = captured_record(stream, record)
        if made is not None:
            forward.emit(made)

    return stdio.Capture(os.dup(2), emit).start()


class Worker:
    """Dispatches the server's frames to the runner (see the module docstring)."""

    def __init__(self, channel: Channel, hello: Dict[str, Any]) -> None:
        self.channel = channel
        self.requests = wire.protocol().messages
        self.runner = WrapperRunner(self._out, hello["wrapper"], hello["argv"], hello["max_message_bytes"])
        self.workers = Workers(hello["threads"], QUEUE_LIMIT)
        self.finishing: Optional[threading.Thread] = None

    def _out(self, message: Any) -> None:
        try:
            self.channel.send("out", payload=message.SerializeToString())
        except OSError:
            pass  # the server is gone; this process ends with the socket

    def _reply(self, number: int, value: Any) -> None:
        try:
            self.channel.send("reply", number, value)
        except OSError:
            pass

    def _answer(self, number: int, function: Any, argument: Any) -> None:
        self._reply(number, function(argument))

    def _fini(self, number: int) -> None:
        self.workers.drain(FINI_DRAIN)
        self._reply(number, self.runner.fini())

    def handle(self, frame: Frame) -> None:
        kind, number = frame.kind, frame.number
        if kind == "init":
            config = dict(frame.value)
            if config.get("log.level"):  # the wrapper's own loggers (root) follow it too, as in one process
                level = level_number(config["log.level"])
                if level is not None:
                    logging.getLogger().setLevel(level)
                    runtime_log.setLevel(level)
            self._reply(number, self.runner.init(config))
        elif kind == "schema":
            self._reply(number, self.runner.schema(frame.value))
        elif kind == "once":
            self.workers.submit(self.runner.once, self.requests["aiges.Request"].FromString(frame.payload))
        elif kind == "create":
            request = self.requests["aiges.CreateRequest"].FromString(frame.payload)
            self.workers.submit(self._answer, number, self.runner.create, request)
        elif kind == "write":
            request = self.requests["aiges.WriteMessage"].FromString(frame.payload)
            self.workers.submit(self._answer, number, self.runner.write, request)
        elif kind == "destroy":
            self.workers.submit(self._answer, number, self.runner.destroy, frame.value)
        elif kind == "fini":
            self.finishing = threading.Thread(target=self._fini, args=(number,), name="aiges-fini", daemon=True)
            self.finishing.start()
        else:
            logging.getLogger("aiges.serve").error("worker process: unknown message %r from the server", kind)


def _exit_later(grace: float) -> None:
    """Exit normally (atexit runs), but never hang on threads a wrapper left running."""

    def force() -> None:
        threading.Event().wait(grace)
        os._exit(0)

    threading.Thread(target=force, name="aiges-exit", daemon=True).start()


def main(fd: Optional[int] = None) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    faulthandler.enable()  # a crash in native code leaves its Python traceback in the log (fd 2 is the server's)
    channel = Channel(socket.socket(fileno=int(sys.argv[1]) if fd is None else fd))
    hello = channel.receive()
    if hello is None or hello.kind != "hello":
        return
    settings = hello.value
    sys.path[:] = settings["path"]
    forward = _logging(channel, settings["level"])
    capture = _capture_output(forward) if settings.get("capture") else None
    worker = Worker(channel, settings)
    while True:
        frame = channel.receive()
        if frame is None:
            break
        worker.handle(frame)
    worker.workers.stop()
    if worker.finishing is not None:  # the server may be gone already: wrapperFini still gets its time
        worker.finishing.join(EXIT_GRACE)
    if capture is not None:
        capture.close()  # the last lines printed (by wrapperFini) are sent before the exit
    _exit_later(EXIT_GRACE)


if __name__ == "__main__":
    main()
