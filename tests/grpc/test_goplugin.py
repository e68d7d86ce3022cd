"""The Go plugin (tests/grpc/goplugin, the benchmark's "go" target) driven end to end by the Go host.

The Go plugin is the benchmark's yardstick, so these tests check that it serves what the loader needs
(handshake, health, wrapperInit, once requests answered on ``communicate``, Kill) over both networks,
and that it answers exactly as our server does with the benchmark's trivial wrapper. Results only,
never timings. Skipped loudly without Go or its Debian packages (failed under ``CI=true``).
"""

import base64
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping

import fakehost
import gohost
import goplugin
import pytest
import test_gohost
from conftest import REPO, plugin_env
from gohost import data_of, node

go_binary = test_gohost.go_binary  # the built Go host (a loud skip without Go)
TRIVIAL = REPO / "benchmarks" / "wrappers" / "trivial"


@pytest.fixture(scope="session")
def go_plugin(go_binary: Path) -> Path:
    return test_gohost.built(goplugin.ensure_binary, "Go plugin", "no Go yardstick for the benchmark")


def _env(**extra: str) -> Dict[str, str]:
    env = plugin_env(**extra)
    if "AIGES_LISTEN" not in extra:
        env.pop("AIGES_LISTEN", None)
    return env


@pytest.fixture
def host(go_plugin: Path, tmp_path: Path) -> Iterator[Callable[..., gohost.GoHost]]:
    """``host(command, cwd=tmp_path, **env)``: the command started by the Go host, communicate open."""
    started: List[gohost.GoHost] = []

    def start(command: str, cwd: Path = tmp_path, **env: str) -> gohost.GoHost:
        started.append(gohost.GoHost(command, str(cwd), env=_env(**env)))
        started[-1].start()
        return started[-1]

    yield start
    for one in started:
        one.close()


def once(target: gohost.GoHost, tag: str, data: bytes, **params: str) -> Dict[str, Any]:
    return target.call({"op": "once", "tag": tag, "params": params, "list": [node("text", data)]})


def _items(answer: Mapping[str, Any]) -> List[tuple]:
    return [(i["key"], data_of(i), i["len"], i["type"], i["status"], i.get("desc")) for i in answer["list"]]


@pytest.mark.parametrize("network", ["unix", "tcp"])
def test_the_go_plugin_serves_the_loader_protocol_end_to_end(host, network):
    plugin = host(goplugin.command(network))
    assert plugin.ready["ready"] is True
    address = plugin.ready["address"]
    assert address.startswith("/") if network == "unix" else address.startswith("127.0.0.1:")
    assert plugin.call({"op": "health", "service": "plugin"}) == {"op": "health", "status": "SERVING"}
    assert plugin.call({"op": "init", "config": {}}) == {"op": "init", "ret": 0}

    result = once(plugin, "sid-0001", b"hello")
    assert (result["tag"], result["ret"], result["unary_ret"]) == ("sid-0001", 0, 0), result
    assert _items(result) == [("out", b"hello", 5, 0, 3, None)]
    big = os.urandom(3 * 1024 * 1024)
    assert _items(once(plugin, "big", big)) == [("out", big, len(big), 0, 3, None)]

    payloads = {"c%02d" % n: os.urandom(1 + n * 97) for n in range(32)}
    answers = plugin.call(
        gohost.parallel({"op": "once", "tag": tag, "list": [node("text", data)]} for tag, data in payloads.items())
    )
    assert {a["tag"]: (a["ret"], [data_of(i) for i in a["list"]]) for a in answers["results"]} == {
        tag: (0, [data]) for tag, data in payloads.items()
    }

    stopped = plugin.call({"op": "shutdown"})
    assert (stopped["exited"], stopped["exit"]) == (True, ""), plugin.stderr()


def test_aiges_listen_chooses_the_network_as_it_does_for_our_server(host):
    plugin = host(goplugin.command(), AIGES_LISTEN="tcp")
    host_part, port = plugin.ready["address"].rsplit(":", 1)
    assert host_part == "127.0.0.1" and 10000 <= int(port) <= 25000  # go-plugin's PLUGIN_MIN/MAX_PORT
    assert host(goplugin.command()).ready["address"].startswith("/")  # unset: a unix socket


def test_the_go_plugin_answers_exactly_as_ours_does_with_the_trivial_wrapper(host, tmp_path):
    script: List[Dict[str, Any]] = [
        {"op": "once", "tag": "early", "list": [node("text", b"too soon")]},
        {"op": "init", "config": {}},
        {"op": "health", "service": ""},
        {"op": "once", "tag": "t1", "params": {"sid": "t1"}, "list": [node("text", b"\x00\xffbinary")]},
        {"op": "once", "tag": "t2", "params": {"sleep_ms": "5"}, "list": [node("text", b"late")]},
        {"op": "once", "tag": "t3", "list": []},
        {"op": "once", "tag": "t4", "list": [node("text", b"first"), node("more", b"second")]},
    ]

    def answers(plugin: gohost.GoHost) -> List[Dict[str, Any]]:
        got = []
        for op in script:
            answer = plugin.call(op)
            answer.pop("elapsed_ms", None)
            got.append(answer)
        return got

    ours = answers(host(fakehost.python_command(), cwd=Path(shutil.copytree(str(TRIVIAL), str(tmp_path / "trivial")))))
    go = answers(host(goplugin.command()))
    assert go == ours
    assert base64.b64decode(go[3]["list"][0]["data"]) == b"\x00\xffbinary"


@pytest.mark.parametrize("network", ["unix", "tcp"])
def test_the_go_host_benchmarks_the_go_plugin(go_plugin, network):
    measured = gohost.bench(
        goplugin.command(network), env=_env(), count=300, warmup=20, concurrency=4, params={"sleep_ms": "0"}
    )
    assert (measured["completed"], measured["errors"]) == (300, 0), measured.get("first_error")
    assert measured["shutdown"]["exited"] is True
    started = gohost.cold(goplugin.command(network), env=_env(), runs=2)
    assert started["errors"] == 0 and len(started["runs"]) == 2
