"""``aiges.serve --processes N``: the wrapper in N worker processes, so pure-Python code uses N cores.

A pure-Python wrapper holds the GIL, so one process computes on one core however many worker threads
it has. With N > 1 the gRPC server stays in this process and :class:`ProcessRunner` stands in for
:class:`aiges.grpc.runner.WrapperRunner`: each worker process (``aiges.grpc.procchild``) is a fresh
interpreter started with ``subprocess`` (fork + exec at once: never a fork of this threaded process)
and runs the wrapper with the same runner, ``wrapperInit`` once with the loader's config. Here:

- a once request goes to the least busy ready process (requests sent and not yet answered; ties go
  round robin), a session to the least busy one at ``wrapperCreate``, and every write and destroy of
  that session to the same process (handle -> process; a handle two processes both made is told
  apart with the process id in front: ``<pid>:<handle>``);
- every result (returned, refused, or delivered later by callback) comes back up the process's
  socket and goes to the one ``communicate`` stream; log records come up too and are logged here,
  with the process id, so they reach the loader as this process's do;
- a worker process that dies (``os._exit``, a segfault, the OOM killer) gets every request it had not
  answered answered with :data:`aiges.errors.WORKER_LOST`, each of its open sessions an error result
  under its tag (later writes to it get 30008 too), and is replaced by a new process that runs
  ``wrapperInit`` again; meanwhile the other processes serve;
- at shutdown every process runs ``wrapperFini``.

``--workers`` stays the number of wrapper calls that run at once, in all: each process has
``ceil(workers / processes)`` threads; ``--queue`` bounds the requests waiting beyond them.
"""

import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple

from aiges import errors
from aiges.grpc import convert, wire
from aiges.grpc.procwire import Channel
from aiges.grpc.runner import WrapperRunner
from aiges.utils import stdio

log = logging.getLogger("aiges.serve")

Outlet = Callable[[Any], None]
FINI_WAIT = 5.0  # seconds wrapperFini may take in the processes (the server's own grace bounds the stop)
RESTART_PAUSES = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # between failed restarts (a wrapperInit that keeps failing)
_RUNTIME_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_CHILD_CODE = "import sys; sys.path.insert(0, %r); from aiges.grpc.procchild import main; main()" % _RUNTIME_PARENT


def _lost_answer(kind: str) -> Any:
    """What a call gets when its process dies before answering."""
    if kind == "init":
        return errors.USER_INIT_ERROR
    if kind == "create":
        return ("", errors.WORKER_LOST)
    if kind in ("schema", "fini"):
        return None
    return errors.WORKER_LOST


class _Session(NamedTuple):
    child: "_Child"
    handle: str  # the wrapper's own handle, in its process
    tag: str  # where its results go on communicate


class _Child:
    """One worker process and what it has not answered yet (guarded by the runner's lock)."""

    def __init__(self, slot: int, process: "subprocess.Popen[bytes]", channel: Channel) -> None:
        self.slot = slot
        self.process = process
        self.pid = process.pid
        self.channel = channel
        self.alive = True
        self.ready = False  # wrapperInit succeeded: it takes requests
        self.calls: Dict[int, Tuple[str, Future]] = {}  # number -> (kind, its answer)
        self.once_tags: Dict[str, int] = {}  # once requests sent and not answered, by tag
        self.sessions: Set[str] = set()  # the wire handles of its open sessions

    @property
    def load(self) -> int:
        return len(self.calls) + len(self.once_tags)


class ProcessRunner:
    """The runner's interface (init, schema, once, create, write, destroy, refuse, fini) over worker processes."""

    def __init__(
        self,
        outlet: Outlet,
        processes: int,
        threads: int,
        location: Optional[str] = None,
        argv: Optional[List[str]] = None,
        max_message_bytes: Optional[int] = None,
        capacity: int = 1 << 30,
    ) -> None:
        self.outlet = outlet
        self.count = max(1, processes)
        self.threads = max(1, threads)
        self.location = location
        self.argv = argv
        self.max_message_bytes = max_message_bytes
        self.capacity = capacity  # once requests sent and not answered, in all, beyond which one is refused
        self.children: List[Optional[_Child]] = [None] * self.count
        self._lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._turns = itertools.count()
        self._config: Optional[Dict[str, str]] = None
        self._handles: Dict[str, _Session] = {}
        self._lost: Dict[str, str] = {}  # wire handle -> why its session is gone
        self._stopping = False
        self._response = wire.message("aiges.Response")

    # --- lifecycle -----------------------------------------------------------------------------------
    def init(self, config: Dict[str, str]) -> int:
        """Start the processes and run ``wrapperInit`` in each: 0, or the first failure's code."""
        with self._init_lock:
            if self._config is not None:
                log.warning("wrapperInit called again: the worker processes are already initialised, keeping them")
                return errors.OK
            started: List[_Child] = []
            try:
                for slot in range(self.count):
                    started.append(self._launch(slot))
            except OSError as error:
                log.error("cannot start the worker processes (ret %d): %s", errors.INIT_ERROR, error)
                for child in started:
                    self._end(child)
                return errors.INIT_ERROR
            answers = [(child, self._call(child, "init", dict(config))) for child in started]
            codes = [future.result() for _, future in answers]
            failed = [code for code in codes if code != errors.OK]
            if failed:
                log.error("wrapperInit failed in %d of %d worker processes: stopping them", len(failed), self.count)
                for child in started:
                    self._end(child)
                return failed[0]
            with self._lock:
                self._config = dict(config)
                for child in started:
                    child.ready = True
                    self.children[child.slot] = child
            log.info(
                "%d worker processes (pids %s) initialised, %d thread(s) each",
                self.count,
                ", ".join(str(child.pid) for child in started),
                self.threads,
            )
            return errors.OK

    def schema(self, service_id: str = "") -> str:
        child = self._pick()
        answer = self._call(child, "schema", service_id).result() if child is not None else None
        if isinstance(answer, str):
            return answer
        return WrapperRunner(self.outlet).schema(service_id)  # logs why, answers the minimal schema

    def fini(self) -> int:
        """``wrapperFini`` in every process, then they end (a stop: none is restarted)."""
        with self._lock:
            self._stopping = True
            live = [child for child in self.children if child is not None and child.alive]
        answers = [(child, self._call(child, "fini")) for child in live]
        deadline = time.monotonic() + FINI_WAIT
        for child, future in answers:
            try:
                future.result(max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                log.warning("wrapperFini did not return within %.1f s in worker process %d", FINI_WAIT, child.pid)
        for child in live:
            self._end(child)
        return errors.OK

    # --- once ------------------------------------------------------------------------------------------
    def once(self, request: Any) -> None:
        tag = request.tag
        admitted = False
        with self._lock:
            child = self._pick_locked()
            if child is not None and self._in_flight_locked() < self.capacity:
                child.once_tags[tag] = child.once_tags.get(tag, 0) + 1
                admitted = True
        if child is None:
            self._refuse_unready(tag, "wrapperOnceExec")
            return
        if not admitted:
            self.refuse(tag, "wrapperOnceExec", errors.QUEUE_FULL, self._full())
            return
        self._send(child, "once", payload=request.SerializeToString())

    # --- sessions ------------------------------------------------------------------------------------
    def create(self, request: Any) -> Tuple[str, int]:
        child = self._pick()
        if child is None:
            self._refuse_unready("", "wrapperCreate", answer=False)
            return "", errors.INIT_ERROR if self._config is None else errors.WORKER_LOST
        sid = request.sid or request.params.get("sid", "") or request.tag
        tag = request.tag or sid
        handle, code = self._call(child, "create", payload=request.SerializeToString()).result()
        if not handle:
            return handle, code
        with self._lock:
            if not child.alive:  # it died after answering: the session went with it
                return "", errors.WORKER_LOST
            existing = self._handles.get(handle)
            same = existing is None or (existing.child is child and existing.handle == handle)
            wire_handle = handle if same else "%d:%s" % (child.pid, handle)
            self._handles[wire_handle] = _Session(child, handle, tag)
            self._lost.pop(wire_handle, None)
            child.sessions.add(wire_handle)
        return wire_handle, code

    def write(self, request: Any) -> int:
        child, handle, lost = self._route(request.handle)
        if lost:
            log.error("wrapperWrite for handle %r answered with ret %d: %s", request.handle, errors.WORKER_LOST, lost)
            return errors.WORKER_LOST
        if child is None:
            self._refuse_unready("", "wrapperWrite", answer=False)
            return errors.INIT_ERROR if self._config is None else errors.WORKER_LOST
        request.handle = handle
        code: int = self._call(child, "write", payload=request.SerializeToString()).result()
        return code

    def destroy(self, handle: str) -> int:
        child, own, lost = self._route(handle)
        if lost:
            with self._lock:
                self._lost.pop(handle, None)
            return errors.OK  # nothing is left to destroy
        if child is None:
            return errors.INIT_ERROR if self._config is None else errors.WORKER_LOST
        try:
            code: int = self._call(child, "destroy", own).result()
        finally:
            with self._lock:
                session = self._handles.get(handle)
                if session is not None and session.child is child:
                    del self._handles[handle]
                    child.sessions.discard(handle)
        return code

    def refuse(self, tag: str, where: str, code: int, message: str) -> None:
        """Answer a request the server could not run with ``code`` (as the runner does)."""
        log.error("%s for tag %r answered with ret %d: %s", where, tag, code, message)
        self.outlet(convert.error_response(tag, code, "%s: %s" % (where, message)))

    # --- routing -------------------------------------------------------------------------------------
    def _route(self, handle: str) -> Tuple[Optional[_Child], str, str]:
        """(process, its own handle, why it is gone): a session's process; an unknown handle goes to the
        least busy process, whose wrapper answers it as in one process."""
        with self._lock:
            if handle in self._lost:
                return None, handle, self._lost[handle]
            session = self._handles.get(handle)
            if session is not None:
                return session.child, session.handle, ""
            return self._pick_locked(), handle, ""

    def _pick(self) -> Optional[_Child]:
        with self._lock:
            return self._pick_locked()

    def _pick_locked(self) -> Optional[_Child]:
        ready = [child for child in self.children if child is not None and child.ready and child.alive]
        if not ready:
            return None
        turn = next(self._turns)
        return min(ready, key=lambda child: (child.load, (child.slot - turn) % self.count))

    def _in_flight_locked(self) -> int:
        return sum(child.load for child in self.children if child is not None)

    def _full(self) -> str:
        return (
            "the plugin's queue is full: %d request(s) sent to its worker processes and not answered (aiges.serve "
            "--queue); lower [fc] max (fc_max in [tool.aiges]) or raise --queue" % self.capacity
        )

    def _refuse_unready(self, tag: str, where: str, answer: bool = True) -> None:
        if self._config is None:
            code, message = errors.INIT_ERROR, "called before a successful wrapperInit"
        else:
            code, message = errors.WORKER_LOST, "no worker process is ready (every one is being restarted)"
        if answer:
            self.refuse(tag, where, code, message)
        else:
            log.error("%s answered with ret %d: %s", where, code, message)

    # --- the processes -------------------------------------------------------------------------------
    def _launch(self, slot: int) -> _Child:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(  # fork + exec in one step: nothing of this process's threads is copied
                [sys.executable, "-c", _CHILD_CODE, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=2,  # never the loader's stdout (the handshake channel)
            )
        finally:
            theirs.close()
        child = _Child(slot, process, Channel(ours))
        hello = {
            "path": list(sys.path),
            "level": logging.getLogger("aiges").getEffectiveLevel(),
            "wrapper": self.location,
            "argv": self.argv,
            "max_message_bytes": self.max_message_bytes,
            "threads": self.threads,
            "capture": isinstance(sys.stderr, stdio.TextToLog),  # the server's prints become records: theirs too
        }
        self._send(child, "hello", hello)
        threading.Thread(target=self._read, args=(child,), name="aiges-process-%d" % slot, daemon=True).start()
        return child

    def _call(self, child: _Child, kind: str, value: Any = None, payload: bytes = b"") -> Future:
        future: Future = Future()
        number = next(self._numbers)
        with self._lock:
            if not child.alive:
                future.set_result(_lost_answer(kind))
                return future
            child.calls[number] = (kind, future)
        self._send(child, kind, value, payload, number)
        return future

    def _send(self, child: _Child, kind: str, value: Any = None, payload: bytes = b"", number: int = 0) -> None:
        try:
            child.channel.send(kind, number, value, payload)
        except OSError:
            pass  # it died: its reader answers whatever it had not

    def _read(self, child: _Child) -> None:
        """Thread body: everything the process sends, until its socket ends."""
        parse = self._response.FromString
        while True:
            frame = child.channel.receive()
            if frame is None:
                break
            if frame.kind == "out":
                message = parse(frame.payload)
                with self._lock:
                    left = child.once_tags.get(message.tag)
                    if left is not None:
                        if left > 1:
                            child.once_tags[message.tag] = left - 1
                        else:
                            del child.once_tags[message.tag]
                self.outlet(message)
            elif frame.kind == "reply":
                with self._lock:
                    entry = child.calls.pop(frame.number, None)
                if entry is not None:
                    entry[1].set_result(frame.value)
            elif frame.kind == "log":
                _log_from(child.pid, frame.value)
        self._ended(child)

    def _ended(self, child: _Child) -> None:
        """The process's socket ended: answer what it owed, and replace it unless the server stops."""
        try:
            status = child.process.wait(5.0)
        except subprocess.TimeoutExpired:
            child.process.kill()
            status = child.process.wait()
        with self._lock:
            child.alive = False
            calls, child.calls = child.calls, {}
            tags, child.once_tags = child.once_tags, {}
            sessions = [(handle, self._handles.pop(handle)) for handle in child.sessions if handle in self._handles]
            child.sessions = set()
            stopping, was_ready = self._stopping, child.ready
            replace = was_ready and not stopping and self.children[child.slot] is child
            why = "worker process %d %s" % (child.pid, _exit_text(status))
            for handle, _ in sessions:
                self._lost[handle] = why + "; its session is gone"
        for kind, future in calls.values():
            future.set_result(_lost_answer(kind))
        if stopping or not was_ready:
            if status not in (0, None) and not stopping:
                log.error("%s during wrapperInit", why)
            child.channel.close()
            return
        log.error(
            "%s: %d request(s) and %d session(s) are answered with ret %d; starting a new worker process",
            why,
            sum(tags.values()) + len(calls),
            len(sessions),
            errors.WORKER_LOST,
        )
        for tag, count in tags.items():
            for _ in range(count):
                self.outlet(convert.error_response(tag, errors.WORKER_LOST, "wrapperOnceExec: %s" % why))
        for handle, session in sessions:
            self.outlet(
                convert.error_response(session.tag, errors.WORKER_LOST, "session %r: %s; it is gone" % (handle, why))
            )
        child.channel.close()
        if replace:
            threading.Thread(target=self._replace, args=(child.slot,), name="aiges-restart", daemon=True).start()

    def _replace(self, slot: int) -> None:
        """Start a process in ``slot`` and ``wrapperInit`` it, retrying with pauses until it works or a stop."""
        with self._lock:
            config = dict(self._config or {})
        for attempt in itertools.count():
            with self._lock:
                if self._stopping:
                    return
            pause = RESTART_PAUSES[min(attempt, len(RESTART_PAUSES) - 1)]
            try:
                child = self._launch(slot)
            except OSError as error:
                log.error("cannot start a new worker process (%s): trying again in %.1f s", error, pause)
                time.sleep(pause)
                continue
            code = self._call(child, "init", config).result()
            with self._lock:
                serving = code == errors.OK and child.alive and not self._stopping
                if serving:
                    child.ready = True
                    self.children[slot] = child
            if serving:
                log.info("worker process %d replaces the one that exited (wrapperInit succeeded)", child.pid)
                return
            if code == errors.OK and self._stopping:  # initialised while the server stopped: it finishes too
                try:
                    self._call(child, "fini").result(FINI_WAIT)
                except FutureTimeout:
                    pass
                self._end(child)
                return
            self._end(child)
            log.error("the new worker process's wrapperInit answered %r: trying again in %.1f s", code, pause)
            time.sleep(pause)

    def _end(self, child: _Child) -> None:
        """Close its socket (it exits on its own) and make sure it is gone soon after."""
        child.channel.close()
        try:
            child.process.wait(1.0)
        except subprocess.TimeoutExpired:
            child.process.kill()


def _exit_text(status: Optional[int]) -> str:
    if status is None:
        return "ended"
    if status < 0:
        try:
            return "was killed by %s" % signal.Signals(-status).name
        except ValueError:
            return "was killed by signal %d" % -status
    return "exited with status %d" % status


def _log_from(pid: int, fields: Any) -> None:
    """A worker process's log record, logged here as if it were ours (with its process id)."""
    level, name, message, exception, path, line, function, extra, caller = fields
    logger = logging.getLogger(name)
    hclog_fields = dict(extra or (), worker_pid=pid)
    record = logger.makeRecord(
        name,
        level,
        path,
        line,
        message,
        (),
        None,
        func=function,
        extra={"hclog_fields": hclog_fields, "hclog_caller": caller},
    )
    if exception:
        record.exc_text = exception
    logger.handle(record)
