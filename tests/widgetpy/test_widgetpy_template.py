"""The template's own stubs (old API), baked with plugin_mode = "widgetpy", served over WidgetPy.

Each bake is a real cookiecutter run of this repository; the server is started in the project's ``wrapper/``
folder exactly as the Dockerfile's loader starts it (``python3 -m python_wrapper.grpc_server --module wrapper``),
with the project's own runtime and python_wrapper package and the rendered aiges.toml's ``[wrapper]`` as Init's cfg.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aiges import tomlcompat
from aiges.widgetpy import messages
from fakeloader import FakeLoader
from widgetpy_support import *  # noqa: F403 - its fixtures (a conftest here would shadow tests/grpc's)
from widgetpy_support import REPO, plugin_env

SAMPLES = {"text": "sample.txt", "image": "sample.png", "audio": "sample.wav"}


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    made = {}

    def bake(example, session_mode):
        key = (example, session_mode)
        if key not in made:
            out = tmp_path_factory.mktemp("bake")
            from cookiecutter.main import cookiecutter

            context = {"plugin_mode": "widgetpy", "example": example, "session_mode": session_mode}
            made[key] = Path(cookiecutter(str(REPO), no_input=True, output_dir=str(out), extra_context=context))
        return made[key]

    return bake


def msg(name, **fields):
    return messages.message(name)(**fields).SerializeToString()


def parse(name, data):
    return messages.message(name).FromString(data)


def wrapper_config(project):
    return {key: str(value) for key, value in tomlcompat.load_file(str(project / "aiges.toml"))["wrapper"].items()}


def serve(running, project, *args):
    env = plugin_env("ours")
    env.pop("PYTHONPATH")  # the project's own runtime and python_wrapper, found from its wrapper/ folder
    return running("ours", project / "wrapper", args=list(args), env=env, sock=str(project / "plugin.sock"))


@pytest.mark.parametrize("example", ["text", "image", "audio"])
def test_the_once_stub_answers_the_sample(baked, running, example):
    project = baked(example, "once")
    assert 'plugin_mode = "widgetpy"' in (project / "pyproject.toml").read_text()
    assert "ENV WIDGET_PLUGIN_MODE=py" in (project / "Dockerfile").read_text()
    assert "pythonPluginCmd" not in (project / "aiges.toml").read_text()
    plugin = serve(running, project)
    assert plugin.call("Init", msg("InitRequest", cfg=wrapper_config(project))).data == b""
    sample = (project / "wrapper" / "test_data" / SAMPLES[example]).read_bytes()
    answer = parse(
        "ExecResponse",
        plugin.call(
            "Exec", msg("ExecRequest", usr_tag="t1", data_list=[{"key": example, "data": sample, "status": 3}])
        ).data,
    )
    assert answer.err_code == 0, answer.err_msg
    [result] = answer.data_list
    assert (result.key, result.status) == ("result", 3)
    assert isinstance(json.loads(result.data), dict)
    missing = parse("ExecResponse", plugin.call("Exec", msg("ExecRequest", usr_tag="t2")).data)
    assert (missing.err_code, missing.err_msg) == (1002, "the request carries no input data")
    assert plugin.stop() == 0


def test_a_bad_param_carries_the_wrappers_error_text(baked, running):
    project = baked("text", "once")
    plugin = serve(running, project)
    plugin.call("Init", msg("InitRequest", cfg=wrapper_config(project)))
    text = {"key": "text", "data": b"hello", "status": 3}
    answer = parse(
        "ExecResponse", plugin.call("Exec", msg("ExecRequest", params={"mode": "sideways"}, data_list=[text])).data
    )
    assert answer.err_code == 1001
    assert answer.err_msg.startswith("invalid parameter")


def test_the_stream_stub_pushes_each_frames_result_to_the_loader(baked, running, tmp_path):
    project = baked("text", "stream")
    with FakeLoader(str(project / "cb.sock")) as loader:
        plugin = serve(running, project, "--callback-sock", loader.path)
        plugin.call("Init", msg("InitRequest", cfg=wrapper_config(project)))
        created = parse(
            "CreateResponse", plugin.call("Create", msg("CreateRequest", usr_tag="sid-1", params={"sid": "sid-1"})).data
        )
        assert created.err_code == 0 and created.handle
        for chunk, status in ((b"hello ", 0), (b"world", 2)):
            frame = {"key": "text", "data": chunk, "status": status}
            assert plugin.call("Write", msg("WriteRequest", handle=created.handle, data_list=[frame])).data == b""
        received = loader.wait_for(2)
        assert plugin.call("Destroy", msg("DestroyRequest", handle=created.handle)).data == b""
    pushed = [parse("AsyncCallbackRequest", r.request) for r in received if r.rpc == "AsyncCallback"]
    assert [(p.usr_tag, p.err_code, [item.status for item in p.data_list]) for p in pushed] == [
        ("sid-1", 0, [0]),
        ("sid-1", 0, [2]),
    ]
    assert json.loads(pushed[1].data_list[0].data)["frame"] == 1
    assert plugin.stop() == 0


def test_the_baked_projects_own_tests_pass(baked):
    """Its starter tests (the local run of every phase) in widgetpy mode."""
    project = baked("text", "stream")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=str(project),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
