"""``aiges.serve --processes N``: the wrapper runs in N worker processes behind the one gRPC server.

Seen from the host everything is as with one process (one ``communicate`` stream, the same answers),
except that once requests are answered by several processes, a session's frames all reach the
process that created it, and a worker process that dies costs only its own requests and sessions
(answered with ret 30008) before a new one serves in its place. The ``procs`` wrapper answers with
its process id, so the tests can see which process did the work.
"""

import concurrent.futures
import os
import time
from pathlib import Path
from typing import Callable, Set

import fakehost
import pytest
from conftest import text

WORKER_LOST = 30008


@pytest.fixture
def procs(wrapper_dir: Callable[[str], Path], spawn: Callable[..., fakehost.Plugin], tmp_path: Path):
    """The procs wrapper under ``--processes 2``, initialised; wrapperFini markers go to ``tmp_path/fini``."""
    (tmp_path / "fini").mkdir()
    plugin = spawn(wrapper_dir("procs"), args=["--processes", "2"])
    assert plugin.init({"fini_dir": str(tmp_path / "fini")}) == 0, plugin.stderr()
    return plugin


def pid_of(plugin: fakehost.Plugin, tag: str, **params: str) -> int:
    result = plugin.exec_once(tag, text(b"x"), params)
    assert result.ret == 0, result
    return int(result.list[0].data)


def answering_pids(plugin: fakehost.Plugin, prefix: str, count: int = 8) -> Set[int]:
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return set(pool.map(lambda n: pid_of(plugin, "%s-%d" % (prefix, n), mode="spin", ms="20"), range(count)))


def test_once_requests_are_answered_by_both_worker_processes_on_the_one_stream(procs):
    pids = answering_pids(procs, "once")
    assert len(pids) == 2 and procs.pid not in pids
    assert procs.router.ended is None  # the one communicate stream carried every result and is still open


def test_without_the_setting_the_wrapper_runs_in_the_server_process(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("procs"))
    assert plugin.init({}) == 0
    assert len(answering_pids(plugin, "single")) == 1


def test_a_session_stays_in_the_process_that_created_it(procs):
    first = procs.create("sid-a")
    second = procs.create("sid-b")
    assert (first.err_code, second.err_code) == (0, 0)
    # each process numbers its own sessions (session1 in both): the server keeps them apart
    assert first.handle != second.handle and {first.handle, second.handle} & {"session1"}
    seen = {}
    for frame in range(1, 4):
        for sid, created in (("sid-a", first), ("sid-b", second)):
            assert procs.write(created.handle, text(b"f")) == 0
            pid, frames = procs.router.next(sid, 20)[1].list[0].data.decode().split(":")
            assert int(frames) == frame  # the session's state lives in one process
            assert seen.setdefault(sid, pid) == pid
    assert seen["sid-a"] != seen["sid-b"]  # the least busy process took the second session
    assert procs.destroy(first.handle) == 0 and procs.destroy(second.handle) == 0


def test_each_worker_process_runs_wrapper_fini_at_shutdown(procs, tmp_path):
    pids = answering_pids(procs, "before-stop")
    assert procs.shutdown() == 0, procs.stderr()
    assert {int(name) for name in os.listdir(tmp_path / "fini")} == pids
    assert all((tmp_path / "fini" / str(pid)).read_text() == "fini called" for pid in pids)


def test_a_crashed_worker_process_answers_its_requests_and_sessions_with_an_error_and_is_replaced(procs):
    before = answering_pids(procs, "before")
    session = procs.create("sid-doomed")
    assert procs.write(session.handle, text(b"f")) == 0
    doomed = int(procs.router.next("sid-doomed", 20)[1].list[0].data.decode().split(":")[0])

    for attempt in range(20):  # a request reaches the least busy process: until it is the session's
        answer = procs.exec_once("crash-%d" % attempt, text(b"x"), {"mode": "exit", "pid": str(doomed)})
        if answer.ret != 0:
            break
    assert answer.ret == WORKER_LOST
    message = answer.list[0].data.decode()
    assert message == "wrapperOnceExec: worker process %d exited with status 3" % doomed

    lost = procs.router.next("sid-doomed", 20)[1]  # the session's stream learns that it is gone
    assert lost.ret == WORKER_LOST and b"is gone" in lost.list[0].data
    assert procs.write(session.handle, text(b"f")) == WORKER_LOST
    assert procs.wait_log("answered with ret 30008; starting a new worker process", level="error")

    deadline = time.monotonic() + 60
    pids: Set[int] = set()
    while len(pids) < 2 and time.monotonic() < deadline:  # until the replacement serves too
        pids = answering_pids(procs, "after-%d" % len(pids))
    assert len(pids) == 2 and doomed not in pids and pids != before
    assert procs.wait_log("replaces the one that exited")


def test_a_replacement_whose_wrapper_init_fails_is_tried_again_while_the_other_process_serves(
    wrapper_dir, spawn, tmp_path
):
    plugin = spawn(wrapper_dir("procs"), args=["--processes", "2"])
    marker = tmp_path / "init-fails"
    assert plugin.init({"fail_while": str(marker)}) == 0
    doomed = pid_of(plugin, "first")
    marker.write_text("every new wrapperInit answers 7 while this file exists")
    for attempt in range(20):
        if plugin.exec_once("crash-%d" % attempt, text(b"x"), {"mode": "exit", "pid": str(doomed)}).ret != 0:
            break
    assert plugin.wait_log("wrapperInit answered 30002: trying again in 1.0 s", level="error", timeout=30)
    survivors = answering_pids(plugin, "meanwhile")
    assert len(survivors) == 1 and doomed not in survivors  # the other process served all along

    marker.unlink()
    assert plugin.wait_log("replaces the one that exited", timeout=60)
    assert len(answering_pids(plugin, "after")) == 2


def test_results_a_wrapper_delivers_later_by_callback_come_back_from_the_processes(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("async_only"), args=["--processes", "2"])
    assert plugin.init({}) == 0
    for n in range(6):
        result = plugin.exec_once("async-%d" % n, text(b"data-%d" % n))
        assert (result.ret, result.list[0].data) == (0, b"async:data-%d" % n)


def test_worker_process_logs_and_prints_reach_the_loader_log_whole_with_their_process_id(procs):
    entries = procs.wait_log("wrapperInit succeeded")
    pids = {entry.fields.get("worker_pid") for entry in entries}
    assert len(pids) == 2
    # both processes print one line in two pieces at the same moment: neither cuts into the other's
    printed = procs.wait_log("print from wrapperInit in", count=2)
    assert sorted(entry.message for entry in printed) == sorted("print from wrapperInit in %d" % pid for pid in pids)
    assert all(entry.message.endswith(str(entry.fields["worker_pid"])) for entry in printed)
    assert all(entry.fields["stream"] == "stdout" for entry in printed)
    written = procs.wait_log("fd 2 line from wrapperInit in", count=2)  # bytes written to the fd, as C code does
    assert sorted(entry.message for entry in written) == sorted(
        "fd 2 line from wrapperInit in %d" % pid for pid in pids
    )
    procs.loader_log("trace")  # and no line would crash the loader


def test_a_segfault_in_native_code_is_answered_with_the_signal_and_the_process_is_replaced(procs):
    doomed = pid_of(procs, "first")
    for attempt in range(20):
        answer = procs.exec_once("segv-%d" % attempt, text(b"x"), {"mode": "segfault", "pid": str(doomed)})
        if answer.ret != 0:
            break
    assert answer.ret == WORKER_LOST
    assert answer.list[0].data.decode() == "wrapperOnceExec: worker process %d was killed by SIGSEGV" % doomed
    assert procs.wait_log("Fatal Python error: Segmentation fault", level="trace")  # where it crashed
    assert procs.wait_log("replaces the one that exited", timeout=60)
    assert len(answering_pids(procs, "after") - {doomed}) == 2  # the survivor and the replacement serve


def test_a_failing_wrapper_init_in_the_worker_processes_is_the_init_answer(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("procs"), args=["--processes", "2"])
    assert plugin.init({"init": "fail"}) == 30002  # USER_INIT_ERROR, as in one process: the loader stops
    assert plugin.wait_log("wrapperInit failed in 2 of 2 worker processes", level="error")
    assert plugin.exec_once("after", text(b"x")).ret == 30001  # nothing runs without a successful init


def test_large_requests_cross_to_the_processes_whole_and_a_result_over_the_limit_is_refused_alone(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["--processes", "2", "--max-message-mb", "12"])
    assert plugin.init({}) == 0
    payload = os.urandom(10 * 1024 * 1024)
    assert plugin.exec_once("big", text(payload)).list[0].data == payload
    too_big = plugin.exec_once("too-big", text(payload[: 5 * 1024 * 1024]), {"mode": "repeat", "times": "3"})
    assert too_big.ret == 30003 and b"more than the largest message allowed" in too_big.list[0].data
    assert plugin.exec_once("after", text(b"fine")).list[0].data == b"fine"


def test_nothing_the_worker_processes_print_reaches_the_loaders_stdout(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["--processes", "2"])
    assert plugin.init({}) == 0
    assert plugin.exec_once("p1", text(b"x"), {"mode": "print"}).ret == 0
    assert plugin.wait_log("print from wrapperOnceExec")
    plugin.shutdown()
    assert plugin.stdout_after == []  # the handshake line was the only one
    assert plugin.stderr().count("print from wrapperInit") >= 2  # once per process


def test_requests_beyond_the_queue_are_answered_at_once_with_queue_full(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("procs"), args=["--processes", "2", "--workers", "2", "--queue", "0"])
    assert plugin.init({}) == 0
    for n in range(4):  # each computes for a second; only two may be in the processes at once
        plugin.once("q%d" % n, text(b"x"), {"mode": "spin", "ms": "1000"})
    answers = {tag: plugin.router.final(tag, 30)[-1].ret for tag in ("q0", "q1", "q2", "q3")}
    assert sorted(answers.values()) == [0, 0, 30004, 30004], answers
    assert plugin.wait_log("the plugin's queue is full", level="error")
