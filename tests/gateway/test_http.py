"""The once route: what the loader accepts, its success body, and its refusals with their codes (spec 4.5, 13.4)."""

import json
import subprocess
import sys

from tests.conftest import runtime_env
from tests.gateway.conftest import ONCE_WRAPPER, once_body
from tests.loader_requests import http_request_problems


def test_a_request_the_loader_accepts_gets_the_loaders_success_body(serve):
    gateway = serve(ONCE_WRAPPER)
    status, answer = gateway.post(once_body())
    assert status == 200
    assert answer["header"]["code"] == 0 and answer["header"]["message"] == "success"
    assert answer["header"]["status"] == 3 and answer["header"]["sid"]
    out = answer["payload"]["out"]
    assert out["seq"] == "0" and out["status"] == "3" and out["encoding"] == "utf8"
    result = json.loads(out["text"])  # text outputs come back raw, not base64
    assert result["text"] == "HELLO"


def test_params_reach_the_wrapper_as_the_loader_passes_them(serve):
    gateway = serve(ONCE_WRAPPER)
    body = once_body()
    body["parameter"]["gw_once"]["flag"] = True
    _, answer = gateway.post(body)
    params = json.loads(answer["payload"]["out"]["text"])["params"]
    assert params["n"] == "6755399441055744p-51"  # Go's %b form of 3 (spec 13.4)
    assert params["flag"] == "true" and params["mode"] == "echo"
    assert params["sid"] == answer["header"]["sid"]


def test_missing_appid_is_refused_with_a_hint_naming_the_key(serve):
    gateway = serve(ONCE_WRAPPER)
    status, answer = gateway.post(once_body(header={"app_id": "123456"}))
    assert status == 500 and answer["payload"] is None
    assert answer["header"]["code"] == 10009
    assert "appid" in answer["hint"] and "'app_id'" in answer["hint"]


def test_outputs_not_named_in_parameter_are_10106_output_nil(serve):
    gateway = serve(ONCE_WRAPPER)
    status, answer = gateway.post(once_body(parameter={"gw_once": {"mode": "echo"}}))
    assert status == 500
    assert answer["header"] == {"code": 10106, "message": "wrapper output data is nil ", "sid": answer["header"]["sid"]}
    assert "parameter.gw_once" in answer["hint"] and '"out"' in answer["hint"]


def test_an_output_without_data_type_is_10106_invalid(serve):
    gateway = serve(ONCE_WRAPPER)
    status, answer = gateway.post(once_body(parameter={"gw_once": {"out": {"encoding": "utf8"}}}))
    assert status == 500
    assert answer["header"]["code"] == 10106
    assert answer["header"]["message"] == "wrapper output data invalid(key or type)"
    assert "data_type" in answer["hint"]


def test_an_output_asked_with_another_type_is_10106_invalid(serve):
    gateway = serve(ONCE_WRAPPER)
    _, answer = gateway.post(once_body(parameter={"gw_once": {"out": {"data_type": "image"}}}))
    assert answer["header"]["code"] == 10106 and "image" in answer["hint"]


def test_bad_base64_is_refused_naming_the_field(serve):
    gateway = serve(ONCE_WRAPPER)
    status, answer = gateway.post(once_body(payload={"t": {"status": 3, "text": "not base64!"}}))
    assert status == 500 and answer["header"]["code"] == 10009
    assert "payload.t.text" in answer["hint"] and "base64" in answer["hint"]


def test_a_body_that_is_not_json_is_refused(serve):
    gateway = serve(ONCE_WRAPPER)
    status, answer = gateway.post(b"{not json", raw=True)
    assert status == 500 and answer["header"]["code"] == 10009 and "not JSON" in answer["hint"]


def test_a_missing_payload_is_refused(serve):
    gateway = serve(ONCE_WRAPPER)
    body = once_body()
    del body["payload"]
    _, answer = gateway.post(body)
    assert answer["header"]["code"] == 10009 and "payload" in answer["hint"]


def test_a_raising_wrapper_answers_errr_code_30003_and_the_server_stays_up(serve):
    gateway = serve(ONCE_WRAPPER)
    body = once_body()
    body["parameter"]["gw_once"]["mode"] = "raise"
    status, answer = gateway.post(body)
    assert status == 500
    assert answer["header"]["code"] == 10910 and answer["header"]["message"] == "errr;code=30003"
    assert "RuntimeError: the model exploded" in answer["hint"]
    assert gateway.post(once_body())[1]["header"]["code"] == 0


def test_the_example_request_is_one_the_loader_accepts(serve):
    gateway = serve(ONCE_WRAPPER)
    folder = gateway.process.args[4]
    printed = subprocess.run(
        [sys.executable, "-m", "aiges", "schema", folder, "--request"],
        env=runtime_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    body = json.loads(printed)
    assert http_request_problems(body, "gw_once", {"out": "text"}) == []
    assert gateway.post(body)[1]["header"]["code"] == 0


def test_the_banner_shows_a_curl_command_that_works(serve):
    gateway = serve(ONCE_WRAPPER)
    inline = [line for line in gateway.banner if line.startswith("curl ")]
    assert inline, gateway.banner
    answer = json.loads(
        subprocess.run(  # noqa: S602
            inline[0], shell=True, capture_output=True, text=True, check=True
        ).stdout
    )
    assert answer["header"]["code"] == 0 and json.loads(answer["payload"]["out"]["text"])["text"] == "HELLO"


def test_without_aiohttp_the_command_says_what_to_install(tmp_path):
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "aiohttp.py").write_text("raise ImportError('No module named aiohttp')\n")
    (tmp_path / "wrapper.py").write_text(ONCE_WRAPPER)
    env = runtime_env()
    env["PYTHONPATH"] = "%s:%s" % (blocker, env["PYTHONPATH"])
    result = subprocess.run(
        [sys.executable, "-m", "aiges", "gateway", str(tmp_path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "python -m aiges gateway needs aiohttp (a development requirement): pip install -r requirements-dev.txt"
    )


ASYNC_WRAPPER = """
import threading
from aiges.dto import Response, ResponseData, callback
from aiges.sdk import StringBodyField, WrapperBase

class Req:
    t = StringBodyField(key="t", value=b"hello")

class Resp:
    out = StringBodyField(key="out")

class Wrapper(WrapperBase):
    serviceId = "gw_once"
    version = "v1"
    requestCls = Req()
    responseCls = Resp()

    def wrapperOnceExecAsync(self, params, reqData, usrTag="", persId=0):
        data = bytes(reqData.list[0].data)
        threading.Thread(target=lambda: callback(Response(list=[ResponseData("out", data[::-1])]), usrTag)).start()
        return 0
"""


def test_an_async_wrapper_answers_through_its_callback(serve):
    gateway = serve(ASYNC_WRAPPER)
    status, answer = gateway.post(once_body())
    assert status == 200 and answer["payload"]["out"]["text"] == "olleh"


def test_a_wrapper_that_never_answers_gets_the_loaders_once_timeout(tmp_path):
    from tests.gateway.conftest import start_gateway, stop_gateway

    (tmp_path / "wrapper.py").write_text(
        ONCE_WRAPPER.replace(
            'if params.get("mode") == "raise":',
            'if params.get("mode") == "raise":\n            import time; time.sleep(600)',
        )
    )
    gateway = start_gateway(tmp_path, "--timeout", "1")
    try:
        body = once_body()
        body["parameter"]["gw_once"]["mode"] = "raise"
        status, answer = gateway.post(body)
        assert status == 500 and answer["header"]["code"] == 10102 and "--timeout" in answer["hint"]
        assert gateway.post(once_body())[1]["header"]["code"] == 0  # the server is not stuck behind it
    finally:
        stop_gateway(gateway)
