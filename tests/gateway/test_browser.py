"""The web page at ``/`` in a real browser (Debian's chromium driven by playwright): fill, send, see the answer.

Without chromium (``apt-get install -y chromium``, see .ci/browser-setup.sh) or playwright these tests
are skipped with the reason; with ``CI=true`` they fail instead, as the Docker tests do.
"""

import os
import struct
import zlib
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.gateway.conftest import ONCE_WRAPPER

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true, so the browser tests must run, but %s" % reason, pytrace=False)
    pytest.skip("browser tests skipped: %s" % reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (it is in the test group)")
    if not CHROMIUM.exists():
        _unavailable("%s is missing (apt-get install -y chromium)" % CHROMIUM)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


def png(width: int, height: int) -> bytes:
    """A real (tiny, grey) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


IMAGE_WRAPPER = """
from aiges.dto import Response, ResponseData
from aiges.core.types import DataImage
from aiges.sdk import ImageBodyField, WrapperBase

class Req:
    picture = ImageBodyField(key="picture", path="sample.png", encoding="png")

class Resp:
    thumb = ImageBodyField(key="thumb", encoding="png")

class Wrapper(WrapperBase):
    serviceId = "gw_image"
    version = "v1"
    requestCls = Req()
    responseCls = Resp()

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        return Response(list=[ResponseData("thumb", bytes(reqData.list[0].data), 0, DataImage)])
"""


def test_the_form_sends_the_request_and_shows_the_json_answer(serve, browser):
    gateway = serve(ONCE_WRAPPER)
    page = browser.new_page()
    page.goto(gateway.base + "/")
    assert page.locator("#param-mode").evaluate("el => el.tagName") == "SELECT"  # enums as a select
    assert page.locator("#param-n").get_attribute("max") == "10"  # bounds as min/max
    page.fill("#input-t", "from the browser")
    page.click("#send")
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    assert page.text_content("#status") == "success"
    assert "FROM THE BROWSER" in page.text_content("#answer")
    page.close()


def test_an_error_shows_its_code_and_text(serve, browser):
    gateway = serve(ONCE_WRAPPER)
    page = browser.new_page()
    page.goto(gateway.base + "/")
    page.select_option("#param-mode", "raise")
    page.click("#send")
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    status = page.text_content("#status")
    assert "error 10910" in status and "errr;code=30003" in status and "the model exploded" in status
    page.close()


def test_an_image_answer_shows_as_an_image(serve, browser, tmp_path):
    (tmp_path / "sample.png").write_bytes(png(7, 5))
    gateway = serve(IMAGE_WRAPPER.replace("sample.png", str(tmp_path / "sample.png")))
    page = browser.new_page()
    page.goto(gateway.base + "/")
    assert page.locator("#input-picture").get_attribute("type") == "file"
    page.click("#send")
    image = page.locator('img[data-output="thumb"]')
    image.wait_for()
    page.wait_for_function("document.querySelector('img[data-output=thumb]').complete")
    assert image.evaluate("el => [el.naturalWidth, el.naturalHeight]") == [7, 5]
    page.close()


def test_a_session_plugin_page_talks_over_the_websocket(serve, browser):
    from tests.gateway.conftest import SESSION_WRAPPER

    gateway = serve(SESSION_WRAPPER)
    page = browser.new_page()
    page.goto(gateway.base + "/")
    page.fill("#input-t", "stream me")
    page.click("#send")
    page.wait_for_function("document.getElementById('answer').textContent.includes('STREAM ME')")
    assert page.text_content("#status") == "success"
    page.close()


AUDIO_WRAPPER = """
import io, wave
from aiges.dto import Response, ResponseData
from aiges.core.types import DataAudio
from aiges.sdk import AudioBodyField, StringBodyField, WrapperBase

class Req:
    t = StringBodyField(key="t", value=b"beep")

class Resp:
    speech = AudioBodyField(key="speech", encoding="raw")

class Wrapper(WrapperBase):
    serviceId = "gw_audio"
    version = "v1"
    requestCls = Req()
    responseCls = Resp()

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        out = io.BytesIO()
        with wave.open(out, "wb") as sound:
            sound.setnchannels(1)
            sound.setsampwidth(2)
            sound.setframerate(8000)
            sound.writeframes(bytes(1600))
        return Response(list=[ResponseData("speech", out.getvalue(), 0, DataAudio)])
"""


def test_an_audio_answer_shows_as_a_player(serve, browser):
    gateway = serve(AUDIO_WRAPPER)
    page = browser.new_page()
    page.goto(gateway.base + "/")
    page.click("#send")
    player = page.locator('audio[data-output="speech"]')
    player.wait_for(state="attached")
    assert player.evaluate("el => el.controls && el.src.startsWith('data:audio/wav;base64,UklGR')")
    page.close()


TYPED_WRAPPER = """
import json
from aiges.dto import Response, ResponseData
from aiges.sdk import (BooleanParamField, IntegerParamField, NumberParamField, StringBodyField, StringParamField,
                       WrapperBase)

class Req:
    flag = BooleanParamField(key="flag", description="turn it on")
    ratio = NumberParamField(key="ratio", value=0.5, minimum=0, maximum=1)
    level = IntegerParamField(key="level", value=2, enums=[1, 2, 3])
    label = StringParamField(key="label", value="ab", maxLength=5)
    t = StringBodyField(key="t", value=b"hi")

class Resp:
    out = StringBodyField(key="out")

class Wrapper(WrapperBase):
    serviceId = "gw_typed"
    version = "v1"
    requestCls = Req()
    responseCls = Resp()

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        return Response(list=[ResponseData("out", json.dumps(dict(params)).encode())])
"""


def test_the_typed_controls_send_what_the_schema_allows(serve, browser):
    from aiges.tools.gateway.envelope import go_float

    gateway = serve(TYPED_WRAPPER)
    page = browser.new_page()
    page.goto(gateway.base + "/")
    assert page.text_content("#hint-param-flag") == "turn it on"  # the schema's description as a hint
    assert page.locator("#param-ratio").evaluate("el => [el.min, el.max, el.step, el.value]") == [
        "0",
        "1",
        "any",
        "0.5",
    ]
    page.check("#param-flag")
    page.fill("#param-ratio", "0.25")
    page.select_option("#param-level", "3")
    page.fill("#param-label", "")
    page.locator("#param-label").press_sequentially("abcdefgh")  # typed: maxlength 5 keeps "abcde"
    page.click("#send")
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    assert page.text_content("#status") == "success"
    answer = page.text_content("#answer")
    assert '"flag": "true"' in answer and '"label": "abcde"' in answer
    assert '"ratio": "%s"' % go_float(0.25) in answer and '"level": "%s"' % go_float(3) in answer
    page.close()
