"""A payload lives as long as its request or result, not until the next one comes along.

Big inputs (images, audio, video) are the common case, so a plugin must hold no more copies of a
payload than the calls in progress need. An idle worker thread, a reader standing by or the
``communicate`` stream waiting for its next result must not keep the last message alive: with
four workers that would be four payloads of memory nobody uses (the benchmark counts the peak).
The echo wrapper's ``held`` mode answers with the tags of every wire message the process still
refers to, its own request's included.

With ``AIGES_TRANSPORT=grpcio`` one result more stays referred to: grpcio's own loop that sends a
streaming call's messages holds the last one it sent until the next arrives (not ours to free)."""

import time

import fakehost
import pytest
from conftest import text

TRANSPORTS = ["h2", "grpcio"]
SETTLE = 0.5  # seconds for the last call's thread to return after its result went out


@pytest.fixture(params=TRANSPORTS)
def plugin(request, wrapper_dir, spawn) -> fakehost.Plugin:
    started = spawn(wrapper_dir("echo"), args=["--workers", "4"], AIGES_TRANSPORT=request.param)
    assert started.init({}) == 0
    return started


def kept_by_grpcio(plugin: fakehost.Plugin, last_result: str) -> set:
    return {last_result} if plugin.env.get("AIGES_TRANSPORT") == "grpcio" else set()


def held_after_a_pause(plugin: fakehost.Plugin) -> set:
    """What the process refers to once the calls before have returned. Asked once: each call a worker
    runs replaces what that worker kept, so asking again and again would hide what is kept."""
    time.sleep(SETTLE)
    answer = plugin.exec_once("probe", text(b"x"), {"mode": "held"})
    assert answer.ret == 0, answer
    return set(answer.list[0].data.decode().split())


def test_no_thread_keeps_a_request_after_its_call_whichever_threads_ran_them(plugin):
    for n in range(8):
        assert plugin.exec_once("request-%d" % n, text(b"p" * 100_000), {"mode": "ok"}).ret == 0
    assert held_after_a_pause(plugin) == {"probe"} | kept_by_grpcio(plugin, "request-7")


def test_no_thread_keeps_a_result_once_it_was_sent(plugin):
    result = plugin.exec_once("big-result", text(b"r" * 100_000), {"mode": "repeat", "times": "4"})
    assert result.ret == 0 and len(result.list[0].data) == 400_000
    assert held_after_a_pause(plugin) == {"probe"} | kept_by_grpcio(plugin, "big-result")
