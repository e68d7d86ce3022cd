{% set stream = cookiecutter.session_mode == "stream" %}
{% set example = cookiecutter.example %}
"""The example's behaviour, called the way the loader calls it: config and params as strings, bytes in.

These checks are about the starter example only: delete this file with the example's code when your model
replaces it (the other tests stay meaningful for any plugin)."""
from __future__ import annotations

{% if example == "image" %}
import hashlib
{% endif %}
{% if example == "audio" %}
import io
{% endif %}
import json
{% if example == "audio" %}
import math
{% endif %}
{% if example != "text" %}
import struct
{% endif %}
import subprocess
import sys
{% if example == "audio" %}
import wave
{% endif %}
from pathlib import Path
from typing import Any

import pytest
{% if stream %}
from aiges.callback import install_sink
{% endif %}
{% set data_type = {"text": "DataText", "image": "DataImage", "audio": "DataAudio"}[example] %}
{% set statuses = ["DataBegin", "DataContinue", "DataEnd"] if stream else [] %}
from aiges.core.types import {{ (statuses + ["DataOnce", data_type]) | sort(case_sensitive=true) | join(", ") }}
from aiges.dto import DataListCls, DataListNode

import wrapper
from wrapper import Errors, Wrapper

KEY = "{{ example }}"
ENUM_PARAM = "{{ {'text': 'mode', 'image': 'algorithm', 'audio': 'channel'}[example] }}"
DATA_TYPE = {{ data_type }}
SAMPLE = Path(wrapper.__file__).parent / "test_data" / "{{ {"text": "sample.txt", "image": "sample.png", "audio": "sample.wav"}[example] }}"


@pytest.fixture
def plugin() -> Any:
    """A Wrapper initialised as the loader does: the config values arrive as strings."""
    instance = Wrapper()
    assert instance.wrapperInit({key: str(value) for key, value in Wrapper.config.items()}) == 0
    yield instance
    assert instance.wrapperFini() == 0


def request(data: bytes, status: int = DataOnce) -> DataListCls:
    return DataListCls([DataListNode(KEY, data, len(data), DATA_TYPE, status)])


def once(plugin: Any, data: bytes, **params: str) -> Any:
    return plugin.wrapperOnceExec({"sid": "test-1", **params}, request(data), "test-1", 0)


def result_of(response: Any) -> dict[str, Any]:
    """The JSON document of a successful once response, after the checks the loader makes."""
    assert response.error_code == 0, f"error {response.error_code}"
    (node,) = response.list
    assert (node.key, node.status) == ("result", DataOnce)
    assert isinstance(node.data, bytes) and node.len == len(node.data)
    return json.loads(node.data)


def error_of(plugin: Any, response: Any) -> int:
    assert response.error_code != 0, "the request was expected to be refused"
    assert plugin.wrapperError(response.error_code)
    return response.error_code


def test_every_method_the_loader_looks_up_exists() -> None:
    for name in ("wrapperInit", "wrapperFini", "wrapperOnceExec", "wrapperOnceExecAsync", "wrapperError",
                 "wrapperLoadRes", "wrapperUnloadRes", "wrapperCreate", "wrapperWrite", "wrapperRead",
                 "wrapperDestroy", "wrapperTestFunc"):
        assert callable(getattr(Wrapper(), name)), name


def test_missing_input_is_refused(plugin: Any) -> None:
    response = plugin.wrapperOnceExec({}, DataListCls([]), "test-1", 0)
    assert error_of(plugin, response) == Errors.NO_INPUT


def test_bad_init_config_fails_init() -> None:
    assert Wrapper().wrapperInit({key: "many" for key in Wrapper.config}) != 0
{% if example == "text" %}


def test_sample_text_statistics(plugin: Any) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    document = result_of(once(plugin, SAMPLE.read_bytes()))
    assert document["text"] == text.upper()
    assert document["characters"] == len(text)
    assert document["lines"] == len(text.splitlines())
    assert document["top_words"][0] == ["the", 4]
    assert len(document["top_words"]) == 5


@pytest.mark.parametrize(("mode", "expected"), [("lower", "ab c"), ("title", "Ab C"), ("reverse", "c Ba")])
def test_modes(plugin: Any, mode: str, expected: str) -> None:
    assert result_of(once(plugin, b"aB c", mode=mode))["text"] == expected


def test_params_arrive_as_strings_even_in_the_loaders_float_form(plugin: Any) -> None:
    # the loader sends the number 2 as Go's FormatFloat('b') text: 2**52 * 2**-51
    document = result_of(once(plugin, b"a b c a b a", top="4503599627370496p-51", case_sensitive="true"))
    assert document["top_words"] == [["a", 3], ["b", 2]]


@pytest.mark.parametrize("params", [{"mode": "shout"}, {"top": "0"}, {"top": "2.5"}, {"top": "many"}])
def test_bad_params_are_refused(plugin: Any, params: dict[str, str]) -> None:
    assert error_of(plugin, once(plugin, b"text", **params)) == Errors.BAD_PARAM


def test_text_that_is_not_utf8_is_refused(plugin: Any) -> None:
    assert error_of(plugin, once(plugin, "café".encode("latin-1"))) == Errors.BAD_INPUT


def test_text_over_the_configured_limit_is_refused() -> None:
    plugin = Wrapper()
    assert plugin.wrapperInit({"max_chars": "3", "max_sessions": "1"}) == 0
    assert error_of(plugin, once(plugin, b"four")) == Errors.TOO_LARGE
{% elif example == "image" %}


def jpeg(width: int, height: int) -> bytes:
    """The head of a baseline JPEG: SOI, an APP0 segment, then SOF0 with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def test_sample_png(plugin: Any) -> None:
    data = SAMPLE.read_bytes()
    document = result_of(once(plugin, data))
    assert (document["format"], document["width"], document["height"]) == ("png", 64, 48)
    assert document["bytes"] == len(data)
    assert document["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("data", "expected"), [
    (jpeg(640, 480), ("jpeg", 640, 480)),
    (b"GIF89a" + struct.pack("<HH", 3, 2) + b"\x00" * 8, ("gif", 3, 2)),
    (b"BM" + b"\x00" * 16 + struct.pack("<ii", 5, -7) + b"\x00" * 28, ("bmp", 5, 7)),
])
def test_other_formats(plugin: Any, data: bytes, expected: tuple) -> None:
    document = result_of(once(plugin, data, algorithm="md5"))
    assert (document["format"], document["width"], document["height"]) == expected
    assert document["md5"] == hashlib.md5(data).hexdigest()


def test_params_arrive_as_strings(plugin: Any) -> None:
    document = result_of(once(plugin, SAMPLE.read_bytes(), include_digest="false", max_megapixels="0.5"))
    assert "sha256" not in document


@pytest.mark.parametrize(("params", "code"), [
    ({"algorithm": "crc32"}, Errors.BAD_PARAM),
    ({"max_megapixels": "1000"}, Errors.BAD_PARAM),
    ({"min_side": "many"}, Errors.BAD_PARAM),
    ({"max_megapixels": "0.001"}, Errors.BAD_PARAM),
    ({"min_side": "49"}, Errors.BAD_INPUT),
])
def test_refusals(plugin: Any, params: dict[str, str], code: int) -> None:
    assert error_of(plugin, once(plugin, SAMPLE.read_bytes(), **params)) == code


def test_images_over_max_megapixels_are_refused(plugin: Any) -> None:
    assert error_of(plugin, once(plugin, jpeg(4000, 3000), max_megapixels="10")) == Errors.TOO_LARGE


def test_data_that_is_not_an_image_is_refused(plugin: Any) -> None:
    assert error_of(plugin, once(plugin, b"hello")) == Errors.BAD_INPUT
{% else %}


def wav(samples: list[int], channels: int = 1, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


def test_sample_wav(plugin: Any) -> None:
    document = result_of(once(plugin, SAMPLE.read_bytes()))
    assert (document["container"], document["sample_rate"], document["channels"], document["bits"]) == (
        "wav", 16000, 1, 16)
    assert document["duration_seconds"] == pytest.approx(1.0)
    assert document["peak"] == pytest.approx(0.5, abs=1e-3)
    assert document["rms"] == pytest.approx(0.5 / math.sqrt(2), abs=5e-3)
    assert document["active_ratio"] == 1.0


def test_raw_pcm_is_read_in_the_declared_format(plugin: Any) -> None:
    pcm = struct.pack("<4h", 0, 16384, 0, -16384)
    document = result_of(once(plugin, pcm))
    assert (document["container"], document["frames"], document["peak"]) == ("raw", 4, 0.5)


def test_silence_and_windows(plugin: Any) -> None:
    document = result_of(once(plugin, wav([0] * 1600), window_ms="50", include_windows="true"))
    assert (document["rms"], document["rms_dbfs"], document["active_ratio"]) == (0.0, None, 0.0)
    assert document["windows"] == [0.0, 0.0]


@pytest.mark.parametrize(("channel", "peak"), [("left", 0.25), ("right", 0.5), ("mix", 0.375)])
def test_stereo_channels(plugin: Any, channel: str, peak: float) -> None:
    document = result_of(once(plugin, wav([8192, 16384] * 10, channels=2), channel=channel))
    assert (document["channels"], document["frames"], document["peak"]) == (2, 10, peak)


@pytest.mark.parametrize("params", [{"channel": "center"}, {"window_ms": "5"}, {"silence_threshold": "2"},
                                    {"window_ms": "7.5"}])
def test_bad_params_are_refused(plugin: Any, params: dict[str, str]) -> None:
    assert error_of(plugin, once(plugin, SAMPLE.read_bytes(), **params)) == Errors.BAD_PARAM


def test_broken_wav_is_refused(plugin: Any) -> None:
    assert error_of(plugin, once(plugin, SAMPLE.read_bytes()[:30])) == Errors.BAD_INPUT


def test_audio_over_the_configured_limit_is_refused() -> None:
    plugin = Wrapper()
    assert plugin.wrapperInit({"max_seconds": "0", "max_sessions": "1"}) == 0
    assert error_of(plugin, once(plugin, SAMPLE.read_bytes())) == Errors.TOO_LARGE
{% endif %}
{% if stream %}


class Results:
    """Collects what the plugin delivers through callback(response, usrTag)."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, Any]] = []

    def __call__(self, response: Any, tag: str) -> None:
        self.delivered.append((tag, response))

    def __enter__(self) -> Results:
        self.previous = install_sink(self)
        return self

    def __exit__(self, *_: Any) -> None:
        install_sink(self.previous)


def session(plugin: Any, data: bytes, size: int, **params: str) -> list[tuple[int, dict[str, Any]]]:
    """A whole session: frames of ``size`` bytes (begin, continue..., end); (status, document) per result."""
    created = plugin.wrapperCreate({"sid": "sid-1", **params}, "sid-1", 0, "tag-1")
    assert (created.error_code, bool(created.handle)) == (0, True)
    chunks = [data[start:start + size] for start in range(0, len(data), size)]
    with Results() as results:
        for index, chunk in enumerate(chunks):
            status = DataEnd if index == len(chunks) - 1 else (DataBegin if index == 0 else DataContinue)
            assert plugin.wrapperWrite(created.handle, request(chunk, status), "sid-1") == 0
        assert plugin.wrapperWrite(created.handle, request(b"", DataEnd)) == Errors.SESSION_ENDED
    assert len(plugin.wrapperRead(created.handle).list) == 0  # everything went through callback
    assert plugin.wrapperDestroy(created.handle) == 0
    documents = []
    for tag, response in results.delivered:
        (node,) = response.list
        assert (tag, node.key, response.error_code) == ("tag-1", "result", 0)
        documents.append((node.status, json.loads(node.data)))
    return documents


def test_session_delivers_begin_continue_end_and_the_same_summary_as_once(plugin: Any) -> None:
    data = SAMPLE.read_bytes()
    results = session(plugin, data, size=7)  # 7 bytes: frames split characters, headers and samples
    statuses = [status for status, _ in results]
    assert statuses[0] == DataBegin and statuses[-1] == DataEnd
    assert set(statuses[1:-1]) <= {DataContinue}
    assert [document["frame"] for _, document in results] == list(range(len(results)))
    final = dict(results[-1][1])
    del final["frame"]
{% if example == "image" %}
    assert results[len(results) // 2][1]["width"] == 64  # the size is reported once the header has arrived
{% endif %}
{% if example == "text" %}
    del final["piece"]
    assert "".join(document["piece"] for _, document in results) == data.decode("utf-8").upper()
{% endif %}
    assert final == result_of(once(plugin, data))


def test_single_frame_session_ends_at_once(plugin: Any) -> None:
    created = plugin.wrapperCreate({}, "sid-2", 0, "tag-2")
    with Results() as results:
        assert plugin.wrapperWrite(created.handle, request(SAMPLE.read_bytes(), DataEnd)) == 0
    assert [response.list[0].status for _, response in results.delivered] == [DataEnd]
    assert plugin.wrapperDestroy(created.handle) == 0


def test_session_refusals(plugin: Any) -> None:
    refused = plugin.wrapperCreate({ENUM_PARAM: "nonsense"}, "sid-3")
    assert (refused.handle, refused.error_code) == ("", Errors.BAD_PARAM)
    assert plugin.wrapperWrite("no-such-handle", request(b"x")) == Errors.NO_SESSION
{% endif %}


def test_the_local_run_answers_the_sample(tmp_path: Path) -> None:
    root = Path(wrapper.__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-m", "aiges", "run", "--output", str(tmp_path)], cwd=root,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    final = json.loads((tmp_path / summary["outputs"][-1]).read_bytes())
{% if cookiecutter.example == "text" %}
    assert final["mode"] == "upper"
    assert final["text"] == final["text"].upper()
    assert final["words"] > 0
{% elif cookiecutter.example == "image" %}
    assert (final["format"], final["width"], final["height"]) == ("png", 64, 48)
{% else %}
    assert (final["sample_rate"], final["channels"], final["bits"]) == (16000, 1, 16)
    assert final["duration_seconds"] == pytest.approx(1.0)
{% endif %}
