"""A stand-in for the loader's python mode (AIservice as a hashicorp go-plugin host).

It does what the Go side does (spec section 7): start ``[aiges].pythonPluginCmd`` with ``bash -c``
in the wrapper's folder with ``BASIC_PLUGIN=hello`` and ``PLUGIN_MIN_PORT``/``PLUGIN_MAX_PORT``,
read the handshake line from stdout (and keep draining stdout), check health, open ``communicate``
before ``wrapperInit``, route every streamed Response by tag, and stop the plugin with
``GRPCController.Shutdown`` falling back to a kill after 2 s, and read the plugin's stderr as
go-plugin does (``loader_log()``; a line that would crash the loader fails the test at ``close()``).
Messages come from the runtime's ``.proto`` files (``aiges.grpc.wire``), so the tests exercise the
same wire format the loader uses.

Used by the tests in this folder and by ``benchmarks/grpc_bench.py`` (against our server, the
vendor's and a bare floor server).
"""

import atexit
import os
import queue
import re
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import grpc
import loaderlog
from aiges.grpc import wire

MESSAGES = wire.protocol().messages
RequestData = MESSAGES["aiges.RequestData"]
Request = MESSAGES["aiges.Request"]
DATA_END, DATA_ONCE = 2, 3
MAX_MESSAGE = 2**31 - 1  # go-plugin dials with MaxCallRecvMsgSize/MaxCallSendMsgSize = MaxInt32
_RUNNING: "weakref.WeakSet[Plugin]" = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:
    """Never leave plugins behind (the vendor's never exits on its own and holds port 50055)."""
    for plugin in list(_RUNNING):
        plugin.kill()


class HandshakeError(RuntimeError):
    """The plugin exited or printed something other than a handshake line."""


def python_command(python: str = sys.executable, module: str = "aiges.serve", args: Sequence[str] = ()) -> str:
    """The ``pythonPluginCmd`` line: ``<python> -m aiges.serve [args]``."""
    return " ".join([shlex.quote(python), "-m", module] + [shlex.quote(arg) for arg in args])


def node(key: str, data: bytes, type_: int = 0, status: int = DATA_ONCE) -> Any:
    return RequestData(key=key, data=data, len=len(data), type=type_, status=status)


class Router:
    """Reads ``communicate`` on its own thread and files each Response under its tag."""

    def __init__(self) -> None:
        self._queues: Dict[str, queue.Queue[Tuple[float, Any]]] = {}
        self._lock = threading.Lock()
        self.ended: Optional[str] = None  # "ok" or the gRPC error code name
        self.done = threading.Event()
        self._stop = threading.Event()

    def queue_for(self, tag: str) -> "queue.Queue[Tuple[float, Any]]":
        with self._lock:
            found = self._queues.get(tag)
            if found is None:
                found = self._queues[tag] = queue.Queue()
            return found

    def requests(self) -> Iterable[Any]:
        """The loader sends nothing on communicate: an iterator that ends only when we close."""
        self._stop.wait()
        return
        yield

    def run(self, call: Any) -> None:
        try:
            for message in call:
                self.queue_for(message.tag).put((time.perf_counter(), message))
            self.ended = "ok"
        except grpc.RpcError as error:
            self.ended = error.code().name if hasattr(error, "code") else "error"
        finally:
            self.done.set()

    def close(self) -> None:
        self._stop.set()

    def forget(self, tag: str) -> None:
        """Drop the queue of a finished tag (long runs would keep one per request)."""
        with self._lock:
            self._queues.pop(tag, None)

    def next(self, tag: str, timeout: float) -> Tuple[float, Any]:
        """(arrival time, Response) for ``tag``; raises queue.Empty after ``timeout`` s."""
        return self.queue_for(tag).get(timeout=timeout)

    def final(self, tag: str, timeout: float) -> List[Any]:
        """Every Response for ``tag`` up to one that ends the request (ret != 0 or status End/Once)."""
        got: List[Any] = []
        deadline = time.monotonic() + timeout
        while True:
            _, message = self.next(tag, max(0.0, deadline - time.monotonic()))
            got.append(message)
            if message.ret != 0 or any(item.status in (DATA_END, DATA_ONCE) for item in message.list):
                return got


class Plugin:
    """One plugin process and the host's connection to it."""

    def __init__(
        self,
        command: str,
        cwd: str,
        env: Optional[Dict[str, str]] = None,
        port_range: Optional[Tuple[int, int]] = (10000, 25000),
        cookie: bool = True,
        stderr_path: Optional[str] = None,
    ) -> None:
        self.command = command
        self.cwd = cwd
        self.env = dict(os.environ if env is None else env)
        self.env.update(PLUGIN_PROTOCOL_VERSIONS="1", PYTHONUNBUFFERED="1")
        if cookie:
            self.env["BASIC_PLUGIN"] = "hello"
        else:
            self.env.pop("BASIC_PLUGIN", None)
        if port_range is not None:
            self.env["PLUGIN_MIN_PORT"], self.env["PLUGIN_MAX_PORT"] = str(port_range[0]), str(port_range[1])
        self.stderr_path = stderr_path or tempfile.mkstemp(prefix="plugin-stderr-", suffix=".log")[1]
        self.env.setdefault("AIGES_LOG_FILE", self.stderr_path + ".wrapper.log")  # never the image's /log/app
        self.proc: Optional[subprocess.Popen] = None
        self.handshake = ""
        self.network = ""
        self.address = ""
        self.certificate = ""
        self.startup_seconds = 0.0
        self.stdout_after: List[bytes] = []
        self.channel: Any = None
        self.router: Optional[Router] = None
        # The loader's [fc] admission (tests/grpc/admission.py) when set: once requests and sessions beyond
        # its licences get 10110 without reaching the plugin, as the real loader answers them.
        self.admission: Any = None
        self._sessions: Dict[str, str] = {}  # handle -> sid, for the admission's session deadlines
        self._stderr: Any = None

    # --- process ---------------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> "Plugin":
        """Spawn and read the handshake (go-plugin allows 1 minute)."""
        self._stderr = open(self.stderr_path, "wb")  # closed in close()
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            ["bash", "-c", self.command],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
        )
        _RUNNING.add(self)
        line = self._read_line(timeout)
        self.startup_seconds = time.perf_counter() - started
        self.handshake = line.decode("utf-8", "replace").rstrip("\r\n")
        parts = self.handshake.split("|")
        if len(parts) not in (5, 6) or parts[2] not in ("tcp", "unix") or parts[4] != "grpc":
            raise HandshakeError("not a go-plugin handshake: %r (rc=%s)\n%s" % (line, self.proc.poll(), self.stderr()))
        self.network, self.address = parts[2], parts[3]
        self.certificate = parts[5] if len(parts) == 6 else ""  # AutoMTLS: the plugin's cert, base64 DER
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        return self

    @property
    def target(self) -> str:
        """The gRPC target of the handshake's address ("unix:/path" or "127.0.0.1:port")."""
        return "unix:" + self.address if self.network == "unix" else self.address

    def _read_line(self, timeout: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buffer = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HandshakeError("no handshake within %.0f s\n%s" % (timeout, self.stderr()))
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.proc.wait(timeout=10)
                    raise HandshakeError(
                        "plugin exited (rc=%s) before the handshake; stdout %r\n%s"
                        % (self.proc.returncode, buffer, self.stderr())
                    )
                buffer += chunk
        line, _, rest = buffer.partition(b"\n")
        if rest:
            self.stdout_after.append(rest)
        return line + b"\n"

    def _drain_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.stdout_after.append(chunk)

    def stderr(self) -> str:
        try:
            with open(self.stderr_path, "rb") as source:
                return source.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def loader_log(self, level: str = "info") -> List[loaderlog.Entry]:
        """What the loader's log shows of our stderr at ``level`` (go-plugin's rules, ``loaderlog``);
        raises ``loaderlog.LoaderPanic`` where the loader would crash on a line."""
        try:
            with open(self.stderr_path, "rb") as source:
                return loaderlog.visible(source.read(), level)
        except OSError:
            return []

    def wait_log(
        self, needle: str, level: str = "info", timeout: float = 10.0, count: int = 1
    ) -> List[loaderlog.Entry]:
        """The loader-visible entries containing ``needle``, waiting (bounded) until there are ``count``:
        text written to fd 1/2 directly (C code, child processes) passes a pipe reader, a moment later."""
        deadline = time.monotonic() + timeout
        while True:
            found = loaderlog.search(self.loader_log(level), needle)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    # --- gRPC --------------------------------------------------------------------------------------------
    def connect(self, timeout: float = 10.0) -> "Plugin":
        self.channel = self.new_channel()
        grpc.channel_ready_future(self.channel).result(timeout=timeout)
        return self

    def new_channel(self, credentials: Any = None) -> Any:
        """A channel of its own (a separate connection) to the handshake's address, as go-plugin dials it."""
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.use_local_subchannel_pool", 1),
        ]  # never share a connection with another channel
        if credentials is None:
            return grpc.insecure_channel(self.target, options=options)
        return grpc.secure_channel(self.target, credentials, [*options, ("grpc.ssl_target_name_override", "localhost")])

    def call(self, service: str, method: str, request: Any, timeout: float = 30.0, channel: Any = None) -> Any:
        spec = wire.service(service)[method]
        stub = (channel or self.channel).unary_unary(
            spec.path, request_serializer=spec.request.SerializeToString, response_deserializer=spec.response.FromString
        )
        return stub(request, timeout=timeout)

    def unary(self, service: str, method: str, channel: Any = None) -> Any:
        """A reusable stub (for loops that must not rebuild it every call)."""
        spec = wire.service(service)[method]
        return (channel or self.channel).unary_unary(
            spec.path, request_serializer=spec.request.SerializeToString, response_deserializer=spec.response.FromString
        )

    def health(self, service: str = "plugin") -> str:
        check = wire.message("grpc.health.v1.HealthCheckRequest")
        answer = self.call("grpc.health.v1.Health", "Check", check(service=service), timeout=10)
        return wire.message("grpc.health.v1.HealthCheckResponse").ServingStatus.Name(answer.status)

    def open_communicate(self) -> Router:
        spec = wire.service("aiges.WrapperService")["communicate"]
        stream = self.channel.stream_stream(
            spec.path, request_serializer=spec.request.SerializeToString, response_deserializer=spec.response.FromString
        )
        router = Router()
        call = stream(router.requests())
        threading.Thread(target=router.run, args=(call,), daemon=True).start()
        self.router = router
        return router

    def init(self, config: Optional[Dict[str, str]] = None) -> int:
        message = wire.message("aiges.InitRequest")(config=config or {})
        return self.call("aiges.WrapperService", "wrapperInit", message, timeout=120).ret

    def schema(self, service_id: str = "svcName") -> str:
        request = wire.message("aiges.SvcId")(serviceId=service_id)
        return self.call("aiges.WrapperService", "wrapperSchema", request).data

    def once(self, tag: str, nodes: Sequence[Any], params: Optional[Dict[str, str]] = None, channel: Any = None) -> Any:
        """Send wrapperOnceExec; returns the unary answer (the result comes on communicate)."""
        params = dict(params or {})
        params.setdefault("sid", tag)
        return self.call(
            "aiges.WrapperService",
            "wrapperOnceExec",
            Request(tag=tag, params=params, list=list(nodes)),
            channel=channel,
        )

    def exec_once(
        self, tag: str, nodes: Sequence[Any], params: Optional[Dict[str, str]] = None, timeout: float = 30.0
    ) -> Any:
        """Once request and its streamed result (the last Response for the tag)."""
        assert self.router is not None, "open_communicate() first"
        admission = self.admission
        if admission is not None:
            refused = admission.refusal()
            if refused:
                return MESSAGES["aiges.Response"](tag=tag, ret=refused)
        try:
            self.once(tag, nodes, params)
            return self.router.final(tag, timeout)[-1]
        finally:
            if admission is not None:
                admission.answered_once()

    def create(self, sid: str, params: Optional[Dict[str, str]] = None, tag: Optional[str] = None) -> Any:
        if self.admission is not None:
            refused = self.admission.session_refusal(sid)
            if refused:
                return wire.message("aiges.Handle")(err_code=refused)
        answer = self._create(sid, params, tag)
        self._sessions[answer.handle] = sid
        return answer

    def _create(self, sid: str, params: Optional[Dict[str, str]] = None, tag: Optional[str] = None) -> Any:
        params = dict(params or {})
        params.setdefault("sid", sid)
        message = wire.message("aiges.CreateRequest")(params=params, sid=sid, tag=tag if tag is not None else sid)
        return self.call("aiges.WrapperService", "wrapperCreate", message)

    def write(self, handle: str, nodes: Sequence[Any], tag: str = "", sid: str = "") -> int:
        """As Go does: WriteMessage.sid is never filled (spec 10.2 item 24) unless ``sid`` is given."""
        message = wire.message("aiges.WriteMessage")(handle=handle, sid=sid, req=Request(tag=tag, list=list(nodes)))
        if self.admission is not None and handle in self._sessions:
            self.admission.query(self._sessions[handle])  # each frame pushes the session's deadline out
        return self.call("aiges.WrapperService", "wrapperWrite", message).ret

    def destroy(self, handle: str) -> int:
        sid = self._sessions.pop(handle, None)
        if self.admission is not None and sid is not None:
            self.admission.close_session(sid)  # frees nothing: the licence waits for the ttl sweep
        return self.call("aiges.WrapperService", "wrapperDestroy", wire.message("aiges.Handle")(handle=handle)).ret

    # --- stopping ----------------------------------------------------------------------------------------
    def shutdown(self, wait: float = 2.0) -> Optional[int]:
        """As go-plugin's Kill(): GRPCController.Shutdown, wait up to 2 s, then SIGKILL. Returns the exit code."""
        if self.channel is not None:
            try:
                self.call("plugin.GRPCController", "Shutdown", wire.message("plugin.Empty")(), timeout=wait)
            except grpc.RpcError:
                pass
        return self.wait_exit(wait)

    def wait_exit(self, wait: float) -> Optional[int]:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return None

    def kill(self) -> None:
        """SIGKILL the plugin's whole process group (bash and anything the plugin started)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.router is not None:
            self.router.close()
        if self.channel is not None:
            self.channel.close()
        self.kill()
        self._remove_socket_dir()
        _RUNNING.discard(self)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
        self.loader_log("trace")  # the loader reads every line: one that would crash it fails the test

    def _remove_socket_dir(self) -> None:
        """After a SIGKILL nobody removes the plugin's private socket directory: the host does (tests only;
        a plugin that stops normally removes it itself, which test_grpc_listen.py checks)."""
        folder = os.path.dirname(self.address) if self.network == "unix" else ""
        if not re.fullmatch(r"aiges-[0-9a-f]{16}", os.path.basename(folder)):
            return
        try:
            for name in os.listdir(folder):
                os.unlink(os.path.join(folder, name))
            os.rmdir(folder)
        except FileNotFoundError:
            pass  # the plugin got there first

    def __enter__(self) -> "Plugin":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def launch(command: str, cwd: str, **options: Any) -> Plugin:
    """Start, connect, check health and open communicate: the loader's start-up sequence."""
    plugin = Plugin(command, cwd, **options).start()
    try:
        plugin.connect()
        plugin.open_communicate()
    except BaseException:
        plugin.close()
        raise
    return plugin
