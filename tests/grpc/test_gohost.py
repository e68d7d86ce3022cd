"""The plugin server driven by a real go-plugin host on grpc-go (tests/grpc/gohost), as AIservice drives it.

Only what the loader can see is checked: the handshake, the rpcs' answers and what arrives on
``communicate``, and how the process ends under ``client.Kill()``. Without Go or its Debian packages
these tests are skipped loudly; with ``CI=true`` they fail instead, because CI must meet the real peer.
"""

import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import fakehost
import gohost
import pytest
from conftest import plugin_env
from gohost import data_of, node


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def built(build: Callable[[], Path], what: str, lost: str) -> Path:
    """``build()`` (a Go program); a loud skip (or, under CI=true, a failure) when Go or its Debian
    packages are missing. ``what`` names the tests, ``lost`` what a skip loses."""
    try:
        return build()
    except gohost.GoHostUnavailable as missing:
        if _ci():
            pytest.fail("CI=true, so the %s tests must run, but %s" % (what, missing), pytrace=False)
        pytest.skip("%s TESTS SKIPPED (%s): %s" % (what.upper(), lost, missing))


@pytest.fixture(scope="session")
def go_binary() -> Path:
    """The built Go host; a loud skip (or, under CI=true, a failure) when it cannot be built."""
    return built(gohost.ensure_binary, "Go host", "no real go-plugin peer")


@pytest.fixture
def go_host(go_binary: Path, wrapper_dir: Callable[[str], Path]) -> Iterator[Callable[..., gohost.GoHost]]:
    """``go_host("echo", **env)``: the wrapper's plugin started by go-plugin, communicate open."""
    started: List[gohost.GoHost] = []

    def start(wrapper: str = "echo", **env: str) -> gohost.GoHost:
        host = gohost.GoHost(fakehost.python_command(), str(wrapper_dir(wrapper)), env=plugin_env(**env))
        started.append(host)
        host.start()
        return host

    yield start
    for host in started:
        host.close()


@pytest.fixture
def go_echo(go_host: Callable[..., gohost.GoHost]) -> gohost.GoHost:
    """The echo wrapper behind the Go host, initialised."""
    host = go_host("echo")
    assert host.call({"op": "init", "config": {}}) == {"op": "init", "ret": 0}, host.stderr()
    return host


def once(host: gohost.GoHost, tag: str, data: bytes, **params: str) -> Dict[str, Any]:
    return host.call({"op": "once", "tag": tag, "params": params, "list": [node("text", data)]})


def test_go_plugin_reads_the_handshake_and_health_answers_serving(go_host):
    host = go_host("echo")
    assert host.ready["ready"] is True and host.ready["address"].startswith("/")  # a unix socket
    assert host.ready["startup_ms"] > 0
    assert host.call({"op": "health", "service": "plugin"}) == {"op": "health", "status": "SERVING"}


def test_init_schema_and_a_once_request_round_trip_in_the_loaders_order(go_host):
    host = go_host("echo")
    assert host.call({"op": "init", "config": {"log.level": "debug"}}) == {"op": "init", "ret": 0}
    schema = json.loads(host.call({"op": "schema", "service_id": "svcName"})["schema"])
    assert schema["meta"]["serviceId"] == "echo"

    result = once(host, "sid-0001", b"hello")
    assert "error" not in result, result
    assert (result["tag"], result["ret"]) == ("sid-0001", 0)
    assert [(i["key"], data_of(i), i["len"], i["type"], i["status"]) for i in result["list"]] == [
        ("out", b"hello", 5, 0, 3)
    ]


@pytest.mark.parametrize("size", [1024 * 1024, 10 * 1024 * 1024], ids=["1MB", "10MB"])
def test_large_payloads_come_back_byte_identical(go_echo, size):
    payload = os.urandom(size)
    result = once(go_echo, "big-%d" % size, payload)
    assert "error" not in result, result.get("error")
    assert result["ret"] == 0 and data_of(result["list"][0]) == payload


def test_a_session_streams_each_writes_results_under_the_tag_of_its_create(go_echo):
    created = go_echo.call({"op": "create", "sid": "sess-1", "params": {"type": "1"}})
    assert (created["handle"], created["err_code"]) == ("h-sess-1", 0)
    for data, status in ((b"a", 0), (b"b", 1), (b"c", 2)):
        written = go_echo.call(
            {"op": "write", "handle": created["handle"], "list": [node("audio", data, type_=1, status=status)]}
        )
        assert written == {"op": "write", "ret": 0}
        got = go_echo.call({"op": "collect", "tag": "sess-1", "max": 1})
        assert "error" not in got, got
        assert [
            (m["tag"], m["ret"], [(data_of(i), i["type"], i["status"]) for i in m["list"]]) for m in got["messages"]
        ] == [("sess-1", 0, [(data + b"|sess-1", 1, status)])]
    assert go_echo.call({"op": "destroy", "handle": created["handle"]}) == {"op": "destroy", "ret": 0}


def test_a_raising_wrapper_answers_at_once_with_a_non_zero_ret_and_its_message(go_echo):
    result = go_echo.call(
        {"op": "once", "tag": "boom", "params": {"mode": "raise"}, "list": [node("text", b"x")], "timeout_s": 20}
    )
    assert "error" not in result, result  # it came on communicate, not after a timeout
    assert result["ret"] != 0
    assert [item["key"] for item in result["list"]] == ["error"]
    assert "ValueError: boom" in data_of(result["list"][0]).decode()


def test_32_concurrent_once_requests_on_the_one_connection_are_all_answered(go_echo):
    payloads = {"c%02d" % n: ("payload %d " % n).encode() * (1 + n * 37) for n in range(32)}
    answers = go_echo.call(
        gohost.parallel({"op": "once", "tag": tag, "list": [node("text", data)]} for tag, data in payloads.items())
    )
    got = {
        a.get("tag"): (a.get("ret"), a.get("error"), [data_of(i) for i in a.get("list", [])])
        for a in answers["results"]
    }
    assert got == {tag: (0, None, [data]) for tag, data in payloads.items()}


def test_kill_stops_the_plugin_gracefully_through_wrapper_fini(go_host, tmp_path):
    host = go_host("echo")
    marker = tmp_path / "fini.txt"
    assert host.call({"op": "init", "config": {"fini_marker": str(marker)}})["ret"] == 0
    assert once(host, "before-stop", b"x")["ret"] == 0

    stopped = host.call({"op": "shutdown"})
    assert (stopped["exited"], stopped["exit"]) == (True, ""), host.stderr()  # no SIGKILL, status 0
    assert stopped["seconds"] < 2.0  # go-plugin's grace before SIGKILL
    assert marker.read_text() == "fini called"


def test_a_failing_wrapper_init_answers_a_non_zero_ret(go_host):
    host = go_host("bad_init")
    answer = host.call({"op": "init", "config": {}})
    assert "error" not in answer and answer["ret"] != 0  # the loader stops here


def test_a_failed_operation_is_reported_and_the_host_carries_on(go_echo):
    assert go_echo.call({"op": "no-such-op"}) == {"op": "no-such-op", "error": 'unknown op "no-such-op"'}
    assert "unknown field" in go_echo.call({"op": "health", "servce": "plugin"})["error"]
    assert go_echo.call({"op": "health"})["status"] == "SERVING"


def test_bench_and_cold_modes_measure_an_echo_wrapper(go_binary, wrapper_dir):
    folder = str(wrapper_dir("echo"))
    measured = gohost.bench(
        fakehost.python_command(), folder, env=plugin_env(), count=200, warmup=20, concurrency=4, raw=True
    )
    assert (measured["count"], measured["errors"], len(measured["latencies_ms"])) == (200, 0, 200)
    assert 0 < measured["p50_ms"] <= measured["p99_ms"] and measured["rps"] > 0
    assert measured["shutdown"]["exited"] is True

    started = gohost.cold(fakehost.python_command(), folder, env=plugin_env(), runs=2)
    assert started["errors"] == 0 and len(started["runs"]) == 2
    assert 0 < started["median_handshake_ms"] <= started["median_first_result_ms"]


def test_worker_processes_answer_the_go_host_on_its_one_communicate_stream(go_host):
    host = go_host("procs", AIGES_PROCESSES="2")  # the setting as the image's environment can give it
    assert host.call({"op": "init", "config": {}})["ret"] == 0, host.stderr()
    answers = host.call(
        gohost.parallel(
            {"op": "once", "tag": "p%02d" % n, "params": {"mode": "spin", "ms": "20"}, "list": [node("text", b"x")]}
            for n in range(8)
        )
    )
    assert all(a.get("ret") == 0 for a in answers["results"]), answers
    assert len({data_of(a["list"][0]) for a in answers["results"]}) == 2  # two processes answered

    created = host.call({"op": "create", "sid": "go-sess", "params": {}})
    assert created["err_code"] == 0
    pids = set()
    for frame in (1, 2, 3):
        assert host.call({"op": "write", "handle": created["handle"], "list": [node("text", b"f")]})["ret"] == 0
        got = host.call({"op": "collect", "tag": "go-sess", "max": 1})["messages"]
        pid, frames = data_of(got[0]["list"][0]).decode().split(":")
        assert int(frames) == frame
        pids.add(pid)
    assert len(pids) == 1  # every frame reached the process that created the session
    assert host.call({"op": "destroy", "handle": created["handle"]})["ret"] == 0
