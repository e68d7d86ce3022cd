"""``python -m aiges build``: build the plugin's athena_serving image with the Docker engine.

Why a command and not only ``docker build .``: it tags the image ``<serviceId>:<version>`` as read from
wrapper.py, labels it with schema.json's digest, can prepare a wheelhouse so the build runs with the
network off, shows the build as it happens and ends with the image size, and says plainly what went
wrong (no engine, a failing ``pip install``) instead of printing a stack trace.

Before it says "built" it proves the image (unless ``--no-verify``): in containers of the new image it
imports wrapper.py with the installed dependencies, runs the local run on the sample data, and, in grpc
mode, starts the rendered ``pythonPluginCmd`` with a go-plugin environment until it prints its handshake
line (in widgetpy mode, ``python3 -m python_wrapper.grpc_server`` until its readiness line). A dependency
missing from requirements.txt then fails the build, not the deployment.

The docker SDK is imported only here and only when a build runs (``pip install docker``); it drives the
classic builder, which is why the generated Dockerfile avoids BuildKit-only syntax.
"""

import argparse
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import IO, Any, Dict, List, Optional, Tuple

from aiges import loading, tomlcompat
from aiges import settings as project_settings
from aiges.errors import AigesError
from aiges.tools.render.names import default_tag
from aiges.tools.render.options import load_settings
from aiges.widgetpy.bridge import wrapper_for

EXIT_FAILED = 1
EXIT_CANNOT = 2  # cannot run at all: a missing dependency (as every command), a bad command line (argparse)
EXIT_NO_ENGINE = 3
WHEELHOUSE = "wheelhouse"
DEFAULT_PYTHON = "3.9"  # the official aiges images
DEFAULT_PLATFORM = "manylinux2014_x86_64"
LOADER_MODES = {"grpc": "python", "cgo": "c"}  # [tool.aiges] plugin_mode -> the loader's AIGES_PLUGIN_MODE
WIDGET_MODE = "py"  # plugin_mode "widgetpy": the v3 loader's WIDGET_PLUGIN_MODE
CLIENT_TIMEOUT = 3600  # seconds a silent build step (compiling a wheel) may take before the SDK gives up
_NOISE = re.compile(r"^( ---> Running in |Removing intermediate container )")  # classic-builder bookkeeping
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the classic builder paints a step's stderr red


class BuildError(Exception):
    """A build that cannot go on; the message is meant for a person."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass
class Plan:
    """Everything the build needs, worked out before the engine is contacted (so it can be shown/tested)."""

    root: str
    tag: str
    buildargs: Dict[str, str]
    base_image: Optional[str]
    nocache: bool
    offline: bool
    python_version: Optional[str]
    platforms: List[str]
    verify: bool = True
    plugin_cmd: Optional[str] = None  # [aiges].pythonPluginCmd of the rendered aiges.toml (grpc mode)
    widgetpy: bool = False  # plugin_mode "widgetpy": prove python3 -m python_wrapper.grpc_server starts

    @property
    def network_mode(self) -> Optional[str]:
        return "none" if self.offline else None

    @property
    def wheelhouse(self) -> str:
        return os.path.join(self.root, WHEELHOUSE)

    def describe(self) -> List[str]:
        lines = [
            f"context    {self.root}",
            f"tag        {self.tag}",
            f"base       {self.base_image or '(Dockerfile default)'}",
        ]
        lines += [f"build-arg  {key}={value}" for key, value in sorted(self.buildargs.items())]
        lines.append(f"network    {self.network_mode or 'default'}")
        if self.offline:
            python = self.python_version or "(from the base image)"
            lines.append(f"wheels     python {python}, {', '.join(self.platforms)} -> {self.wheelhouse}")
        if self.verify:
            steps = ["import wrapper.py", "local run"] + (["plugin handshake"] if self.plugin_cmd else [])
            steps += ["plugin readiness"] if self.widgetpy else []
            lines.append(f"verify     {', '.join(steps)}")
        return lines


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "project",
        nargs="?",
        default=".",
        help="project root (the folder with Dockerfile and wrapper/); default: current folder",
    )
    parser.add_argument("--tag", "-t", help="image tag (default: <serviceId>:<version> from wrapper.py)")
    parser.add_argument("--base-image", help="base image (default: BASE_IMAGE in the Dockerfile)")
    parser.add_argument(
        "--pip-index-url",
        default=None,
        help="index for requirements.txt; '' = the base image's configured index "
        "(default: PIP_INDEX_URL in the Dockerfile)",
    )
    parser.add_argument("--no-cache", action="store_true", help="rebuild every layer")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="download wheels into wheelhouse/ first, then build with the network disabled",
    )
    parser.add_argument(
        "--python-version",
        default=None,
        help="Python of the base image for --offline wheels (default: asked from the base image, "
        f"else {DEFAULT_PYTHON})",
    )
    parser.add_argument(
        "--platform",
        action="append",
        default=None,
        dest="platforms",
        help=f"wheel platform for --offline, repeatable (default: {DEFAULT_PLATFORM})",
    )
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="build even when schema.json/aiges.toml/xtest.toml are stale or the Dockerfile's loader "
        "mode or service section disagree with [tool.aiges]",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="do not prove the image in containers (import wrapper.py, local run, plugin handshake or readiness)",
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would be built and exit")


def main(args: argparse.Namespace) -> int:
    try:
        plan = make_plan(args)
        if args.dry_run:
            print("\n".join(plan.describe()))
            return 0
        client = connect()
        ensure_base_image(client, plan, sys.stderr)
        if plan.offline:
            prepare_wheelhouse(client, plan, sys.stderr)
        else:
            _warn_about_wheelhouse(plan, sys.stderr)
        _say(sys.stderr, f"building {plan.tag} from {plan.root}")
        image_id = build_image(client, plan, sys.stderr)
        if plan.verify:
            verify_image(client, plan, sys.stderr)
        print(summary(client, plan, image_id))
        print(deploy_line(plan))
        return 0
    except BuildError as error:
        print(f"python -m aiges build: {error}", file=sys.stderr)
        return error.code


# -- the plan --------------------------------------------------------------------------------------


def make_plan(args: argparse.Namespace) -> Plan:
    root = os.path.abspath(args.project)
    dockerfile = os.path.join(root, "Dockerfile")
    if not os.path.isfile(dockerfile):
        raise BuildError(f"no Dockerfile in {root} (run from the generated project's root or pass its path)")
    schema = os.path.join(root, "schema.json")
    if not os.path.isfile(schema):
        raise BuildError(f"no schema.json in {root}: run `python -m aiges render` first")
    service_id, version = read_project(root, dockerfile, not args.no_check, sys.stderr)
    buildargs = {"SCHEMA_DIGEST": schema_digest(schema)}
    if args.no_check:
        buildargs["AIGES_NO_CHECK"] = "1"  # the Dockerfile's own check of the rendered files
    if service_id:
        buildargs["SERVICE_ID"] = service_id
    if version:
        buildargs["SERVICE_VERSION"] = version
    if args.base_image:
        buildargs["BASE_IMAGE"] = args.base_image
    if args.pip_index_url is not None:
        buildargs["PIP_INDEX_URL"] = args.pip_index_url
    tag = args.tag or default_tag(service_id, version)
    if not tag:
        raise BuildError("cannot read serviceId/version from wrapper.py: pass --tag")
    base = args.base_image or dockerfile_arg_default(dockerfile, "BASE_IMAGE")
    return Plan(
        root,
        tag,
        buildargs,
        base,
        bool(args.no_cache),
        bool(args.offline),
        args.python_version,
        list(args.platforms or [DEFAULT_PLATFORM]),
        verify=not getattr(args, "no_verify", False),
        plugin_cmd=rendered_plugin_cmd(root),
        widgetpy=project_settings.plugin_mode(root) == "widgetpy",
    )


def rendered_plugin_cmd(root: str) -> Optional[str]:
    """``[aiges].pythonPluginCmd`` of the project's aiges.toml (None in cgo mode or without the file)."""

    try:
        document = tomlcompat.load_file(os.path.join(root, "aiges.toml"))
    except (OSError, ValueError):
        return None
    command = document.get("aiges", {}).get("pythonPluginCmd")
    return command if isinstance(command, str) and command.strip() else None


def read_project(root: str, dockerfile: str, verify: bool, out: IO[str]) -> Tuple[Optional[str], Optional[str]]:
    """``(serviceId, version)`` from wrapper.py, read by the render package (statically when it can).

    With ``verify`` it also refuses to build an image that would disagree with wrapper.py: stale
    schema.json/aiges.toml/xtest.toml (the gateway and the loader would see an old interface), or a
    Dockerfile whose loader mode or ``-s`` section no longer matches ``[tool.aiges]``.
    """
    try:
        from aiges.errors import (  # a runtime without the render package falls back to importing wrapper.py
            DeclarationError,
            DeclarationErrors,
        )
        from aiges.tools.render import (  # a runtime without the render package falls back to importing wrapper.py
            outputs,
            pipeline,
            reading,
            tomlout,
        )
    except ImportError:  # a runtime without the render package: import wrapper.py instead
        try:
            return _identity_from_import(loading.find_wrapper_file(root))
        except FileNotFoundError as error:
            raise BuildError(str(error)) from None
    try:
        located = pipeline.locate(root)
        if not verify:
            meta = reading.read_declarations(located.wrapper_file).declarations.meta
            return meta.service_id or None, meta.version or None
        try:
            rendered = pipeline.render(located)
        except tomlout.MissingDependency as missing:
            _say(out, f"note: cannot check that the rendered files are current ({missing})")
            meta = reading.read_declarations(located.wrapper_file).declarations.meta
        else:
            meta = rendered.reading.declarations.meta
            stale = outputs.changes(located.root, rendered.outputs, rendered.owned_dirs)
            if stale:
                raise BuildError(
                    "out of date with wrapper.py: %s; run `python -m aiges render` first (or pass "
                    "--no-check)" % ", ".join(change.path for change in stale)
                )
        _check_dockerfile(dockerfile, located.settings.plugin_mode, located.settings.service_section)
    except FileNotFoundError as error:
        raise BuildError(str(error)) from None
    except (DeclarationError, DeclarationErrors) as error:
        raise BuildError(
            f"wrapper.py or [tool.aiges] has problems (`python -m aiges check` shows them):\n{error}"
        ) from None
    return meta.service_id or None, meta.version or None


def _check_dockerfile(dockerfile: str, plugin_mode: str, service_section: str) -> None:
    """The Dockerfile is the user's to edit; make sure it still starts the loader the way the configs expect."""
    with open(dockerfile, encoding="utf-8") as source:
        text = source.read()
    widget_modes = re.findall(r"\bWIDGET_PLUGIN_MODE=\"?([A-Za-z]+)", text)
    if plugin_mode == "widgetpy" or widget_modes:
        if plugin_mode != "widgetpy" or not widget_modes or widget_modes[-1] != WIDGET_MODE:
            found = "WIDGET_PLUGIN_MODE=%s" % widget_modes[-1] if widget_modes else "no WIDGET_PLUGIN_MODE"
            raise BuildError(
                f"the Dockerfile sets {found} but [tool.aiges] plugin_mode is {plugin_mode!r} (plugin_mode "
                f'"widgetpy" goes with WIDGET_PLUGIN_MODE={WIDGET_MODE}, and only it): fix one of them, or pass '
                "--no-check"
            )
    expected_mode = LOADER_MODES.get(plugin_mode, plugin_mode)
    modes = re.findall(r"\bAIGES_PLUGIN_MODE=\"?([A-Za-z]+)", text)
    if modes and plugin_mode != "widgetpy" and modes[-1] != expected_mode:
        raise BuildError(
            f"the Dockerfile sets AIGES_PLUGIN_MODE={modes[-1]} but [tool.aiges] plugin_mode is "
            f"{plugin_mode!r} (the loader needs AIGES_PLUGIN_MODE={expected_mode}): fix one of them, "
            "or pass --no-check"
        )
    sections = re.findall(r"^CMD\s*\[.*\"-s=([^\"]+)\"", text, flags=re.M)
    if sections and sections[-1] != service_section:
        raise BuildError(
            f"the Dockerfile's CMD starts the loader with -s={sections[-1]} but aiges.toml names the "
            f"service section [{service_section}] ([tool.aiges] service_section): fix one of them, "
            "or pass --no-check"
        )


def _identity_from_import(wrapper_file: str) -> Tuple[Optional[str], Optional[str]]:
    """Import wrapper.py (needs its dependencies on this machine) and read the class attributes."""
    here = os.getcwd()
    try:
        cls, _ = loading.import_wrapper(wrapper_file, fallback=wrapper_for)
    except Exception as error:  # noqa: BLE001 - user code may raise anything at import
        raise BuildError(f"importing wrapper.py failed ({type(error).__name__}: {error}); pass --tag") from None
    finally:
        os.chdir(here)
    service_id, version = getattr(cls, "serviceId", None), getattr(cls, "version", None)
    return (str(service_id) if service_id else None, str(version) if version else None)


def schema_digest(path: str) -> str:
    with open(path, "rb") as schema:
        return "sha256:" + hashlib.sha256(schema.read()).hexdigest()


def dockerfile_arg_default(dockerfile: str, name: str) -> Optional[str]:
    """The default of ``ARG <name>=...`` (first occurrence), without quotes."""
    pattern = re.compile(rf"^\s*ARG\s+{re.escape(name)}\s*=\s*(\S*)\s*$", re.IGNORECASE)
    with open(dockerfile, encoding="utf-8") as lines:
        for line in lines:
            match = pattern.match(line)
            if match:
                return match.group(1).strip("\"'") or None
    return None


# -- the engine ------------------------------------------------------------------------------------


def connect() -> Any:
    """A docker SDK client for the engine in the environment (DOCKER_HOST or the default socket)."""
    try:
        import docker  # optional dependency: the docker SDK
        from docker.errors import DockerException  # optional (docker)
    except ImportError:
        raise BuildError("the docker SDK is not installed: pip install docker", EXIT_CANNOT) from None
    try:
        client = docker.from_env(timeout=CLIENT_TIMEOUT)
        client.ping()
    except DockerException as error:
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        raise BuildError(
            f"no Docker engine reachable at {where} ({_first_line(error)}).\n"
            "Start one (dockerd, Docker Desktop) or point DOCKER_HOST at it.",
            EXIT_NO_ENGINE,
        ) from None
    return client


def build_image(client: Any, plan: Plan, out: IO[str]) -> str:
    """Run the build, echoing the builder's steps and pip's output; returns the image id."""
    from docker.errors import APIError  # optional (docker)

    started = time.monotonic()
    image_id = None
    step = ""
    last_status: Dict[str, str] = {}
    colour = bool(getattr(out, "isatty", lambda: False)())
    context = build_context(plan)
    try:
        for chunk in client.api.build(
            fileobj=context,
            custom_context=True,
            tag=plan.tag,
            buildargs=plan.buildargs,
            nocache=plan.nocache,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            network_mode=plan.network_mode,
        ):
            if "error" in chunk:
                raise BuildError(_failure(str(chunk["error"]), step))
            if "stream" in chunk:
                text = str(chunk["stream"])
                if not colour:
                    text = _ANSI.sub("", text)
                if _NOISE.match(text):
                    continue
                if text.startswith("Step "):
                    step = text.strip()
                    text = f"[{time.monotonic() - started:6.1f}s] {text}"
                out.write(text)
                out.flush()
                match = re.match(r"Successfully built ([0-9a-f]+)", str(chunk["stream"]))
                if match:
                    image_id = match.group(1)
            elif "status" in chunk:  # pulling a missing base image
                key = str(chunk.get("id", ""))
                status = str(chunk["status"])
                if last_status.get(key) != status:
                    last_status[key] = status
                    out.write(f"{key} {status}\n" if key else status + "\n")
            elif "aux" in chunk and isinstance(chunk["aux"], dict) and chunk["aux"].get("ID"):
                image_id = str(chunk["aux"]["ID"])
    except APIError as error:
        raise BuildError(f"the engine refused the build: {_first_line(error)}") from None
    finally:
        context.close()
    if image_id is None:
        raise BuildError("the build ended without an image (see the output above)")
    return image_id


def build_context(plan: Plan) -> IO[bytes]:
    """The tar the engine builds from: the project minus .dockerignore, and minus wheelhouse/ unless offline.

    wheelhouse/ belongs to ``--offline``, which fills it afresh for the base image's Python; the
    Dockerfile installs from it alone (``--no-index``) whenever it holds wheels, so wheels left from an
    earlier offline build (other pins, another Python) would break a later online build. Left out,
    an online build always installs from the index.
    """
    from docker.utils import build as docker_build  # optional (docker)

    exclude: List[str] = []
    ignore_file = os.path.join(plan.root, ".dockerignore")
    if os.path.isfile(ignore_file):
        with open(ignore_file, encoding="utf-8") as lines:
            exclude = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not plan.offline:
        exclude += [WHEELHOUSE, f"{WHEELHOUSE}/**"]
    return docker_build.tar(plan.root, exclude=exclude)


def ensure_base_image(client: Any, plan: Plan, out: IO[str]) -> None:
    """Pull the base image when it is missing, so a failure names the image and how to choose another."""
    from docker.errors import APIError, ImageNotFound  # optional (docker)

    base = plan.buildargs.get("BASE_IMAGE") or plan.base_image
    if not base or "$" in base:
        return  # the builder resolves it
    try:
        client.images.get(base)
        return
    except ImageNotFound:
        pass
    except APIError as error:
        raise BuildError(f"the engine cannot look up the base image {base}: {_first_line(error)}") from None
    from docker.utils import parse_repository_tag  # optional (docker)

    _say(out, f"pulling the base image {base}")
    repository, tag = parse_repository_tag(base)
    last_status: Dict[str, str] = {}
    try:
        for chunk in client.api.pull(repository, tag=tag or "latest", stream=True, decode=True):
            if "error" in chunk:
                raise BuildError(base_image_problem(base, plan, str(chunk["error"]).strip()))
            key, status = str(chunk.get("id", "")), str(chunk.get("status", ""))
            if status and last_status.get(key) != status:
                last_status[key] = status
                out.write(f"{key} {status}\n" if key else status + "\n")
        client.images.get(base)
    except APIError as error:
        raise BuildError(base_image_problem(base, plan, _first_line(error))) from None


def base_image_problem(base: str, plan: Plan, reason: str) -> str:
    """Why the build cannot start, naming the image and the setting it came from."""
    if "BASE_IMAGE" in plan.buildargs:
        origin = "given with --base-image"
    else:
        origin = "ARG BASE_IMAGE in the Dockerfile (the template's base_image answer)"
    return (
        f"the base image {base} is not on this machine and cannot be pulled ({reason}).\n"
        f"  It is {origin}. Pull it yourself (`docker pull {base}`, after `docker login` for a private "
        "registry, or `docker load` from a file),\n  or build on another image: `python -m aiges build "
        "--base-image IMAGE`, or change ARG BASE_IMAGE in the Dockerfile for good."
    )


# -- proving the image ---------------------------------------------------------------------------

HANDSHAKE_TIMEOUT = 60.0  # go-plugin's own limit for the handshake
STEP_TIMEOUT = 600.0
_HANDSHAKE = re.compile(r"^1\|1\|(tcp\|127\.0\.0\.1:\d+|unix\|/\S+)\|grpc$")
# Run in the image by its python3 from /home/aiges, as the loader imports it: a missing module is named.
_IMPORT_PROBE = """\
import json, sys, traceback
sys.path.insert(0, "/home/aiges")
try:
    import wrapper
    if not hasattr(wrapper, "Wrapper"):  # a python_wrapper (WidgetPy) class serves instead, when there is one
        from aiges.widgetpy.bridge import first_new_api_class
        if first_new_api_class(wrapper) is None:
            wrapper.Wrapper
except ModuleNotFoundError as error:
    print(json.dumps({"missing": error.name, "error": str(error), "trace": traceback.format_exc()}))
except BaseException as error:
    print(json.dumps({"error": "%s: %s" % (type(error).__name__, error), "trace": traceback.format_exc()}))
else:
    print(json.dumps({}))
"""


def verify_image(client: Any, plan: Plan, out: IO[str]) -> None:
    """Prove the new image works before saying "built"; on failure the tag is removed and BuildError raised."""
    _say(out, f"verifying {plan.tag} in containers (skip with --no-verify)")
    steps = [("import wrapper.py", _verify_import), ("local run", _verify_local_run)]
    if plan.plugin_cmd:
        steps.append(("plugin handshake", _verify_handshake))
    if plan.widgetpy:
        steps.append(("plugin readiness", _verify_widgetpy))
    timings = []
    for name, step in steps:
        started = time.monotonic()
        try:
            detail = step(client, plan)
        except BuildError as error:
            _drop_tag(client, plan.tag)
            raise BuildError(
                f"the image does not work ({name}): {error}\n  ({plan.tag} was not kept; "
                "`--no-verify` skips this proof)"
            ) from None
        seconds = time.monotonic() - started
        timings.append(f"{name} {seconds:.1f} s")
        out.write(f"    {name:<18}{seconds:6.1f} s  {detail}\n")
        out.flush()
    _say(out, "verified: " + ", ".join(timings))


def _run(client: Any, plan: Plan, command: List[str], **options: Any) -> Tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``command`` in a fresh container of the new image, without network."""
    container = client.containers.run(plan.tag, command, detach=True, network_disabled=True, **options)
    try:
        try:
            result = container.wait(timeout=STEP_TIMEOUT)
        except Exception:  # noqa: BLE001 - the SDK raises the transport's timeout types
            raise BuildError(f"{' '.join(command[:3])} did not finish within {STEP_TIMEOUT:.0f} s") from None
        stdout = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
        stderr = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
        return int(result.get("StatusCode", -1)), stdout, stderr
    finally:
        container.remove(force=True)


def _verify_import(client: Any, plan: Plan) -> str:

    code, stdout, stderr = _run(client, plan, ["python3", "-c", _IMPORT_PROBE])
    try:
        found = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BuildError(f"python3 could not run the import check (exit {code}):\n{_tail(stdout + stderr)}") from None
    if found.get("missing"):
        raise BuildError(
            f"importing wrapper.py fails: no module named {found['missing']!r} in the image.\n"
            f"  Add the package that provides {found['missing']!r} to requirements.txt (pinned) and "
            f"build again.\n{_tail(found.get('trace', ''))}"
        )
    if found.get("error"):
        raise BuildError(f"importing wrapper.py fails: {found['error']}\n{_tail(found.get('trace', ''))}")
    return "with the image's python3 and installed packages"


def _verify_local_run(client: Any, plan: Plan) -> str:
    code, stdout, stderr = _run(client, plan, ["python3", "-m", "aiges", "run", "--no-output"])
    if code != 0:
        missing = re.search(r"No module named '([^']+)'", stdout + stderr)
        hint = (
            f"\n  Add the package that provides {missing.group(1)!r} to requirements.txt and build again."
            if missing
            else ""
        )
        raise BuildError(f"`python3 -m aiges run` fails in the image (exit {code}):\n{_tail(stderr + stdout)}{hint}")
    return "python3 -m aiges run on the sample data passed"


def _verify_handshake(client: Any, plan: Plan) -> str:
    """Start pythonPluginCmd as the loader does (bash -c, go-plugin environment) until its handshake line."""
    environment = {
        "BASIC_PLUGIN": "hello",
        "PLUGIN_PROTOCOL_VERSIONS": "1",
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
    }
    container = client.containers.run(
        plan.tag, ["bash", "-c", str(plan.plugin_cmd)], detach=True, network_disabled=True, environment=environment
    )
    try:
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        while True:
            container.reload()
            lines = container.logs(stdout=True, stderr=False).decode("utf-8", "replace").splitlines()
            if lines:
                break
            if container.status in ("exited", "dead"):
                stderr = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
                raise BuildError(f"pythonPluginCmd ({plan.plugin_cmd}) exited before its handshake:\n{_tail(stderr)}")
            if time.monotonic() > deadline:
                raise BuildError(
                    f"pythonPluginCmd ({plan.plugin_cmd}) printed no handshake within {HANDSHAKE_TIMEOUT:.0f} s"
                )
            time.sleep(0.1)
        if not _HANDSHAKE.match(lines[0].strip()):
            stderr = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            raise BuildError(
                f"pythonPluginCmd ({plan.plugin_cmd}) printed {lines[0]!r} where the loader expects "
                f"the go-plugin handshake (1|1|tcp|127.0.0.1:<port>|grpc):\n{_tail(stderr)}"
            )
        return f"bash -c {plan.plugin_cmd!r} answered {lines[0].strip()}"
    finally:
        container.remove(force=True)


WIDGETPY_SOCKET = "/tmp/aiges-py.sock"  # noqa: S108 - inside the throw-away container
WIDGETPY_COMMAND = ["python3", "-m", "python_wrapper.grpc_server", "--module", "wrapper", "--sock", WIDGETPY_SOCKET]


def _verify_widgetpy(client: Any, plan: Plan) -> str:
    """Start the WidgetPy server as the v3 loader's documented command does, until its readiness line."""
    container = client.containers.run(plan.tag, WIDGETPY_COMMAND, detach=True, network_disabled=True)
    ready = "AIGES_PY_READY unix:" + WIDGETPY_SOCKET
    shown = " ".join(WIDGETPY_COMMAND)
    try:
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        while True:
            container.reload()
            lines = container.logs(stdout=True, stderr=False).decode("utf-8", "replace").splitlines()
            if ready in (line.strip() for line in lines):
                return f"{shown} answered {ready}"
            if container.status in ("exited", "dead"):
                stderr = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
                raise BuildError(f"{shown} exited before its readiness line:\n{_tail(stderr)}")
            if time.monotonic() > deadline:
                raise BuildError(f"{shown} printed no readiness line within {HANDSHAKE_TIMEOUT:.0f} s")
            time.sleep(0.1)
    finally:
        container.remove(force=True)


def _drop_tag(client: Any, tag: str) -> None:
    try:
        client.images.remove(tag)
    except Exception:  # noqa: BLE001, S110 - already gone or still used: nothing else to do
        pass


def _tail(text: str, lines: int = 15) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join("  | " + line for line in kept)


def _failure(error: str, step: str) -> str:
    """Name the failing step briefly; the builder's own message repeats the whole RUN line."""
    code = re.search(r"returned a non-zero code: (\d+)", error)
    if code and step:
        shown = step if len(step) <= 100 else step[:97] + "..."
        return f"the build failed at {shown}\n  (exit code {code.group(1)}; its output is above)"
    return f"the build failed: {error.strip()}"


def summary(client: Any, plan: Plan, image_id: str) -> str:
    """One line for the person: tag, id, size, and how much the plugin adds above the base."""
    image = client.images.get(plan.tag)
    size = int(image.attrs.get("Size") or 0)
    text = f"built {plan.tag} ({image.short_id}, {human_size(size)}"
    base = plan.buildargs.get("BASE_IMAGE") or plan.base_image
    if base:
        try:
            base_size = int(client.images.get(base).attrs.get("Size") or 0)
            text += f", {human_size(size - base_size)} above {base}"
        except Exception:  # noqa: BLE001, S110 - the size above the base is a nicety
            pass
    return text + ")"


def deploy_line(plan: Plan) -> str:
    """The image to put in deploy/k8s, and whether the rendered manifests already name it."""

    try:
        settings = load_settings(plan.root)
    except AigesError:  # a bad [tool.aiges]: the check before the build has said so already
        return f"image      {plan.tag}"
    named = settings.image or default_tag(plan.buildargs.get("SERVICE_ID"), plan.buildargs.get("SERVICE_VERSION"))
    if not settings.k8s or named == plan.tag:
        return f"image      {plan.tag}" + ("  (deploy/k8s/deployment.yaml runs it)" if settings.k8s else "")
    return (
        f"image      {plan.tag}  (deploy/k8s/deployment.yaml runs {named}: set [tool.aiges] image = "
        f'"{plan.tag}" and run `python -m aiges render`)'
    )


def human_size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.0f} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000.0
    return f"{size:.1f} GB"  # pragma: no cover


# -- offline builds --------------------------------------------------------------------------------


def prepare_wheelhouse(client: Any, plan: Plan, out: IO[str]) -> None:
    """Fill wheelhouse/ with wheels for the base image's Python and platform, so no network is needed."""
    requirements = os.path.join(plan.root, "requirements.txt")
    os.makedirs(plan.wheelhouse, exist_ok=True)
    for name in os.listdir(plan.wheelhouse):  # wheels for another Python or old pins would be used blindly
        if name.endswith(".whl"):
            os.remove(os.path.join(plan.wheelhouse, name))
    if not _has_requirements(requirements):
        _say(out, "requirements.txt lists nothing: no wheels to download")
        return
    version = plan.python_version or base_python_version(client, plan.base_image) or DEFAULT_PYTHON
    targeted = requirements_for(requirements, version, plan.platforms)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--python-version",
        version,
        "--dest",
        plan.wheelhouse,
        "--requirement",
        targeted,
    ]
    for platform in plan.platforms:
        command += ["--platform", platform]
    index = plan.buildargs.get("PIP_INDEX_URL")
    if index:
        command += ["--index-url", index]
    _say(out, f"downloading wheels for Python {version} ({', '.join(plan.platforms)}) into {WHEELHOUSE}")
    try:
        result = subprocess.run(command, stdout=out, stderr=out, check=False)
    finally:
        os.remove(targeted)
    if result.returncode != 0:
        raise BuildError(
            f"pip download failed (exit {result.returncode}, see above): every requirement needs "
            f"a wheel for Python {version} on {', '.join(plan.platforms)}"
        )
    count = len([name for name in os.listdir(plan.wheelhouse) if name.endswith(".whl")])
    _say(out, f"{count} wheels in {WHEELHOUSE}/; building with the network disabled")


def requirements_for(path: str, version: str, platforms: List[str]) -> str:
    """A temporary copy of requirements.txt with its environment markers decided for the image's Python.

    ``pip download --python-version`` picks wheels for that version but judges markers such as
    ``python_version < "3.11"`` by the Python running pip, so a 3.11 machine would skip tomli that a
    3.9 image needs (and the offline build would then fail). Lines whose marker holds for the image
    are kept without it, the others dropped; option lines are kept as they are.
    """

    environment = _marker_environment(version, platforms)
    kept = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            text = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not text or text.startswith("-") or ";" not in text:
                kept.append(text)
                continue
            requirement, marker = text.split(";", 1)
            if _marker_holds(marker.strip(), environment, path):
                kept.append(requirement.strip())
    handle, temporary = tempfile.mkstemp(prefix="aiges-requirements-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as target:
        target.write("\n".join(line for line in kept if line) + "\n")
    return temporary


def _marker_environment(version: str, platforms: List[str]) -> Dict[str, str]:
    machine = "aarch64" if any("aarch64" in platform for platform in platforms) else "x86_64"
    return {
        "python_version": version,
        "python_full_version": version + ".0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
    }


def _marker_holds(marker: str, environment: Dict[str, str], path: str) -> bool:
    try:
        from packaging.markers import InvalidMarker, Marker  # optional: packaging, else pip's vendored copy
    except ImportError:  # pip always carries a copy
        from pip._vendor.packaging.markers import InvalidMarker, Marker  # optional: pip's vendored packaging
    try:
        return bool(Marker(marker).evaluate(environment))
    except InvalidMarker as error:
        raise BuildError(f"{path}: cannot read the environment marker {marker!r}: {error}") from None


def base_python_version(client: Any, base_image: Optional[str]) -> Optional[str]:
    """``major.minor`` of ``python3`` in the base image, if that image is present locally."""
    if not base_image:
        return None
    try:
        client.images.get(base_image)
        probe = ["python3", "-c", "import sys; print('.'.join(map(str, sys.version_info[:2])))"]
        output = client.containers.run(base_image, probe, remove=True, network_disabled=True, entrypoint=[])
    except Exception:  # noqa: BLE001 - not present or no python3: use the other sources
        return None
    text = output.decode("utf-8", "replace").strip() if isinstance(output, bytes) else str(output).strip()
    return text if re.match(r"^\d+\.\d+$", text) else None


def _has_requirements(path: str) -> bool:
    if not os.path.isfile(path):
        raise BuildError(
            f"no requirements.txt in {os.path.dirname(path)} (the Dockerfile installs it; it may be empty)"
        )
    with open(path, encoding="utf-8") as lines:
        return any(line.split("#", 1)[0].strip() for line in lines)


def _warn_about_wheelhouse(plan: Plan, out: IO[str]) -> None:
    if os.path.isdir(plan.wheelhouse) and any(name.endswith(".whl") for name in os.listdir(plan.wheelhouse)):
        _say(
            out,
            f"note: {WHEELHOUSE}/ has wheels from an offline build; this build leaves them out and installs "
            "requirements from the index (--offline uses them)",
        )


def _say(out: IO[str], message: str) -> None:
    out.write(f"==> {message}\n")
    out.flush()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
