"""What a user of the loader sees in its log: the Go host's ``python-plugin`` logger at INFO, as the loader
runs it with the rendered ``[wrapper] "log.level" = "info"`` (spec 13.3).

The Go host is go-plugin itself (Debian's 1.0.1, the same stderr handling as the loader's v1.4.5):
only lines it logs at INFO or above reach its log file. Every test drives the ``noisy`` wrapper,
whose once requests log or print what their ``mode`` param says, and looks for that request's tag.
"""

import re
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import fakehost
import gohost
import loaderlog
import pytest
import test_gohost
from conftest import plugin_env
from gohost import node

go_binary, go_host = test_gohost.go_binary, test_gohost.go_host  # the Go host fixtures

_ENTRY = re.compile(r"^\S+ \[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s+python-plugin\.bash: ", re.M)


def shown(host: gohost.GoHost) -> List[Tuple[str, str]]:
    """(level, text with its fields and continuation lines) of every entry in the host's log."""
    text = host.loader_log()
    starts = [match for match in _ENTRY.finditer(text)]
    found = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        found.append((match.group(1).lower(), text[match.end() : end]))
    return found


def find(host: gohost.GoHost, needle: str) -> List[Tuple[str, str]]:
    return [entry for entry in shown(host) if needle in entry[1]]


@pytest.fixture
def noisy(go_host: Callable[..., gohost.GoHost]) -> gohost.GoHost:
    host = go_host("noisy")
    assert host.call({"op": "init", "config": {"log.level": "info"}}) == {"op": "init", "ret": 0}, host.stderr()
    return host


def run(host: gohost.GoHost, mode: str, tag: str = "") -> Dict:
    tag = tag or "tag-" + mode
    answer = host.call({"op": "once", "tag": tag, "params": {"mode": mode}, "list": [node("text", b"x")]})
    host.call({"op": "health", "service": "plugin"})  # a round trip more: the log lines are written by now
    return answer


def settle(host: gohost.GoHost, needle: str, count: int = 1, tries: int = 50) -> List[Tuple[str, str]]:
    """The entries with ``needle``, waiting (bounded) until there are ``count``: text written to the
    file descriptors (not ``sys.stdout``) passes the plugin's pipe reader, a moment later."""
    import time

    found: List[Tuple[str, str]] = []
    for _ in range(tries):
        found = find(host, needle)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    return found


def test_a_wrappers_log_error_shows_at_error(noisy):
    assert run(noisy, "log_error")["ret"] == 0
    assert [level for level, _ in settle(noisy, "wrapper log.error tag-log_error")] == ["error"], noisy.loader_log()


def test_a_raising_wrappers_traceback_shows_with_the_refusal(noisy):
    assert run(noisy, "raise")["ret"] == 30003
    found = settle(noisy, "noisy boom tag-raise")
    assert found and found[0][0] == "error", noisy.loader_log()
    text = found[0][1]
    assert "wrapperOnceExec for tag 'tag-raise' answered with ret 30003" in text
    assert "Traceback (most recent call last):" in text and "wrapper.py" in text
    assert "ValueError: noisy boom tag-raise" in text


def test_print_and_stderr_text_show_at_info(noisy):
    run(noisy, "print")
    run(noisy, "stderr")
    assert [level for level, _ in settle(noisy, "wrapper print tag-print")] == ["info"], noisy.loader_log()
    assert [level for level, _ in settle(noisy, "wrapper stderr tag-stderr")] == ["info"], noisy.loader_log()


def test_a_std_logging_warning_shows_at_warn(noisy):
    run(noisy, "getlogger_warning")
    found = settle(noisy, "getLogger warning tag-getlogger_warning")
    assert [level for level, _ in found] == ["warn"], noisy.loader_log()
    assert "@module=wrapper.model" in found[0][1]


def test_a_std_logging_info_shows_at_the_loaders_level(noisy):
    run(noisy, "getlogger_info")
    assert [level for level, _ in settle(noisy, "getLogger info tag-getlogger_info")] == ["info"]


def test_the_vendor_file_logger_shows_too(noisy):
    run(noisy, "file_logger")
    assert [level for level, _ in settle(noisy, "file logger error tag-file_logger")] == ["error"]


def test_a_printed_traceback_is_one_error_entry(noisy):
    run(noisy, "print_traceback")
    found = settle(noisy, "printed tag-print_traceback")
    assert [level for level, _ in found] == ["error"], noisy.loader_log()
    assert "Traceback (most recent call last):" in found[0][1]


def test_a_warnings_warning_shows_at_warn(noisy):
    run(noisy, "warning")
    assert [level for level, _ in settle(noisy, "wrapper warning tag-warning")] == ["warn"], noisy.loader_log()


def test_output_of_c_code_and_child_processes_shows_too(noisy):
    run(noisy, "fd_write")
    run(noisy, "child")
    for needle in ("fd1 tag-fd_write", "fd2 tag-fd_write", "child out tag-child", "child err tag-child"):
        assert [level for level, _ in settle(noisy, needle)] == ["info"], (needle, noisy.loader_log())


def test_hostile_json_neither_crashes_the_host_nor_is_lost(noisy):
    run(noisy, "hostile_json")
    assert run(noisy, "print", "after-hostile")["ret"] == 0  # the host is alive and still reading
    assert settle(noisy, "wrapper print after-hostile")
    hostile = settle(noisy, "tag=tag-hostile_json", count=4)
    assert sorted(entry[1].split(":")[0] for entry in hostile) == ["123", "m", "null", "t"], noisy.loader_log()


def test_a_100_kb_line_is_shown_whole_in_parts(noisy):
    run(noisy, "long_line")
    assert settle(noisy, "long tag-long_line"), noisy.loader_log()[:2000]
    assert settle(noisy, "end-of-long tag-long_line")
    text = "".join(entry[1] for entry in shown(noisy))
    assert text.count("x") >= 100000


def test_text_with_newlines_stays_one_entry(noisy):
    run(noisy, "newlines")
    found = settle(noisy, "first line tag-newlines")
    assert [level for level, _ in found] == ["error"], noisy.loader_log()
    assert "second line tag-newlines" in found[0][1]


def test_the_runtime_start_up_is_shown_at_info(noisy):
    assert settle(noisy, "serving on unix ")
    assert settle(noisy, "wrapperInit succeeded")


def test_at_log_level_error_only_errors_remain(go_binary, wrapper_dir):

    host = gohost.GoHost(fakehost.python_command(), str(wrapper_dir("noisy")), env=plugin_env(), log_level="error")
    try:
        host.start()
        assert host.call({"op": "init", "config": {"log.level": "error"}})["ret"] == 0
        run(host, "print")
        run(host, "log_error")
        assert settle(host, "wrapper log.error tag-log_error")
        assert not find(host, "wrapper print tag-print") and not find(host, "wrapperInit succeeded")
    finally:
        host.close()


# -- the fake host judges stderr by the same rules ----------------------------------------------------


def test_the_fake_host_sees_what_the_loader_sees(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("noisy"))
    assert plugin.init({"log.level": "info"}) == 0
    for mode in ("log_error", "raise", "print", "hostile_json"):
        plugin.exec_once("fake-" + mode, [fakehost.node("text", b"x")], {"mode": mode})
    assert plugin.exec_once("fake-end", [fakehost.node("text", b"x")], {"mode": "print"}).ret == 0
    for _ in range(50):
        seen = plugin.loader_log("info")
        if loaderlog.search(seen, "wrapper print fake-end") and len(loaderlog.search(seen, "fake-hostile_json")) >= 4:
            break  # (the last hostile line is written to fd 2 directly: it comes through the pipe reader)
        import time

        time.sleep(0.1)
    assert [entry.level for entry in loaderlog.search(seen, "wrapper log.error fake-log_error")] == ["error"]
    refusal = loaderlog.search(seen, "noisy boom fake-raise")
    assert refusal and refusal[0].level == "error" and "Traceback" in refusal[0].fields.get("exception", "")
    assert [entry.level for entry in loaderlog.search(seen, "wrapper print fake-print")] == ["info"]
    assert len(loaderlog.search(seen, "fake-hostile_json")) == 4


def test_the_plugin_writes_its_log_file(wrapper_dir, spawn, tmp_path):
    path = tmp_path / "app" / "wrapper.log"
    plugin = spawn(wrapper_dir("noisy"), AIGES_LOG_FILE=str(path))
    assert plugin.init({"log.level": "info"}) == 0
    plugin.exec_once("file-raise", [fakehost.node("text", b"x")], {"mode": "raise"})
    plugin.exec_once("file-print", [fakehost.node("text", b"x")], {"mode": "print"})
    plugin.shutdown()
    text = Path(path).read_text("utf-8")
    assert "serving on unix " in text  # from before wrapperInit too
    assert "ValueError: noisy boom file-raise" in text and "Traceback (most recent call last):" in text
    assert "wrapper print file-print" in text
    assert not text.lstrip().startswith("{")  # human-readable, not JSON


# -- by hand, and before the handshake ------------------------------------------------------------------


def _serve(folder: Path, env: Dict[str, str], stop: bool = True) -> Tuple[int, str, str]:
    """Run ``python -m aiges.serve`` in ``folder``; SIGTERM once the handshake is out. (status, stdout, stderr)"""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "aiges.serve"],
        cwd=str(folder),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if first and stop:
        import time

        log_file = Path(env["AIGES_LOG_FILE"])
        for _ in range(300):  # until it serves (its signal handlers are in place): the log file says so
            if log_file.is_file() and "serving on" in log_file.read_text():
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, (first + out).decode(), err.decode()


def test_by_hand_the_server_logs_human_readable_lines(wrapper_dir, tmp_path):

    env = plugin_env(BASIC_PLUGIN="hello", AIGES_LOG_FILE=str(tmp_path / "w.log"))
    env.pop("PLUGIN_PROTOCOL_VERSIONS", None)
    status, out, err = _serve(wrapper_dir("noisy"), env)
    assert status == 0 and out.startswith("1|1|unix|"), err
    serving = [line for line in err.splitlines() if "serving on unix " in line]
    assert serving and " - aiges.serve:" in serving[0] and " - INFO:  serving on" in serving[0]
    assert not any(line.lstrip().startswith("{") for line in err.splitlines())


@pytest.mark.parametrize(
    "env, words",
    [
        (
            {"PLUGIN_PROTOCOL_VERSIONS": "1", "PLUGIN_MIN_PORT": "low", "PLUGIN_MAX_PORT": "9"},
            "PLUGIN_MIN_PORT/PLUGIN_MAX_PORT must be numbers",
        ),
        ({"PLUGIN_PROTOCOL_VERSIONS": "2"}, "the loader speaks plugin protocol version(s) 2"),
    ],
)
def test_a_start_up_problem_under_the_loader_is_an_error_entry(wrapper_dir, tmp_path, env, words):

    env = plugin_env(BASIC_PLUGIN="hello", AIGES_LOG_FILE=str(tmp_path / "w.log"), **env)
    status, out, err = _serve(wrapper_dir("noisy"), env, stop=False)
    assert status == 1 and out == ""
    found = loaderlog.search(loaderlog.visible(err.encode(), "info"), words)
    assert [entry.level for entry in found] == ["error"], err


def test_without_the_loaders_cookie_the_explanation_is_plain_text(wrapper_dir):

    env = plugin_env()
    env.pop("BASIC_PLUGIN", None)
    status, out, err = _serve(wrapper_dir("noisy"), env, stop=False)
    assert status == 1 and out == "" and err.startswith("This is the AIGES python-mode plugin server.")


def test_reconfiguring_stdout_keeps_printing_to_the_log(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("noisy"))
    assert plugin.init({}) == 0
    assert plugin.exec_once("rc-1", [fakehost.node("text", b"x")], {"mode": "reconfigure"}).ret == 0
    assert [entry.level for entry in plugin.wait_log("after reconfigure rc-1")] == ["info"]


def test_a_crash_report_reaches_the_loader_raw(wrapper_dir, spawn):
    # the pipe reader dies with the process: faulthandler writes to the loader's stderr itself
    import grpc

    plugin = spawn(wrapper_dir("noisy"), PYTHONFAULTHANDLER="1")
    assert plugin.init({}) == 0
    try:
        plugin.once("crash-1", [fakehost.node("text", b"x")], {"mode": "segfault"})
    except grpc.RpcError:
        pass  # the process may die before the unary answer
    assert plugin.wait_exit(10) == -11
    assert loaderlog.search(plugin.loader_log("debug"), "Fatal Python error: Segmentation fault"), plugin.stderr()


@pytest.mark.parametrize(
    "wrapper, words",
    [
        ("bad_init", "wrapperInit returned 3, not 0: model file missing"),
        ("import_error", "No module named 'a_module_that_does_not_exist'"),
    ],
)
def test_why_wrapper_init_failed_is_shown_at_error(go_host, wrapper, words):
    # the loader exits when wrapperInit fails: this entry is all its user has
    host = go_host(wrapper)
    assert host.call({"op": "init", "config": {"log.level": "info"}})["ret"] != 0
    assert [level for level, _ in settle(host, words)] == ["error"], host.loader_log()
