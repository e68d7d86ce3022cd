"""The built-in HTTP/2 transport as nghttp2's client tools see it: one more independent peer.

``nghttp`` (a frame-accurate HTTP/2 client) makes a gRPC health check and shows the response and its
trailers; ``h2load`` (nghttp2's load generator) sends thousands of them over several connections with
many streams in flight, and many connections at once against the connection limit. The tools come from
Debian's ``nghttp2-client`` (installed by ``.ci/go-setup.sh``); without them these tests are skipped
loudly, and with ``CI=true`` they fail instead.
"""

import os
import re
import shutil
import subprocess

import pytest
from conftest import text
from h2client import grpc_message
from test_h2_protocol import CHECK, CheckRequest


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def tools():
    missing = [tool for tool in ("nghttp", "h2load") if shutil.which(tool) is None]
    if missing:
        reason = "%s not found (Debian package nghttp2-client; bash .ci/go-setup.sh installs it)" % ", ".join(missing)
        if _ci():
            pytest.fail("CI=true, so the nghttp2 peer tests must run, but " + reason, pytrace=False)
        pytest.skip("NGHTTP2 PEER TESTS SKIPPED: " + reason)
    return {tool: shutil.which(tool) for tool in ("nghttp", "h2load")}


@pytest.fixture
def body(tmp_path):
    path = tmp_path / "check.bin"
    path.write_bytes(grpc_message(CheckRequest(service="plugin").SerializeToString()))
    return path


def url(plugin):
    return "http://%s%s" % (plugin.address, CHECK)


GRPC_HEADERS = ["-H", "content-type: application/grpc", "-H", "te: trailers"]


def h2load(tools, plugin, body, *options):
    done = subprocess.run(
        [tools["h2load"], *options, "-d", str(body), *GRPC_HEADERS, url(plugin)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
        r"(\d+) errored",
        done.stdout,
    )
    assert found, done.stdout + done.stderr
    total, _, finished, succeeded, failed, errored = (int(value) for value in found.groups())
    return {
        "total": total,
        "done": finished,
        "succeeded": succeeded,
        "failed": failed,
        "errored": errored,
        "output": done.stdout,
    }


@pytest.fixture
def echo(wrapper_dir, spawn):
    """The echo plugin on 127.0.0.1: nghttp and h2load speak HTTP/2 over TCP only."""
    plugin = spawn(wrapper_dir("echo"), AIGES_LISTEN="tcp")
    assert plugin.init({}) == 0, plugin.stderr()
    return plugin


def test_nghttp_gets_a_grpc_answer_with_its_trailers(tools, echo, body):
    done = subprocess.run(
        [tools["nghttp"], "-v", "-d", str(body), *GRPC_HEADERS, url(echo)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"recv \(stream_id=\d+\) :status: 200", done.stdout), done.stdout
    assert re.search(r"recv \(stream_id=\d+\) grpc-status: 0", done.stdout), done.stdout  # the trailers
    assert "SETTINGS_MAX_HEADER_LIST_SIZE" in done.stdout  # our limits are advertised


def test_h2load_thousands_of_calls_over_several_connections_all_succeed(tools, echo, body):
    result = h2load(tools, echo, body, "-n", "4000", "-c", "4", "-m", "50")
    assert result["succeeded"] == result["total"] == 4000, result["output"]
    assert echo.exec_once("after-h2load", text(b"owner")).list[0].data == b"owner"


def test_h2load_beyond_the_connection_limit_is_refused_and_the_owner_is_served(tools, wrapper_dir, spawn, body):
    plugin = spawn(wrapper_dir("echo"), args=["--max-connections", "3"], AIGES_LISTEN="tcp")  # the owner holds one
    assert plugin.init({}) == 0
    result = h2load(tools, plugin, body, "-n", "400", "-c", "20", "-m", "10")
    assert 0 < result["succeeded"] < result["total"], result["output"]  # two clients' share got through
    assert "connection limit (3) reached" in plugin.stderr()
    assert plugin.exec_once("after-the-limit", text(b"owner")).list[0].data == b"owner"
