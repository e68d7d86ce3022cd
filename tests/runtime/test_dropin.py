"""Published vendor-SDK wrappers run unchanged (issue 14): each test copies a wrapper written in the
style of real published plugins (``tests/runtime/wrappers/dropin/``) into a fresh folder and runs it
as a user migrating an existing plugin would."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

from tests.conftest import aiges_cli as aiges
from tests.conftest import runtime_env

WRAPPERS = Path(__file__).resolve().parent / "wrappers" / "dropin"


def place(tmp_path: Path, name: str, mode: str = "", project: str = "", edits=()) -> Path:
    """Copy ``wrappers/dropin/<name>.py`` to ``tmp_path/wrapper.py`` (with ``MODE`` set when given and
    each ``(old, new)`` of ``edits`` replaced); with ``project``, as ``wrapper/wrapper.py`` of a project
    whose pyproject.toml is ``project``. Returns the wrapper's folder."""
    source = (WRAPPERS / (name + ".py")).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    if mode:
        source = "\n".join("MODE = %r" % mode if line.startswith("MODE =") else line for line in source.splitlines())
    if project:
        (tmp_path / "pyproject.toml").write_text(project, encoding="utf-8")
        (tmp_path / "wrapper").mkdir()
        folder = tmp_path / "wrapper"
    else:
        folder = tmp_path
    (folder / "wrapper.py").write_text(source + "\n", encoding="utf-8")
    return folder


def run(folder: Path, *args: str, script: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [sys.executable, "wrapper.py", *args] if script else [sys.executable, "-m", "aiges", "run", *args]
    return subprocess.run(command, cwd=folder, env=runtime_env(), capture_output=True, text=True, timeout=timeout)


PROJECT = '[tool.aiges]\nplugin_mode = "grpc"\n'


# --- 1. stream worker threads with their own stop flag; 2. run_stream() ------------------------------------


def test_a_stream_worker_that_assigns_is_stopping_runs_through_run_stream(tmp_path):
    folder = place(tmp_path, "stream_own_stop_flag")
    result = run(folder, "--no-output", script=True)
    assert result.returncode == 0, result.stderr
    assert "session call order" in result.stderr
    assert "get callback: result: len 13, type: text, status: end" in result.stderr
    assert "Congratulations" in result.stderr


def test_a_dead_worker_thread_is_reported_at_once_with_its_traceback(tmp_path):
    folder = place(tmp_path, "stream_own_stop_flag", mode="crash")
    result = run(folder, "--no-output", "--timeout", "600", timeout=300)
    assert result.returncode == 1
    assert "thread 'Process-0-Thread-0' died with KeyError: 'model_output'" in result.stderr
    assert 'raise KeyError("model_output")' in result.stderr  # the traceback, with the wrapper's line
    assert "within 600 s" not in result.stderr


def test_the_stream_helpers_keep_the_vendor_attributes_assignable():
    from aiges.stream import SessionManager, StreamHandleThread, WorkerThread

    class Handler(StreamHandleThread):
        def __init__(self, session_thread, in_q, out_q):
            self.is_stopping = False  # before the base __init__, as some wrappers do
            super().__init__(session_thread, in_q, out_q)

        def run(self):
            while not self.is_stopping:
                self.in_q.get()

    worker = WorkerThread("Process-0-Thread-0")
    worker.is_stopping = False
    handler = Handler(worker, worker.in_q, worker.out_q)
    assert handler.is_stopping is False
    handler.stop()
    assert handler.is_stopping is True
    handler.is_stopping = False
    worker.stop()  # stopping the worker stops its handler too, whatever the handler assigned
    assert handler.is_stopping is True and worker.is_stopping is True
    manager = SessionManager()
    for name in (
        "init_wrapper_config",
        "init_handle_pool",
        "init_threads",
        "init_processes",
        "get_session",
        "set_idle_session",
        "get_idle_handle",
        "reset_session",
        "push_back",
        "handle_pool",
        "lock",
        "initialized",
        "code",
    ):
        assert hasattr(manager, name), name
    for name in (
        "handle",
        "sid",
        "is_stopping",
        "in_q",
        "out_q",
        "is_idle",
        "params",
        "StreamHandleThreadClass",
        "callback_fn",
        "idle",
        "init_model",
        "setup_sid",
        "setup_params",
        "setup_callback_fn",
        "reset",
        "setStreamHandleThreadClass",
        "stop",
    ):
        assert hasattr(worker, name), name
    pool = manager.init_processes(Handler, 1, 2)
    assert sorted(pool.workers) == ["Process-0-Thread-0", "Process-0-Thread-1"]
    pool.stop()
    from aiges.stream import Context, ProcessThreadPool

    assert isinstance(pool, ProcessThreadPool)
    context = Context()
    context.set_sid("s-1")
    context.set_params({"a": "1"})
    context.set_destroyed()
    assert (context.sid, context.params, context.session_destroyed) == ("s-1", {"a": "1"}, True)
    context.reset_ctx()
    assert (context.sid, context.params, context.data, context.session_destroyed) == ("", {}, None, False)


# --- 6. aiges.concurrent and aiges.worker -----------------------------------------------------------------


def test_a_wrapper_using_the_vendors_fixed_pool_and_worker_runs(tmp_path):
    folder = place(tmp_path, "once_worker_pool")
    result = run(folder, "--no-output", script=True)
    assert result.returncode == 0, result.stderr
    assert '"words": 4' in result.stderr and '"handle": "worker-0"' in result.stderr


def test_fixed_pools_do_not_share_objects_and_never_hand_out_a_live_key():
    from aiges.concurrent.fixpool import FixedPool
    from aiges.concurrent.pool import Pool

    first, second = FixedPool(), FixedPool()
    assert isinstance(first, Pool)
    first.set_capacity(2)
    assert first.add("a") == (True, "worker-0")
    assert first.add("b") == (True, "worker-1")
    assert first.add("c") == (False, "") and first.allocated == 2
    assert second.pool == {} and second.allocated == 0  # the vendor's pool dict was shared by every pool
    assert first.remove("worker-0") is True and first.allocated == 1
    added, key = first.add("c")
    assert added and key != "worker-1" and first.get("worker-1") == "b"  # the vendor overwrote "b" here
    first.clear_all()
    assert first.pool == {} and first.allocated == 0


def test_a_worker_runs_its_infer_class_and_survives_a_failing_request():
    from aiges.worker import InferClass, Worker

    class Echo(InferClass):
        def predict(self, *args, **kwargs):
            request = kwargs["req"]
            if request == "bad":
                raise ValueError("bad request")
            return (request.upper(), request == "last")

    worker = Worker(name="echo", context={"a": 1})
    assert worker.name == "echo" and worker.daemon
    assert Worker().context == {} and Worker().context is not Worker().context
    worker.setHandle("h-1")  # before registering: remembered
    worker.register_infer_class(Echo())
    assert worker.infer_class.handle == "h-1"
    worker.start()
    for request in ("bad", "one", "last"):
        worker.in_q.put(request)
    assert worker.out_q.get(timeout=10) == "ONE"
    assert worker.out_q.get(timeout=10) == "LAST"
    worker.join(timeout=10)
    assert not worker.is_alive()  # all_done ends the thread
    with pytest.raises(TypeError, match="predict"):
        Worker().register_infer_class(object())
    with pytest.raises(TypeError):
        Worker().register_infer_class(Echo)  # the class, not an instance


# --- 5. bytes values on StringParamField; secrets never echoed -----------------------------------------------

SECRET = "sk-live-9f8e7d6c5b4a3f2e1d0c"  # noqa: S105 - a fake key, in the test wrapper too


def test_bytes_param_values_render_and_run_as_their_text(tmp_path):
    folder = place(tmp_path, "once_bytes_param", project=PROJECT)
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert "(static read" in rendered.stderr
    schema = json.loads((tmp_path / "schema.json").read_text())
    assert '"zh"' in json.dumps(schema)
    assert 'lang = "zh"' in (tmp_path / "xtest.toml").read_text()
    result = run(folder, "--no-output", script=True)
    assert result.returncode == 0, result.stderr
    assert '"lang": "zh"' in result.stderr and '"keyed": true' in result.stderr
    assert SECRET not in result.stderr  # the params line masks the key


def test_a_refused_secret_param_value_is_never_echoed(tmp_path):
    folder = place(tmp_path, "once_bytes_param", project=PROJECT, edits=[("maxLength=64", "maxLength=8")])
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 1
    assert "api_key" in rendered.stderr and "maxLength 8" in rendered.stderr
    assert SECRET not in rendered.stderr and SECRET[:12] not in rendered.stderr
    result = run(folder, "--no-output")
    assert result.returncode == 2 and "maxLength 8" in result.stderr
    assert SECRET not in result.stderr


def test_long_or_secret_looking_values_are_shown_by_type_and_length_only():
    from aiges.fields import StringParamField, shown_value

    assert shown_value(StringParamField(key="lang"), "zh") == "'zh'"
    assert shown_value(StringParamField(key="access_token"), "abc") == "<str of 3 characters, not shown>"
    assert shown_value(StringParamField(key="prompt"), "x" * 80) == "<str of 80 characters, not shown>"
    assert StringParamField(key="lang", value=b"zh").value == "zh"
    assert StringParamField(key="lang", value=b"zh").problems() == []
    assert "not UTF-8" in StringParamField(key="lang", value=b"\xff\xfe").problems()[0]


# --- 3. the session mode: said explicitly, or inferred and explained --------------------------------------


def sess_mode(root: Path) -> bool:
    return tomllib.loads((root / "aiges.toml").read_text())["aiges"]["sessMode"]


def schema_statuses(folder: Path) -> list:
    """The status enum of the gateway schema, as aiges.serve answers wrapperSchema (session: 0-3)."""
    result = aiges(folder, "schema", "--compact")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["schemainput"]["properties"]["header"]["properties"]["status"]["enum"]


def test_a_leftover_test_create_does_not_make_a_once_wrapper_a_session_plugin(tmp_path):
    folder = place(tmp_path, "once_leftover_create", project=PROJECT)
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert sess_mode(tmp_path) is False
    assert (
        "once mode inferred: Wrapper implements wrapperOnceExec; its wrapperCreate without wrapperWrite"
        in rendered.stderr
    )
    assert "warning: Wrapper implements wrapperCreate but is treated as a once plugin" in rendered.stderr
    result = run(folder, "--no-output", script=True)
    assert result.returncode == 0, result.stderr
    assert "(once call order" in result.stderr and "once mode inferred" in result.stderr
    assert "create called" not in result.stdout
    assert schema_statuses(folder) == [3]


def test_a_wrapper_with_both_sets_is_inferred_as_session_and_told_how_to_choose(tmp_path):
    place(tmp_path, "both_sets", project=PROJECT)
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert sess_mode(tmp_path) is True
    assert "session (stream) mode inferred: Wrapper implements wrapperCreate and wrapperWrite" in rendered.stderr
    assert '(it implements wrapperOnceExec too: set session_mode = "once" for a once plugin)' in rendered.stderr
    assert "warning" not in rendered.stderr


@pytest.mark.parametrize("where", ["class", "project"])
def test_the_session_mode_setting_wins_in_render_run_and_serve(tmp_path, where):
    edits = [('    version = "v1"\n', '    version = "v1"\n    session_mode = "once"\n')] if where == "class" else []
    project = PROJECT + ('session_mode = "once"\n' if where == "project" else "")
    folder = place(tmp_path, "both_sets", project=project, edits=edits)
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert sess_mode(tmp_path) is False
    assert (
        "once mode set by Wrapper.session_mode = 'once'"
        if where == "class"
        else "once mode set by [tool.aiges] session_mode = 'once'"
    ) in rendered.stderr
    assert "warning" not in rendered.stderr
    result = run(folder, "--no-output", script=True)
    assert result.returncode == 0, result.stderr
    assert "(once call order" in result.stderr and '"text": "once:both ways"' in result.stderr
    assert schema_statuses(folder) == [3]
    streamed = run(folder, "--no-output", "--stream")
    assert streamed.returncode == 0, streamed.stderr
    assert "session call order forced by --stream" in streamed.stderr


def test_the_class_attribute_wins_over_the_project_setting_and_says_so(tmp_path):
    edits = [('    version = "v1"\n', '    version = "v1"\n    session_mode = "stream"\n')]
    folder = place(tmp_path, "both_sets", project=PROJECT + 'session_mode = "once"\n', edits=edits)
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert sess_mode(tmp_path) is True
    assert "[tool.aiges] session_mode = 'once' is overridden by Wrapper.session_mode = 'stream'" in rendered.stderr
    result = run(folder, "--no-output")
    assert result.returncode == 0, result.stderr
    assert "(session call order" in result.stderr and '"text": "session"' in result.stderr
    assert schema_statuses(folder) == [0, 1, 2, 3]


def test_in_the_image_serve_follows_the_rendered_aiges_toml(tmp_path):
    place(tmp_path, "both_sets", project=PROJECT + 'session_mode = "once"\n')
    assert aiges(tmp_path, "render").returncode == 0
    image = tmp_path / "image"  # the image's /home/aiges: wrapper.py and the rendered files, no pyproject.toml
    image.mkdir()
    shutil.copy(tmp_path / "wrapper" / "wrapper.py", image / "wrapper.py")
    shutil.copy(tmp_path / "aiges.toml", image / "aiges.toml")
    assert schema_statuses(image) == [3]
    (image / "aiges.toml").unlink()
    assert schema_statuses(image) == [0, 1, 2, 3]  # nothing says otherwise: inferred


@pytest.mark.parametrize("where", ["class", "project"])
def test_a_bad_session_mode_is_an_error_naming_where(tmp_path, where):
    edits = [('    version = "v1"\n', '    version = "v1"\n    session_mode = "session"\n')] if where == "class" else []
    place(
        tmp_path,
        "both_sets",
        project=PROJECT + ('session_mode = "session"\n' if where == "project" else ""),
        edits=edits,
    )
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode != 0
    if where == "class":
        assert (
            'wrapper/wrapper.py:34: Wrapper.session_mode must be "once" or "stream", got \'session\'' in rendered.stderr
        )
    else:
        assert 'session_mode must be "once" or "stream"' in rendered.stderr and "pyproject.toml" in rendered.stderr


def test_the_template_writes_its_session_mode_answer_into_tool_aiges():
    from tests.conftest import TEMPLATE

    text = (TEMPLATE / "pyproject.toml").read_text()
    assert 'session_mode = "{{ cookiecutter.session_mode }}"' in text.split("[tool.aiges]", 1)[1].split("\n[", 1)[0]


# --- 4. sample paths computed from the file's location, or the image's absolute paths ----------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


def file_paths_project(tmp_path: Path, edits=()) -> Path:
    folder = place(tmp_path, "once_file_paths", project=PROJECT, edits=edits)
    (folder / "test_data").mkdir()
    for index, name in enumerate("abcd"):
        (folder / "test_data" / (name + ".png")).write_bytes(PNG + bytes(index))
    return folder


def test_paths_from_dirname_file_and_the_images_folders_render_statically_and_run(tmp_path):
    folder = file_paths_project(tmp_path)
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert "(static read" in rendered.stderr
    xtest = tomllib.loads((tmp_path / "xtest.toml").read_text())
    assert [xtest["payload_" + key]["inputSrc"] for key in ("img", "img2", "img3", "img4")] == [
        "test_data/a.png",
        "test_data/b.png",
        "test_data/c.png",
        "test_data/d.png",
    ]
    files = {path: path.read_bytes() for path in tmp_path.glob("*.*")}
    imported = aiges(tmp_path, "render", "--import")
    assert imported.returncode == 0, imported.stderr
    assert "unchanged" in imported.stderr and "created" not in imported.stderr and "updated" not in imported.stderr
    assert files == {path: path.read_bytes() for path in tmp_path.glob("*.*")}
    result = run(folder, "--no-output", script=True)
    assert result.returncode == 0, result.stderr
    assert '"img": 48' in result.stderr and '"img4": 51' in result.stderr  # the image paths read the local files


@pytest.mark.parametrize("path", ['"/opt/models/d.png"', 'os.path.join(current_path, "..", "d.png")'])
def test_a_sample_really_outside_is_one_error_at_the_fields_line_in_both_readers(tmp_path, path):
    file_paths_project(tmp_path, edits=[('path="/home/wrapper/test_data/d.png"', "path=" + path)])
    (tmp_path / "d.png").write_bytes(PNG)
    for args in (["render"], ["render", "--import"]):
        rendered = aiges(tmp_path, *args)
        assert rendered.returncode == 1
        errors = [line for line in rendered.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, rendered.stderr
        assert errors[0].startswith("error: wrapper/wrapper.py:20: field 'img4': sample path ")
        assert "is outside the wrapper folder" in errors[0]


def test_the_static_reader_evaluates_os_path_idioms_without_importing(tmp_path):
    from aiges.tools.render.static import read_static

    source = (
        "import os\nimport os.path as osp\nfrom os import path\nfrom os.path import dirname, join\n"
        "from aiges.sdk import WrapperBase, ImageBodyField, StringBodyField\n"
        "HERE = dirname(osp.realpath(__file__))\n"
        "class UserRequest:\n"
        "    a = ImageBodyField(key='a', path=os.path.join(os.path.dirname(__file__), 'test_data/a.png'))\n"
        "    b = ImageBodyField(key='b', path=path.join(HERE, 'test_data', 'b.png'))\n"
        "    c = ImageBodyField(key='c', path=join(osp.dirname(osp.abspath(__file__)), 'c.png'))\n"
        "    d = ImageBodyField(key='d', path=os.path.abspath('test_data/d.png'))\n"
        "class UserResponse:\n    out = StringBodyField(key='out')\n"
        "class Wrapper(WrapperBase):\n    serviceId = 's'\n    version = 'v1'\n"
        "    requestCls = UserRequest()\n    responseCls = UserResponse()\n"
    )
    raw = read_static("wrapper.py", source, module_file="/srv/plugin/wrapper.py")
    assert [item.spec["kwargs"]["path"] for item in raw.inputs] == [
        "/srv/plugin/test_data/a.png",
        "/srv/plugin/test_data/b.png",
        "/srv/plugin/c.png",
        "/srv/plugin/test_data/d.png",
    ]


# --- 8. names imported only from aiges_embed ----------------------------------------------------------


@pytest.mark.parametrize("emulate", ["grpc", "cgo", "off"])
def test_a_wrapper_that_needs_aiges_embed_runs_locally_in_every_mode(tmp_path, emulate):
    folder = place(tmp_path, "stream_embed_only")
    result = run(folder, "--no-output", "--emulate", emulate)
    assert result.returncode == 0, result.stderr
    assert "aiges_embed is aiges.embed" in result.stderr and '"module": "aiges.embed"' in result.stderr


def test_render_imports_a_wrapper_that_needs_aiges_embed(tmp_path):
    place(tmp_path, "stream_embed_only", project=PROJECT)
    rendered = aiges(tmp_path, "render", "--import")
    assert rendered.returncode == 0, rendered.stderr
    assert sess_mode(tmp_path) is True


def test_the_c_wrappers_own_aiges_embed_always_wins(tmp_path):
    folder = place(tmp_path, "stream_embed_only")
    # stands for the module the C wrapper embeds: found on the import path before ours is considered
    (folder / "aiges_embed.py").write_text(
        "from aiges.dto import DataListCls, DataListNode, Response, ResponseData, SessionCreateResponse\n"
        "from aiges.callback import deliver\n"
        "def callback(resp, usrTag=''):\n    return deliver(resp, usrTag)\n",
        encoding="utf-8",
    )
    result = run(folder, "--no-output")
    assert result.returncode == 0, result.stderr
    assert "aiges_embed is aiges_embed" in result.stderr and '"module": "aiges_embed"' in result.stderr


def test_an_already_loaded_aiges_embed_is_kept(monkeypatch):
    import types

    from aiges import loading

    embedded = types.ModuleType("aiges_embed")
    monkeypatch.setitem(sys.modules, "aiges_embed", embedded)
    assert loading.provide_embed_module() is False and sys.modules["aiges_embed"] is embedded
    monkeypatch.delitem(sys.modules, "aiges_embed")
    assert loading.provide_embed_module() is True
    from aiges import embed

    assert sys.modules["aiges_embed"] is embed


# --- 7. wrappers that declare no fields ---------------------------------------------------------------------

NO_FIELDS_WARNING = "warning: Wrapper declares no fields (no requestCls/responseCls): its schema is minimal"


def test_a_wrapper_without_fields_renders_minimal_files_with_one_warning(tmp_path):
    place(tmp_path, "once_no_fields", project=PROJECT)
    for args in (["render"], ["render", "--import"]):
        rendered = aiges(tmp_path, *args)
        assert rendered.returncode == 0, rendered.stderr
        assert rendered.stderr.count("warning:") == 1 and NO_FIELDS_WARNING in rendered.stderr
    schema = json.loads((tmp_path / "schema.json").read_text())
    assert schema["meta"]["serviceId"] == "no_fields"
    assert schema["schemainput"]["properties"]["payload"]["properties"] == {}
    assert tomllib.loads((tmp_path / "aiges.toml").read_text())["aiges"]["sessMode"] is False
    assert tomllib.loads((tmp_path / "xtest.toml").read_text())["svcMode"]["svcId"] == "no_fields"
    checked = aiges(tmp_path, "check")
    assert checked.returncode == 0, checked.stderr


def test_a_wrapper_without_fields_runs_locally_with_inputs_and_params_from_the_command_line(tmp_path):
    folder = place(tmp_path, "once_no_fields", project=PROJECT)
    (tmp_path / "in.txt").write_bytes(b"hello")
    (tmp_path / "pic.png").write_bytes(PNG)
    result = run(folder, "--no-output", "--input", "text=../in.txt", "--input", "pic=../pic.png", "--param", "lang=zh")
    assert result.returncode == 0, result.stderr
    answer = json.loads(
        result.stderr.split("<- answer: text, status once, ", 1)[1].split("\n", 1)[1].split("  wrapperFini", 1)[0]
    )
    assert answer == {"inputs": {"pic": [len(PNG), 2], "text": [5, 0]}, "params": {"lang": "zh", "sid": "test-111111"}}
    without = run(folder, "--no-output", script=True)
    assert without.returncode == 2 and "give the inputs to send with --input KEY=PATH" in without.stderr


def test_a_declared_request_without_inputs_stays_an_error(tmp_path):
    place(
        tmp_path,
        "once_no_fields",
        project=PROJECT,
        edits=[
            (
                "class Wrapper(WrapperBase):\n",
                "class UserRequest(object):\n    pass\n\n\nclass Wrapper(WrapperBase):\n",
            ),
            ('    version = "v1"\n', '    version = "v1"\n    requestCls = UserRequest()\n'),
        ],
    )
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 1
    assert "declares no input field" in rendered.stderr and "declares no output field" in rendered.stderr


# --- 9. smaller rough edges ----------------------------------------------------------------------------------


def test_the_local_run_warns_when_aiges_toml_is_stale_after_a_failed_render(tmp_path):
    folder = place(tmp_path, "once_bytes_param", project=PROJECT)
    assert aiges(tmp_path, "render").returncode == 0
    wrapper = folder / "wrapper.py"
    text = wrapper.read_text()
    wrapper.write_text(
        text.replace('    version = "v1"\n', '    version = "v1"\n    config = {"model": "m2"}\n').replace(
            "maxLength=64", "maxLength=8"
        )
    )
    assert aiges(tmp_path, "render").returncode == 1  # the render fails: aiges.toml keeps the old [wrapper]
    wrapper.write_text(wrapper.read_text().replace("maxLength=8", "maxLength=64"))
    result = run(folder, "--no-output")
    assert result.returncode == 0, result.stderr
    assert (
        "warning: aiges.toml is stale: its [wrapper] section differs from what wrapper.py's config and "
        "[tool.aiges] give ('model')" in result.stderr
    )
    assert aiges(tmp_path, "render").returncode == 0
    assert "stale" not in run(folder, "--no-output").stderr


def test_check_does_not_claim_to_have_written_nothing(tmp_path):
    place(tmp_path, "once_bytes_param", project=PROJECT, edits=[("maxLength=64", "maxLength=8")])
    checked = aiges(tmp_path, "check")
    assert checked.returncode == 2
    assert "python -m aiges check: 1 problem" in checked.stderr and "written" not in checked.stderr


def test_the_local_runs_declaration_errors_name_the_line_as_render_does(tmp_path):
    folder = place(tmp_path, "once_bytes_param", project=PROJECT, edits=[("maxLength=64", "maxLength=8")])
    rendered = aiges(tmp_path, "render")
    result = run(folder, "--no-output")
    assert result.returncode == 2
    assert "wrapper/wrapper.py:14: field 'api_key':" in rendered.stderr
    assert "wrapper.py:14: field 'api_key':" in result.stderr


def test_a_once_setting_on_a_wrapper_without_once_methods_is_warned_about(tmp_path):
    # e.g. a stream wrapper copied into a project generated with the default session_mode = "once"
    place(tmp_path, "stream_own_stop_flag", project=PROJECT + 'session_mode = "once"\n')
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert (
        'warning: session_mode is "once" but Wrapper implements no wrapperOnceExec (only session methods)'
        in rendered.stderr
    )


def test_the_import_fallback_note_does_not_quote_a_secret_fields_expression(tmp_path):
    place(
        tmp_path,
        "once_bytes_param",
        project=PROJECT,
        edits=[
            (
                'value=b"sk-live-9f8e7d6c5b4a3f2e1d0c"',
                'value=os.environ.get("API_KEY", "sk-live-9f8e7d6c5b4a3f2e1d0c")',
            ),
            ("import json\n", "import json\nimport os\n"),
        ],
    )
    rendered = aiges(tmp_path, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert (
        "note: read the declarations by importing wrapper.py, because wrapper/wrapper.py:15: api_key: "
        "its declaration is not a literal (the expression is not shown" in rendered.stderr
    )
    assert SECRET not in rendered.stderr
