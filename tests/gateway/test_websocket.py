"""The session route: a websocket as the loader's (ack, then results with their statuses), and its refusals."""

import asyncio
import base64
import json
import urllib.error
import urllib.request
from typing import Any, Dict, List

import aiohttp

from tests.gateway.conftest import SESSION_WRAPPER, stop_gateway


def frame(data: bytes, status: int, first: bool = False) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "header": {"appid": "123456", "status": status},
        "payload": {"t": {"status": status, "text": base64.b64encode(data).decode()}},
    }
    if first:
        body["parameter"] = {"gw_stream": {"echo": {"data_type": "text"}}}
    return body


def converse(url: str, frames: List[Dict[str, Any]], until_final: bool = True) -> List[Dict[str, Any]]:
    """Send ``frames`` one by one over a real websocket; collect answers until the final one (or a close)."""

    async def talk() -> List[Dict[str, Any]]:
        answers: List[Dict[str, Any]] = []
        async with aiohttp.ClientSession() as client, client.ws_connect(url.replace("http", "ws", 1)) as ws:
            for body in frames:
                await ws.send_json(body)
            while True:
                message = await ws.receive(timeout=20)
                if message.type != aiohttp.WSMsgType.TEXT:
                    return answers
                answers.append(json.loads(message.data))
                header = answers[-1]["header"]
                if until_final and (header["code"] or header["status"] in (2, 3)):
                    return answers

    return asyncio.run(talk())


def test_a_session_gets_an_ack_then_each_result_with_its_status(serve):
    gateway = serve(SESSION_WRAPPER)
    answers = converse(gateway.url, [frame(b"ab", 0, first=True), frame(b"cd", 1), frame(b"ef", 2)])
    assert answers[0]["header"] == {"code": 0, "message": "success", "sid": answers[0]["header"]["sid"], "status": 0}
    results = answers[1:]
    assert [answer["header"]["status"] for answer in results] == [0, 1, 2]
    assert [answer["payload"]["echo"]["text"] for answer in results] == ["AB", "CD", "EF"]
    assert {answer["header"]["sid"] for answer in answers} == {answers[0]["header"]["sid"]}


def test_a_session_without_appid_is_refused_and_closed(serve):
    gateway = serve(SESSION_WRAPPER)
    body = frame(b"ab", 2, first=True)
    body["header"] = {"appId": "x", "status": 2}
    answers = converse(gateway.url, [body], until_final=False)
    assert len(answers) == 1 and answers[0]["header"]["code"] == 10009 and "'appId'" in answers[0]["hint"]


def test_a_session_result_not_named_in_parameter_is_10106(serve):
    gateway = serve(SESSION_WRAPPER)
    body = frame(b"ab", 2, first=True)
    body["parameter"] = {"gw_stream": {"other": {"data_type": "text"}}}
    answers = converse(gateway.url, [body])
    assert answers[0]["header"]["code"] == 0  # the ack comes first, as from the loader
    assert answers[-1]["header"]["code"] == 10106 and answers[-1]["header"]["message"] == "wrapper output data is nil "


def test_a_raising_write_ends_the_session_with_the_loaders_code(serve):
    gateway = serve(SESSION_WRAPPER)
    answers = converse(gateway.url, [frame(b"ab", 0, first=True), frame(b"boom", 2)])
    failure = answers[-1]
    assert failure["header"]["code"] == 10910 and failure["header"]["message"].startswith("errr;code=")
    assert "ValueError: bad frame" in failure["hint"]
    assert converse(gateway.url, [frame(b"ok", 2, first=True)])[-1]["payload"]["echo"]["text"] == "OK"


def test_post_to_a_session_route_is_404_as_in_sess_mode(serve):
    gateway = serve(SESSION_WRAPPER)
    request = urllib.request.Request(gateway.url, data=json.dumps(frame(b"a", 2, True)).encode())  # noqa: S310
    try:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback
        raise AssertionError("POST was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 404
        assert "websocket" in json.loads(error.read())["hint"]


def test_the_banner_shows_a_websocket_example_that_works(serve):
    gateway = serve(SESSION_WRAPPER)
    text = "\n".join(gateway.banner)
    assert "ws://127.0.0.1:" in text and "ws_connect" in text


def test_after_a_failed_session_sigterm_stops_the_gateway_cleanly(serve):
    gateway = serve(SESSION_WRAPPER)
    converse(gateway.url, [frame(b"ab", 0, first=True), frame(b"boom", 2)])
    stop_gateway(gateway)  # used to poll the dead session forever and hang the shutdown
    assert gateway.process.returncode == 0
