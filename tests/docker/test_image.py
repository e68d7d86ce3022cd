"""Generated projects build into images that work, proven with a real engine (marker ``docker``).

The base is a stand-in (Debian bullseye, CPython 3.9, no AIservice): these tests prove the build
mechanics and the packaging of wrapper.py and the runtime, by running the local debug run and, in
grpc mode, the plugin server inside the container against this test's fake loader (in widgetpy mode, the WidgetPy
server started and called inside the container).
"""

import hashlib
import itertools
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, NamedTuple

import pytest

from tests.conftest import runtime_env
from tests.docker import support
from tests.grpc import loaderlog
from tests.render.consistency import tomllib

pytestmark = [pytest.mark.docker, pytest.mark.slow]
MODES = list(itertools.product(support.PLUGIN_MODES, support.SESSION_MODES))
FAKE_HOST = Path(__file__).with_name("fake_host.py")


class Built(NamedTuple):
    tag: str
    project: Path
    plugin_mode: str
    session_mode: str
    log: str


def build(project: Path, base: str, tag: str, *extra: str) -> subprocess.CompletedProcess:
    return support.aiges_cli(project, "build", "--base-image", base, "--tag", tag, *extra)


@pytest.fixture(scope="module", params=MODES, ids=[f"{mode}-{session}" for mode, session in MODES])
def image(request: pytest.FixtureRequest, docker_engine: str, bake_variant: Any, image_cleanup: Any) -> Built:
    mode, session = request.param
    project = bake_variant(plugin_mode=mode, session_mode=session)
    tag = image_cleanup(support.test_tag(f"{mode}-{session}"))
    done = build(project, docker_engine, tag)
    assert done.returncode == 0, f"build failed:\n{done.stderr[-6000:]}"
    return Built(tag, project, mode, session, done.stdout + done.stderr)


def test_build_ends_with_the_image_and_its_size(image: Built) -> None:
    assert re.search(
        rf"built {re.escape(image.tag)} \(\w+:[0-9a-f]+, [\d.]+ [kMG]?B, [-\d.]+ [kMG]?B above ", image.log
    ), image.log[-2000:]


def test_build_names_the_image_to_put_in_deploy_k8s(image: Built) -> None:
    """The last line: the built tag, and (the test tag not being <serviceId>:<version>) what to set."""
    line = f"image      {image.tag}  (deploy/k8s/deployment.yaml runs aiges_demo:v1: set [tool.aiges] image = "
    assert line in image.log, image.log[-2000:]


def test_build_proves_the_image_before_it_says_built(image: Built) -> None:
    server_step = {"grpc": ["plugin handshake"], "widgetpy": ["plugin readiness"]}.get(image.plugin_mode, [])
    steps = ["import wrapper.py", "local run", *server_step]
    verified = re.search(r"==> verified: (.*)", image.log)
    assert verified, image.log[-3000:]
    assert re.fullmatch(", ".join(re.escape(step) + r" [\d.]+ s" for step in steps), verified.group(1))
    if image.plugin_mode == "grpc":
        assert re.search(r"plugin handshake .* answered 1\|1\|unix\|/\S+/plugin\.sock\|grpc", image.log)
    if image.plugin_mode == "widgetpy":
        assert "plugin readiness" in image.log and "answered AIGES_PY_READY unix:/tmp/aiges-py.sock" in image.log


def test_plugin_sits_in_the_loaders_working_directory(image: Built) -> None:
    attrs = support.client().images.get(image.tag).attrs["Config"]
    env = dict(item.split("=", 1) for item in attrs["Env"])
    assert attrs["WorkingDir"] == "/home/aiges"
    if image.plugin_mode == "widgetpy":
        assert env["WIDGET_PLUGIN_MODE"] == "py"
    else:
        assert env["AIGES_PLUGIN_MODE"] == {"grpc": "python", "cgo": "c"}[image.plugin_mode]
    assert env["PYTHONPATH"] == "/home/aiges"
    assert attrs["Cmd"][:3] == ["./AIservice", "-m=0", "-c=aiges.toml"]
    probe = (
        "import aiges, hashlib, json, os, wrapper; "
        "print(aiges.__file__, wrapper.__file__); "
        "print(hashlib.sha256(open('schema.json','rb').read()).hexdigest()); "
        "print(json.dumps(sorted(os.listdir('.')))); print(json.dumps(sorted(os.listdir('log'))))"
    )
    code, output = support.run_in_image(image.tag, ["python3", "-c", probe])
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "/home/aiges/aiges/__init__.py /home/aiges/wrapper.py"
    assert "sha256:" + lines[1] == support.sha256_file(image.project / "schema.json")
    listing = json.loads(lines[2])
    for name in ("aiges", "aiges.toml", "xtest.toml", "schema.json", "wrapper.py", "test_data", "log"):
        assert name in listing
    assert not {"requirements.txt", "tests", "Dockerfile", "pyproject.toml"} & set(listing), listing
    assert {"server", "app"} <= set(json.loads(lines[3]))


def test_labels_name_service_version_and_schema(image: Built) -> None:
    labels = support.client().images.get(image.tag).labels
    schema = json.loads((image.project / "schema.json").read_text(encoding="utf-8"))
    digest = "sha256:" + hashlib.sha256((image.project / "schema.json").read_bytes()).hexdigest()
    assert labels["aiges.schema.sha256"] == digest
    assert labels["aiges.plugin.mode"] == image.plugin_mode
    meta = schema.get("meta", {})
    if meta.get("serviceId"):
        assert labels["aiges.service.id"] == meta["serviceId"]
    if meta.get("version"):
        assert labels["aiges.service.version"] == meta["version"]


def test_local_debug_run_passes_inside_the_image(image: Built) -> None:
    emulate = "cgo" if image.plugin_mode == "cgo" else "grpc"
    code, output = support.run_in_image(
        image.tag, ["python3", "-m", "aiges", "run", "--emulate", emulate], network_disabled=True
    )
    assert code == 0, output
    assert "verified" in output, output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


GRPC_MODES = [(mode, session) for mode, session in MODES if mode == "grpc"]  # cgo: libwrapper.so in AIservice


def start_over_tcp(image: Built, **environment: str) -> Any:
    """The plugin as AIservice starts it: bash -c <[aiges].pythonPluginCmd> in /home/aiges, the image's
    working directory; on TCP, since the default unix socket would be inside the container's /tmp."""
    port = free_port()
    plugin_cmd = tomllib.loads((image.project / "aiges.toml").read_text(encoding="utf-8"))["aiges"]["pythonPluginCmd"]
    return support.client().containers.run(
        image.tag,
        ["bash", "-c", plugin_cmd],
        detach=True,
        network_mode="host",
        environment={
            "BASIC_PLUGIN": "hello",
            "PLUGIN_MIN_PORT": str(port),
            "PLUGIN_MAX_PORT": str(port),
            "PLUGIN_PROTOCOL_VERSIONS": "1",
            "AIGES_LISTEN": "tcp",
            **environment,
        },
    )


def drive(image: Built, container: Any) -> Dict[str, Any]:
    """The fake loader's report of init, schema and requests against the container's plugin."""
    handshake = first_stdout_line(container)
    logs = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    assert handshake, f"no go-plugin handshake on stdout:\n{logs}"
    match = re.match(r"^1\|1\|tcp\|(127\.0\.0\.1:\d+)\|grpc$", handshake)
    assert match, f"bad handshake {handshake!r}"
    args = [sys.executable, str(FAKE_HOST), "--project", str(image.project), "--address", match.group(1)]
    if image.session_mode == "stream":
        args.append("--session")
    host = subprocess.run(args, capture_output=True, text=True, timeout=180, env=runtime_env(), check=False)
    logs = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    assert host.returncode == 0, f"fake loader:\n{host.stdout}\n{host.stderr}\nplugin:\n{logs[-4000:]}"
    report: Dict[str, Any] = json.loads(host.stdout)
    assert report["health"] == 1 and report["init"] == 0  # SERVING, wrapperInit ok
    return report


@pytest.mark.parametrize("image", GRPC_MODES, ids=[f"{mode}-{session}" for mode, session in GRPC_MODES], indirect=True)
def test_grpc_plugin_server_answers_the_loader(image: Built) -> None:
    container = start_over_tcp(image)
    try:
        report = drive(image, container)
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        assert (
            report["schema_service_id"] == json.loads((image.project / "schema.json").read_bytes())["meta"]["serviceId"]
        )
        last = report["results"][-1]
        assert last["ret"] == 0 and last["list"], report
        if image.session_mode == "stream":
            assert report["create_err"] == 0 and set(report["write"]) == {0} and report["destroy"] == 0, report
            assert any(node["status"] == 2 for node in last["list"]), "a session ends with status End (2)"
        else:
            assert all(node["status"] == 3 for node in last["list"]), "a once result has status Once (3)"
        # what the loader's log shows of the plugin (go-plugin's rules; a line that would crash it raises)
        shown = loaderlog.visible(container.logs(stdout=False, stderr=True), "info")
        assert loaderlog.search(shown, "wrapperInit succeeded"), logs[-4000:]
        code, _ = container.exec_run(["test", "-s", "/log/app/wrapper.log"])
        assert code == 0, "the plugin writes the vendor's log file, /log/app/wrapper.log, in the image"
    finally:
        container.remove(force=True)


@pytest.mark.parametrize("image", [("grpc", "once")], ids=["grpc-once"], indirect=True)
def test_process_workers_serve_in_the_image_and_stop_with_the_container(image: Built) -> None:
    """``AIGES_PROCESSES=2`` in the image: two worker processes, each with its own wrapperInit (their
    records reach the loader's log with their process id), answer the requests, and a stop ends them all."""
    container = start_over_tcp(image, AIGES_PROCESSES="2")
    try:
        report = drive(image, container)
        assert report["results"] and all(result["ret"] == 0 for result in report["results"]), report
        shown = loaderlog.visible(container.logs(stdout=False, stderr=True), "info")
        initialised = loaderlog.search(shown, "wrapperInit succeeded")
        assert len({entry.fields.get("worker_pid") for entry in initialised} - {None}) == 2, initialised
        container.stop(timeout=10)
        container.reload()
        assert container.attrs["State"]["ExitCode"] == 0, container.logs().decode("utf-8", "replace")[-4000:]
    finally:
        container.remove(force=True)


def first_stdout_line(container: Any, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        lines = container.logs(stdout=True, stderr=False).decode("utf-8", "replace").splitlines()
        if lines:
            return lines[0]
        if container.status == "exited":
            break
        time.sleep(0.2)
    return ""


@pytest.mark.parametrize("image", [("grpc", "once")], ids=["grpc-once"], indirect=True)
def test_grpc_plugin_server_answers_over_its_default_unix_socket(image: Built, tmp_path: Path) -> None:
    """No network at all: the socket's private directory is made under TMPDIR, here a folder shared
    with this test, and removed when the container is stopped (SIGTERM)."""
    shared = tmp_path / "sockets"
    shared.mkdir()
    shared.chmod(0o1777)  # the image's user creates its private directory in it
    plugin_cmd = tomllib.loads((image.project / "aiges.toml").read_text(encoding="utf-8"))["aiges"]["pythonPluginCmd"]
    container = support.client().containers.run(
        image.tag,
        ["bash", "-c", plugin_cmd],
        detach=True,
        network_mode="none",
        volumes={str(shared): {"bind": "/sockets", "mode": "rw"}},
        environment={"BASIC_PLUGIN": "hello", "PLUGIN_PROTOCOL_VERSIONS": "1", "TMPDIR": "/sockets"},
    )
    try:
        handshake = first_stdout_line(container)
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        match = re.match(r"^1\|1\|unix\|/sockets/(aiges-[0-9a-f]+)/plugin\.sock\|grpc$", handshake)
        assert match, f"bad handshake {handshake!r}:\n{logs}"
        directory = shared / match.group(1)
        assert (directory.stat().st_mode & 0o777) == 0o700
        args = [
            sys.executable,
            str(FAKE_HOST),
            "--project",
            str(image.project),
            "--address",
            f"unix:{directory / 'plugin.sock'}",
        ]
        host = subprocess.run(args, capture_output=True, text=True, timeout=180, env=runtime_env(), check=False)
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        assert host.returncode == 0, f"fake loader:\n{host.stdout}\n{host.stderr}\nplugin:\n{logs[-4000:]}"
        report: Dict[str, Any] = json.loads(host.stdout)
        assert report["init"] == 0 and report["results"][-1]["ret"] == 0, report
        container.stop(timeout=5)
        assert not directory.exists(), "the socket's directory outlived the plugin"
    finally:
        container.remove(force=True)


# -- rebuilds, failures and offline builds (one variant is enough) ----------------------------------


@pytest.fixture
def grpc_project(bake_variant: Any, tmp_path: Path) -> Path:
    project = support.copy_project(bake_variant(plugin_mode="grpc", session_mode="once"), tmp_path / "project")
    return support.make_private(project)


def pip_layer(tag: str) -> str:
    for layer in support.client().images.get(tag).history():
        if "pip install" in layer.get("CreatedBy", ""):
            return str(layer["Id"])
    raise AssertionError(f"no pip layer in {tag}")


def test_editing_wrapper_py_reuses_the_dependency_layer(
    docker_engine: str, grpc_project: Path, image_cleanup: Any
) -> None:
    first = image_cleanup(support.test_tag("edit-1"))
    second = image_cleanup(support.test_tag("edit-2"))
    done = build(grpc_project, docker_engine, first)
    assert done.returncode == 0, done.stderr[-4000:]
    with open(grpc_project / "wrapper" / "wrapper.py", "a", encoding="utf-8") as source:
        source.write("\n# edited: only the plugin code changes\n")
    done = build(grpc_project, docker_engine, second)
    assert done.returncode == 0, done.stderr[-4000:]
    pip_step = re.search(r"Step \d+/\d+ : RUN .*?python3 -m pip install.*?\n(.*?)\n", done.stderr)
    assert pip_step and pip_step.group(1).strip() == "---> Using cache", done.stderr[-4000:]
    wrapper_step = re.search(r"Step \d+/\d+ : COPY wrapper /home/aiges/\n(.*?)\n", done.stderr)
    assert wrapper_step and "Using cache" not in wrapper_step.group(1), "the edited wrapper must be copied again"
    assert pip_layer(first) == pip_layer(second)
    assert support.client().images.get(first).id != support.client().images.get(second).id


def test_uninstallable_requirements_fail_the_build_with_pips_message(
    docker_engine: str, grpc_project: Path, image_cleanup: Any
) -> None:
    with open(grpc_project / "requirements.txt", "a", encoding="utf-8") as requirements:
        requirements.write("\naiges-test-no-such-package==0.0.1\n")
    done = build(grpc_project, docker_engine, image_cleanup(support.test_tag("unbuildable")))
    support.remove_failed_build(done.stderr)
    assert done.returncode == 1
    assert "No matching distribution found for aiges-test-no-such-package==0.0.1" in done.stderr
    assert "the build failed at Step" in done.stderr and "pip install" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_dependency_missing_from_requirements_fails_the_build_naming_module_and_fix(
    docker_engine: str, grpc_project: Path, image_cleanup: Any
) -> None:
    wrapper = grpc_project / "wrapper" / "wrapper.py"
    source = wrapper.read_text(encoding="utf-8")
    missing = "from typing import Any\nimport aiges_test_missing_dependency  # noqa\n"
    wrapper.write_text(source.replace("from typing import Any\n", missing, 1), encoding="utf-8")
    tag = image_cleanup(support.test_tag("missing-dependency"))
    done = build(grpc_project, docker_engine, tag)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "the image does not work (import wrapper.py)" in done.stderr
    assert "no module named 'aiges_test_missing_dependency'" in done.stderr
    assert "to requirements.txt" in done.stderr and "Traceback" not in done.stderr.split("the image does not")[0]
    assert f"built {tag}" not in done.stdout + done.stderr
    with pytest.raises(Exception, match=r"No such image|not found"):
        support.client().images.get(tag)  # a failed proof leaves no image that looks fine

    skipped = build(grpc_project, docker_engine, tag, "--no-verify")
    assert skipped.returncode == 0, skipped.stderr[-3000:]
    assert "==> verifying" not in skipped.stderr and f"built {tag}" in skipped.stdout


def test_offline_build_installs_from_the_wheelhouse_with_the_network_off(
    docker_engine: str, grpc_project: Path, image_cleanup: Any
) -> None:
    tag = image_cleanup(support.test_tag("offline"))
    done = build(grpc_project, docker_engine, tag, "--offline", "--no-cache")
    assert done.returncode == 0, done.stderr[-6000:]
    assert "building with the network disabled" in done.stderr
    wheels = sorted(path.name for path in (grpc_project / "wheelhouse").glob("*.whl"))
    requirements = [
        line.split("#")[0].strip()
        for line in (grpc_project / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    if any(requirements):
        assert wheels, "requirements.txt lists packages, so wheels must have been downloaded"
        assert "Looking in links: /tmp/aiges-requirements" in done.stderr, "pip must install from the wheels"
    code, output = support.run_in_image(
        tag, ["python3", "-m", "aiges", "run", "--emulate", "grpc"], network_disabled=True
    )
    assert code == 0, output


WIDGETPY_MODES = [(mode, session) for mode, session in MODES if mode == "widgetpy"]
# Run in the image: start the WidgetPy server as the v3 loader's documented command does, call it over its unix
# socket with the runtime's own HTTP/2 client (the image has no grpcio), stop it with SIGTERM.
WIDGETPY_DRIVER = r"""
import json, signal, subprocess, sys
from aiges.grpc.h2.client import UnaryClient
from aiges.widgetpy import messages

session = sys.argv[1] == "stream"
sock = "/tmp/loader/plugin.sock"
subprocess.run(["mkdir", "-p", "/tmp/loader"], check=True)
server = subprocess.Popen(
    ["python3", "-m", "python_wrapper.grpc_server", "--module", "wrapper", "--sock", sock],
    stdout=subprocess.PIPE, text=True,
)
ready = server.stdout.readline().strip()
client = UnaryClient(sock)

def call(rpc, request_name, response_name, **fields):
    request = messages.message(request_name)(**fields).SerializeToString()
    data = client.call("/aiges.wrapper.WrapperService/" + rpc, request)
    return messages.message(response_name).FromString(data)

sample = open("test_data/sample.txt", "rb").read()
config = {"max_chars": "1000000", "max_sessions": "4"}
answers = {"ready": ready, "init": call("Init", "InitRequest", "InitResponse", cfg=config).err_code}
if session:
    handle = call("Create", "CreateRequest", "CreateResponse", usr_tag="sid-1", params={"sid": "sid-1"}).handle
    frame = {"key": "text", "data": sample, "status": 2}
    write = call("Write", "WriteRequest", "ErrorResponse", handle=handle, data_list=[frame])
    read = call("Read", "ReadRequest", "ReadResponse", handle=handle)
    answers.update(write=write.err_code, code=read.err_code, items=[[i.key, i.status] for i in read.data_list])
else:
    item = {"key": "text", "data": sample, "status": 3}
    done = call("Exec", "ExecRequest", "ExecResponse", usr_tag="t1", data_list=[item])
    answers.update(code=done.err_code, items=[[i.key, i.status] for i in done.data_list])
client.close()
server.send_signal(signal.SIGTERM)
answers["exit"] = server.wait(timeout=30)
print(json.dumps(answers))
"""


@pytest.mark.parametrize(
    "image", WIDGETPY_MODES, ids=[f"{mode}-{session}" for mode, session in WIDGETPY_MODES], indirect=True
)
def test_widgetpy_plugin_server_answers_in_the_image(image: Built) -> None:
    code, output = support.run_in_image(
        image.tag, ["python3", "-c", WIDGETPY_DRIVER, image.session_mode], network_disabled=True
    )
    assert code == 0, output
    answers = json.loads(output.strip().splitlines()[-1])
    assert answers["ready"] == "AIGES_PY_READY unix:/tmp/loader/plugin.sock"
    assert (answers["init"], answers["code"], answers["exit"]) == (0, 0, 0), answers
    assert answers["items"] == [["result", 2 if image.session_mode == "stream" else 3]], answers


def test_a_python_wrapper_wrapper_builds_and_serves(
    docker_engine: str, bake_variant: Any, image_cleanup: Any, tmp_path: Path
) -> None:
    """A wrapper written for the vendor's python_wrapper API (with the aiges declarations the tools read) in a
    widgetpy project: the build's proof (import, local run, readiness) passes and the image serves it."""
    project = support.copy_project(bake_variant(plugin_mode="widgetpy", session_mode="once"), tmp_path / "project")
    (project / "wrapper" / "textstats.py").unlink()
    source = Path(__file__).resolve().parent.parent / "widgetpy" / "wrappers" / "declared_wrapper.py"
    (project / "wrapper" / "wrapper.py").write_bytes(source.read_bytes())
    rendered = support.aiges_cli(project, "render")
    assert rendered.returncode == 0, rendered.stderr
    tag = image_cleanup(support.test_tag("widgetpy-new-api"))
    done = build(project, docker_engine, tag)
    assert done.returncode == 0, f"build failed:\n{done.stderr[-6000:]}"
    assert "plugin readiness" in done.stdout + done.stderr
    code, output = support.run_in_image(tag, ["python3", "-c", WIDGETPY_DRIVER, "once"], network_disabled=True)
    assert code == 0, output
    answers = json.loads(output.strip().splitlines()[-1])
    assert (answers["init"], answers["code"], answers["items"], answers["exit"]) == (0, 0, [["result", 3]], 0)
