"""Drive the plugin server with a real Go loader stand-in (``tests/grpc/gohost/``, contract in its main.go).

The Go program is a hashicorp/go-plugin host on grpc-go, like AIservice, so the tests meet the peer the
loader really is (its HTTP/2 stack, go-plugin's start-up and Kill) and the benchmarks get a driver whose
own cost per request is small. It is built once from the Debian Go packages (GOPATH mode, no network)
into a cache folder keyed by its sources and the Go version. Its messages come from a FileDescriptorSet
made here from the runtime's ``.proto`` files, the single source of the wire format. The same builder
makes the Go plugin (``goplugin.py``): :class:`GoProgram` names a program's source folders.
"""

import base64
import functools
import hashlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "gohost"
SHARED = HERE / "gowire"  # the wire format and handshake, compiled into every Go program here
GOCODE = Path("/usr/share/gocode/src")
# import path -> the Debian package that provides it
PACKAGES = {
    "github.com/hashicorp/go-plugin": "golang-github-hashicorp-go-plugin-dev",
    "google.golang.org/grpc": "golang-google-grpc-dev",
    "google.golang.org/protobuf/types/dynamicpb": "golang-google-protobuf-dev",
}
INSTALL = (
    "apt-get install golang-go golang-google-grpc-dev golang-github-hashicorp-go-plugin-dev golang-google-protobuf-dev"
)


class GoHostUnavailable(RuntimeError):
    """Go or the Debian Go packages are missing: the reason says which and how to install them."""


class GoHostBuildError(RuntimeError):
    """The toolchain is there but the Go host does not build: a bug to fix, never a reason to skip."""


class GoHostError(RuntimeError):
    """The Go host could not start the plugin, or stopped answering."""


# -- building ----------------------------------------------------------------------------------------


class GoProgram(NamedTuple):
    """A ``main`` package built from the ``*.go`` files of ``folders``: its name is the package's and the
    cached binary's prefix (``<name>-<hash of the sources and Go version>``)."""

    name: str
    folders: Tuple[Path, ...]


GOHOST = GoProgram("gohost", (SOURCE, SHARED))


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/aiges-template`` (``~/.cache/aiges-template``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aiges-template"


def _go_version(go: str) -> str:
    try:
        done = subprocess.run([go, "version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GoHostUnavailable("`go version` failed: %s" % error) from error
    if done.returncode != 0:
        raise GoHostUnavailable("`go version` failed: %s" % done.stderr.strip())
    return done.stdout.strip()


def _sources(program: GoProgram) -> List[Path]:
    found = sorted((path for folder in program.folders for path in folder.glob("*.go")), key=lambda p: p.name)
    names = [path.name for path in found]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise GoHostBuildError("%s: the same file name in two source folders: %s" % (program.name, duplicates))
    return found


def _source_hash(program: GoProgram, go_version: str) -> str:
    """What the binary depends on: its Go files and the compiler."""
    digest = hashlib.sha256(go_version.encode())
    for path in _sources(program):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _check_packages() -> None:
    missing = [package for path, package in PACKAGES.items() if not (GOCODE / path).is_dir()]
    if missing:
        raise GoHostUnavailable(
            "missing Debian Go package(s) %s (looked in %s); install with: %s" % (", ".join(missing), GOCODE, INSTALL)
        )


def _build(program: GoProgram, go: str, target: Path) -> None:
    """``go build`` in GOPATH mode from a scratch copy of its folders, then an atomic rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="%s-build-" % program.name) as scratch:
        package = Path(scratch) / "src" / program.name
        package.mkdir(parents=True)
        for path in _sources(program):
            shutil.copy2(path, package / path.name)
        env = dict(os.environ, GO111MODULE="off", GOPATH="%s:%s" % (scratch, GOCODE.parent), GOFLAGS="")
        partial = target.with_name("%s.%d.tmp" % (target.name, os.getpid()))
        done = subprocess.run(
            [go, "build", "-o", str(partial), program.name],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise GoHostBuildError(
                "building %s failed:\n%s%s"
                % (
                    " + ".join(str(folder.relative_to(HERE.parent.parent)) for folder in program.folders),
                    done.stdout,
                    done.stderr,
                )
            )
        os.replace(partial, target)


@functools.cache
def _target(program: GoProgram) -> Tuple[str, Path]:
    go = shutil.which("go")
    if go is None:
        raise GoHostUnavailable("no `go` on PATH; install with: %s" % INSTALL)
    _check_packages()
    return go, cache_dir() / ("%s-%s" % (program.name, _source_hash(program, _go_version(go))))


def ensure_binary(program: GoProgram = GOHOST) -> Path:
    """The program (by default the Go host), built on first use (cached on disk per source and Go
    version); rebuilt if the cached file went away (checkouts with other sources share the cache folder)."""
    go, target = _target(program)
    if not target.is_file():
        _build(program, go, target)
        _prune(target, program.name)
    try:
        os.utime(target)  # marks it as in use for _prune
    except OSError:
        pass
    return target


def _prune(keep: Path, name: str, days: float = 7.0) -> None:
    """Remove binaries of other sources unused for ``days`` (another checkout may be using one now)."""
    import time

    for old in keep.parent.glob(name + "-*"):
        if old != keep and not old.name.endswith(".tmp"):
            try:
                if time.time() - old.stat().st_mtime > days * 86400:
                    old.unlink()
            except OSError:
                pass


def descriptor_set(path: Path) -> Path:
    """Write the runtime's protos as a serialized FileDescriptorSet (what the Go host reads) to ``path``.

    The set is the one checked in beside the protos (``helpers/sync_descriptors.py``). Needs the runtime
    importable (its parent folder on sys.path); imported here, not at the top, so that building the binary
    does not.
    """
    from aiges.grpc import wire

    data = wire.serialized_set()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name("%s.%d.tmp" % (path.name, os.getpid()))
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


@functools.cache
def default_descriptors() -> Path:
    """The descriptor set in the cache folder, named by its content (rewritten only when the protos change)."""
    scratch = Path(tempfile.mkdtemp(prefix="gohost-fds-"))
    try:
        made = descriptor_set(scratch / "set.pb")
        target = cache_dir() / ("descriptors-%s.pb" % hashlib.sha256(made.read_bytes()).hexdigest()[:16])
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(made, target)
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# -- running -----------------------------------------------------------------------------------------


def _arguments(
    command: str,
    cwd: Optional[str],
    descriptors: Optional[Path],
    verbose: bool,
    log: Optional[str] = None,
    log_level: str = "info",
) -> List[str]:
    args = [
        str(ensure_binary()),
        "-descriptors",
        str(descriptors or default_descriptors()),
        "-cmd",
        command,
        "-log-level",
        log_level,
    ]
    if cwd:
        args += ["-dir", str(cwd)]
    if verbose:
        args.append("-v")
    if log:
        args += ["-log", log]
    return args


def _pairs(flag: str, values: Optional[Mapping[str, str]]) -> List[str]:
    return [part for key, value in (values or {}).items() for part in (flag, "%s=%s" % (key, value))]


def node(key: str, data: bytes, type_: int = 0, status: int = 3) -> Dict[str, Any]:
    """A RequestData for an operation's ``list`` (data travels as base64)."""
    return {"key": key, "data": base64.b64encode(data).decode("ascii"), "type": type_, "status": status}


def data_of(item: Mapping[str, Any]) -> bytes:
    """The bytes of a ResponseData in an answer."""
    return base64.b64decode(item.get("data") or "")


class GoHost:
    """``gohost script``: the plugin started by go-plugin; ``call(op)`` sends one operation and returns its answer.

    ``env`` is the Go host's environment, which the plugin inherits (pass ``plugin_env()``).
    ``loader_log()`` is what the loader would print at ``log_level`` (its python-plugin logger).
    """

    def __init__(
        self,
        command: str,
        cwd: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        descriptors: Optional[Path] = None,
        verbose: bool = False,
        log_level: str = "info",
    ) -> None:
        handle, self.stderr_path = tempfile.mkstemp(prefix="gohost-stderr-", suffix=".log")
        os.close(handle)
        handle, self.log_path = tempfile.mkstemp(prefix="gohost-loader-", suffix=".log")
        os.close(handle)
        self.args = [*_arguments(command, cwd, descriptors, verbose, self.log_path, log_level), "script"]
        self.env = dict(os.environ if env is None else env)
        # the plugin's log file goes next to ours unless the test chose one (never the image's /log)
        self._own_wrapper_log = "AIGES_LOG_FILE" not in self.env
        self.env.setdefault("AIGES_LOG_FILE", self.log_path[: -len(".log")] + "-wrapper.log")
        self.proc: Optional[subprocess.Popen] = None
        self.ready: Dict[str, Any] = {}
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        self._stderr: Any = None

    def start(self, timeout: float = 90.0) -> Dict[str, Any]:
        """Start the host (and through it the plugin); returns the ready line or raises GoHostError."""
        self._stderr = open(self.stderr_path, "wb")  # closed in close()
        self.proc = subprocess.Popen(
            self.args,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.ready = self._answer(timeout)
        if not self.ready.get("ready"):
            raise GoHostError(
                "the Go host could not start the plugin: %s\n%s" % (self.ready.get("error"), self.stderr())
            )
        return self.ready

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _answer(self, timeout: float) -> Dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise GoHostError("no answer from the Go host within %.0f s\n%s" % (timeout, self.stderr())) from None
        if line is None:
            code = self.proc.wait(timeout=10) if self.proc is not None else None
            raise GoHostError("the Go host exited (status %s)\n%s" % (code, self.stderr()))
        return json.loads(line)

    def call(self, op: Mapping[str, Any], timeout: float = 120.0) -> Dict[str, Any]:
        """Send one operation (``{"op": ...}``, see main.go) and return its answer line.

        Operations carry their own ``timeout_s``; ``timeout`` only guards against a hung host, after
        which answers would no longer match their operations (close the host then).
        """
        assert self.proc is not None and self.proc.stdin is not None, "start() first"
        self.proc.stdin.write(json.dumps(op) + "\n")
        self.proc.stdin.flush()
        return self._answer(timeout)

    def stderr(self) -> str:
        """The Go host's stderr, which includes the plugin's."""
        try:
            return Path(self.stderr_path).read_text("utf-8", "replace")
        except OSError:
            return ""

    def loader_log(self) -> str:
        """The Go host's python-plugin log: what the loader prints about the plugin at ``log_level``."""
        try:
            return Path(self.log_path).read_text("utf-8", "replace")
        except OSError:
            return ""

    def close(self, timeout: float = 15.0) -> None:
        """End of script: the host Kill()s the plugin and exits; killed if it does not."""
        if self.proc is None:
            return
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()  # the host kills the plugin on SIGTERM
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._stderr is not None:
            self._stderr.close()
        Path(self.stderr_path).unlink(missing_ok=True)
        Path(self.log_path).unlink(missing_ok=True)
        if self._own_wrapper_log:
            for leftover in Path(self.env["AIGES_LOG_FILE"]).parent.glob(Path(self.env["AIGES_LOG_FILE"]).name + "*"):
                leftover.unlink(missing_ok=True)

    def __enter__(self) -> "GoHost":
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def _run_mode(
    mode: Sequence[str],
    command: str,
    cwd: Optional[str],
    env: Optional[Mapping[str, str]],
    descriptors: Optional[Path],
    timeout: float,
    check: bool = True,
) -> Dict[str, Any]:
    env = dict(os.environ if env is None else env)
    scratch = None
    if "AIGES_LOG_FILE" not in env:  # never the image's /log/app on this machine
        scratch = tempfile.mkdtemp(prefix="gohost-run-")
        env["AIGES_LOG_FILE"] = os.path.join(scratch, "wrapper.log")
    try:
        return _run_in(mode, command, cwd, env, descriptors, timeout, check)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _run_in(
    mode: Sequence[str],
    command: str,
    cwd: Optional[str],
    env: Mapping[str, str],
    descriptors: Optional[Path],
    timeout: float,
    check: bool,
) -> Dict[str, Any]:
    proc = subprocess.Popen(
        _arguments(command, cwd, descriptors, False) + list(mode),
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: the host kills its plugin first (SIGKILL would orphan it)
        stdout, stderr = proc.communicate(timeout=30)
        raise GoHostError("gohost %s took more than %.0f s\n%s" % (mode[0], timeout, stderr)) from None
    try:
        result = json.loads(stdout)
    except ValueError:
        raise GoHostError(
            "gohost %s printed no JSON (status %d)\n%s%s" % (mode[0], proc.returncode, stdout, stderr)
        ) from None
    if proc.returncode != 0 and (check or "error" in result):
        raise GoHostError(
            "gohost %s failed (status %d): %s\n%s"
            % (mode[0], proc.returncode, result.get("error") or result.get("first_error"), stderr)
        )
    return result


def bench(
    command: str,
    cwd: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    count: int = 1000,
    size: int = 1024,
    warmup: int = 100,
    concurrency: int = 1,
    raw: bool = False,
    params: Optional[Mapping[str, str]] = None,
    config: Optional[Mapping[str, str]] = None,
    descriptors: Optional[Path] = None,
    timeout: float = 1800.0,
    check: bool = True,
    echo: bool = True,
) -> Dict[str, Any]:
    """``gohost bench``: once requests against an echo wrapper; count, seconds, rps, p50_ms, p99_ms, mean_ms...
    With ``check=False`` failed requests are reported (``errors``, ``first_error``) instead of raised.
    ``echo=False``: any successful result counts (``params`` make the wrapper answer other bytes)."""
    mode = (
        ["bench", "-count", str(count), "-size", str(size), "-warmup", str(warmup), "-concurrency", str(concurrency)]
        + (["-raw"] if raw else [])
        + ([] if echo else ["-any-result"])
    )
    mode += _pairs("-param", params) + _pairs("-config", config)
    return _run_mode(mode, command, cwd, env, descriptors, timeout, check)


def cold(
    command: str,
    cwd: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    runs: int = 5,
    config: Optional[Mapping[str, str]] = None,
    descriptors: Optional[Path] = None,
    timeout: float = 1800.0,
) -> Dict[str, Any]:
    """``gohost cold``: per-run handshake and first-result times (ms) and their medians."""
    mode = ["cold", "-runs", str(runs), *_pairs("-config", config)]
    return _run_mode(mode, command, cwd, env, descriptors, timeout)


def parallel(ops: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
    """A ``parallel`` operation: ``ops`` at the same time on the one connection."""
    return {"op": "parallel", "ops": list(ops)}
