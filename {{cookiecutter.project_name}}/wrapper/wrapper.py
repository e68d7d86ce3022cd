{% set stream = cookiecutter.session_mode == "stream" %}
{% set example = cookiecutter.example %}
# {{ cookiecutter.project_name }}: {{ cookiecutter.description }}
# Author: {{ cookiecutter.author }}
"""The plugin the AIGES loader runs: module ``wrapper``, class ``Wrapper``.

The loader imports this file, builds ``Wrapper()`` and calls, in this order:
``wrapperInit(config)`` once, then for every request
{% if stream %}
``wrapperCreate`` (open a session), ``wrapperWrite`` per frame (results go back through
``callback(response, usrTag)``), ``wrapperDestroy``; ``wrapperOnceExec`` answers one-shot requests;
{% else %}
``wrapperOnceExec(params, reqData)`` returning a ``Response``;
{% endif %}
``wrapperFini()`` at shutdown. ``wrapperError(code)`` turns a non-zero code into a message.

``UserRequest``/``UserResponse`` declare the params and payloads: ``python -m aiges render``
turns them into schema.json, aiges.toml and xtest.toml, so edit the declarations here and
re-render instead of editing those files. Params arrive as strings in production, so read them
with ``read_param`` (it parses them with the field's ``from_wire``).

Try it: ``python -m aiges run`` from the project root. Your model replaces the example
({% if example == "text" %}text statistics{% elif example == "image" %}image header parsing{% else %}WAV level measurement{% endif %}): load it in ``wrapperInit`` (never at import time) and call
it from ``analyse``{% if stream %} and ``Analysis.frame``{% endif %}.
"""
from __future__ import annotations

{% if example == "text" %}
import codecs
{% elif example == "image" %}
import hashlib
{% endif %}
import json
{% if example == "audio" %}
import math
{% elif example == "text" %}
import re
{% endif %}
{% if example != "text" %}
import struct
{% endif %}
{% if example == "audio" %}
import sys
{% endif %}
{% if stream %}
import threading
{% endif %}
{% if example == "audio" %}
from array import array
{% elif example == "text" %}
from collections import Counter
{% endif %}
from typing import Any

from aiges.core.types import {% if stream %}DataBegin, DataContinue, DataEnd, {% endif %}DataOnce, DataText
from aiges.sdk import (
{% if example == "audio" %}
    AudioBodyField,
{% endif %}
    BooleanParamField,
{% if example == "image" %}
    ImageBodyField,
{% endif %}
    IntegerParamField,
    JsonBodyField,
{% if example != "text" %}
    NumberParamField,
{% endif %}
    ParamField,
{% if example == "text" %}
    StringBodyField,
{% endif %}
    StringParamField,
    WrapperBase,
)
from aiges.utils.log import log

try:  # inside the loader's C wrapper (cgo mode) these classes come from the embedded module
    from aiges_embed import Response, ResponseData{% if stream %}, SessionCreateResponse, callback{% endif %}

except ImportError:  # gRPC mode, local runs and tests
    from aiges.dto import Response, ResponseData{% if stream %}, SessionCreateResponse, callback{% endif %}


# Error codes this plugin returns; the loader asks wrapperError(code) for the message.
ERROR_BAD_PARAM = 1001
ERROR_NO_INPUT = 1002
ERROR_BAD_INPUT = 1003
ERROR_TOO_LARGE = 1004
ERROR_BAD_CONFIG = 1005
{% if stream %}
ERROR_NO_SESSION = 1006
ERROR_SESSION_ENDED = 1007
ERROR_BUSY = 1008
{% endif %}
ERRORS = {
    ERROR_BAD_PARAM: "invalid parameter",
    ERROR_NO_INPUT: "the request carries no input data",
    ERROR_BAD_INPUT: "the input data cannot be read",
    ERROR_TOO_LARGE: "the input is larger than this service accepts",
    ERROR_BAD_CONFIG: "invalid init config",
{% if stream %}
    ERROR_NO_SESSION: "unknown session handle",
    ERROR_SESSION_ENDED: "the session already received its last frame",
    ERROR_BUSY: "too many open sessions",
{% endif %}
}


class WrapperError(Exception):
    """A request the plugin refuses: carries the error code the loader will report."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class UserRequest:
    """What a request carries: business params (``parameter.<serviceId>``) and input payloads."""

{% if example == "text" %}
    mode = StringParamField(key="mode", enums=["upper", "lower", "title", "reverse"], value="upper",
                            description="How to transform the text")
    top = IntegerParamField(key="top", minimum=1, maximum=50, value=5,
                            description="How many of the most frequent words to report")
    case_sensitive = BooleanParamField(key="case_sensitive", default=False,
                                       description="Count 'Word' and 'word' as different words")
    text = StringBodyField(key="text", path="test_data/sample.txt", description="UTF-8 text to analyse")
{% elif example == "image" %}
    algorithm = StringParamField(key="algorithm", enums=["sha256", "sha1", "md5"], value="sha256",
                                 description="Digest algorithm of the image bytes")
    max_megapixels = NumberParamField(key="max_megapixels", minimum=0.01, maximum=100.0, value=16.0,
                                      description="Refuse images with more pixels than this (millions)")
    min_side = IntegerParamField(key="min_side", minimum=1, maximum=65535, value=1,
                                 description="Refuse images whose shorter side has fewer pixels")
    include_digest = BooleanParamField(key="include_digest", default=True,
                                       description="Report the digest of the image bytes")
    image = ImageBodyField(key="image", path="test_data/sample.png", encoding=["png", "jpg", "jpeg", "bmp"],
                           description="A PNG, JPEG, GIF or BMP image")
{% else %}
    silence_threshold = NumberParamField(key="silence_threshold", minimum=0.0, maximum=1.0, value=0.01,
                                         description="RMS level (0..1 of full scale) below which a window is silent")
    window_ms = IntegerParamField(key="window_ms", minimum=10, maximum=1000, value=100,
                                  description="Length of the windows the level is measured in")
    channel = StringParamField(key="channel", enums=["mix", "left", "right"], value="mix",
                               description="Which channel of a stereo input to measure")
    include_windows = BooleanParamField(key="include_windows", default=False,
                                        description="Report the level of every window")
    audio = AudioBodyField(key="audio", path="test_data/sample.wav", encoding=["wav", "raw"], sample_rate=16000,
                           channels=1, bit_depth=16,
                           description="A WAV file, or raw 16-bit little-endian PCM at sample_rate")
{% endif %}


class UserResponse:
    """What the plugin answers: output payloads (``accept*`` attributes are outputs)."""

    accept_result = JsonBodyField(key="result", description="{% if example == 'text' %}Text statistics and the transformed text{% elif example == 'image' %}Image format, size and digest{% else %}Audio format, duration and levels{% endif %}, as JSON")


def read_param(params: Any, field: ParamField) -> Any:
    """The value of a declared param: the loader's string parsed, or the declared default.

    In production (CGO and gRPC) every param is a string (numbers may even come as
    ``6755399441055744p-51``); ``field.from_wire`` parses that. Bounds and enums are checked here
    because the gateway does not always enforce them.
    """
    raw = params.get(field.key) if params is not None else None
    if raw is None or raw == "":
        return field.test_value  # the declared default (value=/default=)
    try:
        value = field.from_wire(raw)
    except (TypeError, ValueError):
        raise WrapperError(ERROR_BAD_PARAM, f"param {field.key!r}: cannot read {raw!r}") from None
    if field.enums and value not in field.enums:
        raise WrapperError(ERROR_BAD_PARAM, f"param {field.key!r}: {value!r} is not one of {field.enums}")
    if isinstance(value, str) and hasattr(field, "max_length") and not (
            field.min_length <= len(value) <= field.max_length):
        raise WrapperError(ERROR_BAD_PARAM, f"param {field.key!r}: length {len(value)} is outside "
                                            f"{field.min_length}..{field.max_length}")
    if getattr(field, "json_type", "") == "integer" and not isinstance(value, int):
        raise WrapperError(ERROR_BAD_PARAM, f"param {field.key!r}: {raw!r} is not an integer")
    minimum, maximum = getattr(field, "minimum", None), getattr(field, "maximum", None)
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise WrapperError(ERROR_BAD_PARAM, f"param {field.key!r}: {value!r} is outside {minimum}..{maximum}")
    return value


def read_options(params: Any) -> dict[str, Any]:
    """All params of a request, parsed and checked (raises WrapperError)."""
    return {
{% if example == "text" %}
        "mode": read_param(params, UserRequest.mode),
        "top": read_param(params, UserRequest.top),
        "case_sensitive": read_param(params, UserRequest.case_sensitive),
{% elif example == "image" %}
        "algorithm": read_param(params, UserRequest.algorithm),
        "max_megapixels": read_param(params, UserRequest.max_megapixels),
        "min_side": read_param(params, UserRequest.min_side),
        "include_digest": read_param(params, UserRequest.include_digest),
{% else %}
        "silence_threshold": read_param(params, UserRequest.silence_threshold),
        "window_ms": read_param(params, UserRequest.window_ms),
        "channel": read_param(params, UserRequest.channel),
        "include_windows": read_param(params, UserRequest.include_windows),
{% endif %}
    }


def json_response(document: dict[str, Any], status: int) -> Response:
    """A Response with one JSON text node (``setData`` with bytes: what CGO and gRPC require)."""
    data = ResponseData()
    data.key = UserResponse.accept_result.key
    data.setDataType(DataText)
    data.status = status
    data.setData(json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    response = Response()
    response.list = [data]  # assign the list: the C wrapper's list is a copy, append() would be lost
    return response


def error_response(code: int) -> Response:
    return Response().response_err(code)


{% if example == "text" %}
# --- the example: text statistics -----------------------------------------------------------------
WORD = re.compile(r"\w+")


def transform(text: str, mode: str) -> str:
    if mode == "upper":
        return text.upper()
    if mode == "lower":
        return text.lower()
    if mode == "title":
        return text.title()
    return text[::-1]


def text_statistics(text: str, top: int, case_sensitive: bool) -> dict[str, Any]:
    words = WORD.findall(text)
    counted = Counter(words if case_sensitive else [word.lower() for word in words])
    return {
        "characters": len(text),
        "words": len(words),
        "lines": len(text.splitlines()),
        "unique_words": len(counted),
        "top_words": [[word, count] for word, count in counted.most_common(top)],
    }


class Analysis:
    """Decodes UTF-8 text that may arrive in pieces split anywhere, even inside a character."""

    def __init__(self, options: dict[str, Any], limits: dict[str, int]) -> None:
        self.options = options
        self.max_chars = limits["max_chars"]
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.parts: list[str] = []
        self.characters = 0

    def feed(self, data: bytes, final: bool) -> str:
        """Decode the next piece; returns the text it completed."""
        try:
            piece = self.decoder.decode(data, final)
        except UnicodeDecodeError as error:
            raise WrapperError(ERROR_BAD_INPUT, f"text is not UTF-8: {error}") from None
        self.characters += len(piece)
        if self.characters > self.max_chars:
            raise WrapperError(ERROR_TOO_LARGE, f"text longer than {self.max_chars} characters")
        self.parts.append(piece)
        return piece

    def summary(self) -> dict[str, Any]:
        text = "".join(self.parts)
        document = text_statistics(text, self.options["top"], self.options["case_sensitive"])
        document["mode"] = self.options["mode"]
        document["text"] = transform(text, self.options["mode"])
        return document
{% if stream %}

    def frame(self, data: bytes, final: bool) -> dict[str, Any]:
        """The result for one session frame: the transformed piece, and the summary at the end."""
        piece = self.feed(data, final)
        document = self.summary() if final else {"characters_so_far": self.characters}
        document["piece"] = transform(piece, self.options["mode"])
        return document
{% endif %}
{% elif example == "image" %}
# --- the example: image header parsing ------------------------------------------------------------
HEADER_BYTES = 65536  # sessions look for the image size in this many first bytes
JPEG_SIZE_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(data: bytes) -> tuple[str, int, int]:
    """(format, width, height) read from the file header; ValueError when it is not a known image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return "bmp", width, abs(height)
    if data[:2] == b"\xff\xd8":
        return ("jpeg", *jpeg_size(data))
    raise ValueError("not a PNG, JPEG, GIF or BMP image")


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG segments up to the first start-of-frame, which holds the size."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError(f"JPEG segment expected at byte {position}")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        if marker in JPEG_SIZE_MARKERS and position + 9 <= len(data):
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length
    raise ValueError("JPEG without a start-of-frame segment")


class Analysis:
    """Collects an image (whole, or in pieces in a session) and describes it."""

    def __init__(self, options: dict[str, Any], limits: dict[str, int]) -> None:
        self.options = options
        self.max_bytes = limits["max_bytes"]
        self.data = bytearray()
        self.header: dict[str, Any] = {}

    def feed(self, data: bytes, final: bool) -> None:
        self.data += data
        if len(self.data) > self.max_bytes:
            raise WrapperError(ERROR_TOO_LARGE, f"image larger than {self.max_bytes} bytes")

    def summary(self) -> dict[str, Any]:
        data = bytes(self.data)
        try:
            kind, width, height = image_size(data)
        except ValueError as error:
            raise WrapperError(ERROR_BAD_INPUT, str(error)) from None
        megapixels = width * height / 1e6
        if megapixels > self.options["max_megapixels"]:
            raise WrapperError(ERROR_TOO_LARGE, f"{megapixels:.2f} megapixels, more than max_megapixels")
        if min(width, height) < self.options["min_side"]:
            raise WrapperError(ERROR_BAD_INPUT, f"{width}x{height} is smaller than min_side")
        document: dict[str, Any] = {"format": kind, "width": width, "height": height,
                                    "megapixels": round(megapixels, 6), "bytes": len(data)}
        if self.options["include_digest"]:
            document[self.options["algorithm"]] = hashlib.new(self.options["algorithm"], data).hexdigest()
        return document
{% if stream %}

    def frame(self, data: bytes, final: bool) -> dict[str, Any]:
        """The result for one session frame: progress, the header once readable, the summary at the end."""
        self.feed(data, final)
        if final:
            return self.summary()
        if not self.header and len(self.data) - len(data) < HEADER_BYTES:  # look until the size is known
            try:
                kind, width, height = image_size(bytes(self.data[:HEADER_BYTES]))
                self.header = {"format": kind, "width": width, "height": height}
            except (ValueError, IndexError, struct.error):
                pass  # the header has not fully arrived yet
        return {"bytes_so_far": len(self.data), **self.header}
{% endif %}
{% else %}
# --- the example: WAV level measurement -----------------------------------------------------------
UNKNOWN_LENGTHS = (0, 0xFFFFFFFF)  # data chunk sizes written by streaming recorders


def parse_wav_header(data: bytes) -> tuple[dict[str, int], int, int] | None:
    """(format, offset of the samples, their length) from a RIFF/WAVE header; None while incomplete.

    Raises ValueError when the data is not WAV at all, WrapperError when it is WAV we cannot read.
    """
    if data[:4] != b"RIFF"[:len(data[:4])] or (len(data) >= 12 and data[8:12] != b"WAVE"):
        raise ValueError("not a WAV file")
    position, layout = 12, None
    while position + 8 <= len(data):
        kind, size = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        if kind == b"fmt ":
            if position + 24 > len(data):
                return None
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[position + 8:position + 24])
            if tag not in (1, 0xFFFE) or bits not in (8, 16, 24, 32) or not channels or not rate:
                raise WrapperError(ERROR_BAD_INPUT, f"unsupported WAV format (tag {tag}, {bits} bits)")
            layout = {"channels": channels, "sample_rate": rate, "sample_width": bits // 8}
        elif kind == b"data":
            if layout is None:
                raise WrapperError(ERROR_BAD_INPUT, "WAV data chunk before its fmt chunk")
            return layout, position + 8, size
        position += 8 + size + (size & 1)
    return None


def decode_samples(pcm: bytes, sample_width: int) -> list[int]:
    """Signed integer samples from little-endian PCM (8-bit WAV is unsigned)."""
    if sample_width == 1:
        return [value - 128 for value in pcm]
    if sample_width == 3:
        return [int.from_bytes(pcm[index:index + 3], "little", signed=True) for index in range(0, len(pcm), 3)]
    samples = array("h" if sample_width == 2 else "i", pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tolist()


class Analysis:
    """Measures PCM audio that may arrive in pieces: the WAV header first, then the samples.

    Input that is not WAV is taken as raw PCM in the format the ``audio`` field declares.
    """

    def __init__(self, options: dict[str, Any], limits: dict[str, int]) -> None:
        self.options = options
        self.max_seconds = limits["max_seconds"]
        self.pending = b""
        self.layout: dict[str, int] | None = None
        self.container = "wav"
        self.remaining = -1  # sample bytes still expected from the WAV data chunk (-1: until the end)
        self.window: list[int] = []
        self.window_frames = 1
        self.levels: list[float] = []
        self.frames = 0
        self.sum_squares = 0
        self.peak = 0

    def feed(self, data: bytes, final: bool) -> int:
        """Take the next piece; returns how many sample frames it completed."""
        if self.remaining >= 0:
            data = data[:self.remaining]  # bytes after the WAV data chunk are not samples
            self.remaining -= len(data)
        self.pending += data
        if self.layout is None and not self._read_header(final):
            return 0
        block = self.layout["sample_width"] * self.layout["channels"]
        usable = len(self.pending) - len(self.pending) % block
        pcm, self.pending = self.pending[:usable], self.pending[usable:]
        self._measure(decode_samples(pcm, self.layout["sample_width"]))
        if self.frames > self.max_seconds * self.layout["sample_rate"]:
            raise WrapperError(ERROR_TOO_LARGE, f"audio longer than {self.max_seconds} s")
        return usable // block

    def _read_header(self, final: bool) -> bool:
        """Find the sample format; False while the WAV header is still incomplete."""
        try:
            header = parse_wav_header(self.pending)
        except ValueError:
            declared = UserRequest.audio
            self.container = "raw"
            self.layout = {"channels": declared.channels, "sample_rate": declared.sample_rate,
                           "sample_width": declared.bit_depth // 8}
        else:
            if header is None:
                if final:
                    raise WrapperError(ERROR_BAD_INPUT, "incomplete WAV header")
                return False
            self.layout, offset, size = header
            if size in UNKNOWN_LENGTHS:
                self.pending = self.pending[offset:]
            else:
                self.pending = self.pending[offset:offset + size]
                self.remaining = size - len(self.pending)
        self.window_frames = max(1, self.layout["sample_rate"] * self.options["window_ms"] // 1000)
        return True

    def _measure(self, samples: list[int]) -> None:
        channels = self.layout["channels"] if self.layout else 1
        if channels == 1:
            picked = samples
        elif self.options["channel"] == "mix":
            picked = [sum(samples[index:index + channels]) // channels for index in range(0, len(samples), channels)]
        else:
            picked = samples[0 if self.options["channel"] == "left" else 1::channels]
        for value in picked:
            self.sum_squares += value * value
            self.peak = max(self.peak, abs(value))
            self.window.append(value)
            if len(self.window) == self.window_frames:
                self._close_window()
        self.frames += len(picked)

    def _close_window(self) -> None:
        if self.window:
            self.levels.append(math.sqrt(sum(value * value for value in self.window) / len(self.window)) / self.scale)
            self.window = []

    @property
    def scale(self) -> float:
        """Full scale of the samples (32768 for 16-bit)."""
        return float(1 << (8 * (self.layout["sample_width"] if self.layout else 2) - 1))

    def level(self) -> float:
        return math.sqrt(self.sum_squares / self.frames) / self.scale if self.frames else 0.0

    def summary(self) -> dict[str, Any]:
        self._close_window()
        if self.layout is None or not self.frames:
            raise WrapperError(ERROR_BAD_INPUT, "no audio samples")
        rms, peak = self.level(), self.peak / self.scale
        active = [level for level in self.levels if level >= self.options["silence_threshold"]]
        document: dict[str, Any] = {
            "container": self.container,
            "sample_rate": self.layout["sample_rate"],
            "channels": self.layout["channels"],
            "bits": 8 * self.layout["sample_width"],
            "frames": self.frames,
            "duration_seconds": round(self.frames / self.layout["sample_rate"], 6),
            "rms": round(rms, 6),
            "rms_dbfs": round(20 * math.log10(rms), 2) if rms else None,
            "peak": round(peak, 6),
            "peak_dbfs": round(20 * math.log10(peak), 2) if peak else None,
            "active_ratio": round(len(active) / len(self.levels), 4) if self.levels else 0.0,
        }
        if self.options["include_windows"]:
            document["windows"] = [round(level, 6) for level in self.levels]
        return document
{% if stream %}

    def frame(self, data: bytes, final: bool) -> dict[str, Any]:
        """The result for one session frame: running duration and level, the summary at the end."""
        frames = self.feed(data, final)
        if final:
            return self.summary()
        rate = self.layout["sample_rate"] if self.layout else 1
        return {"new_frames": frames, "seconds_so_far": round(self.frames / rate, 6),
                "rms_so_far": round(self.level(), 6)}
{% endif %}
{% endif %}


def analyse(data: bytes, options: dict[str, Any], limits: dict[str, int]) -> dict[str, Any]:
    """A whole input at once (the once call)."""
    analysis = Analysis(options, limits)
    analysis.feed(data, True)
    return analysis.summary()
{% if stream %}


class Session:
    """One open session: who to deliver to, and the analysis its frames feed."""

    def __init__(self, tag: str, analysis: Analysis) -> None:
        self.tag = tag
        self.analysis = analysis
        self.sent = 0
        self.finished = False
        self.lock = threading.Lock()
{% endif %}


class Wrapper(WrapperBase):
    """The plugin: the loader finds it as ``wrapper.Wrapper`` and builds it without arguments."""

    serviceId = "{{ cookiecutter.service_id }}"
    version = "{{ cookiecutter.service_version }}"
    requestCls = UserRequest()
    responseCls = UserResponse()
    # Init config: rendered into aiges.toml [wrapper]; the loader passes it to wrapperInit as strings.
    config = {
{% if example == "text" %}
        "max_chars": 1000000,
{% elif example == "image" %}
        "max_bytes": 20971520,
{% else %}
        "max_seconds": 600,
{% endif %}
{% if stream %}
        "max_sessions": 64,
{% endif %}
    }

    def wrapperInit(self, config: Any) -> int:
        """Called once before any request: read the config, load models and resources here."""
        try:
            self.limits = {key: int(config.get(key, default)) for key, default in Wrapper.config.items()}
        except (TypeError, ValueError) as error:
            log.error("bad init config %s: %s", dict(config), error)
            return ERROR_BAD_CONFIG
{% if stream %}
        self.sessions: dict[str, Session] = {}
        self.sessions_lock = threading.Lock()
        self.opened = 0
{% endif %}
        log.info("%s %s ready, limits %s", self.serviceId, self.version, self.limits)
        return 0

    def wrapperOnceExec(self, params: Any, reqData: Any, usrTag: str = "", persId: int = 0, *args: Any) -> Response:
        """One request, one response (``usrTag`` identifies the request, ``persId`` its personal resource)."""
        node = reqData.get(UserRequest.{{ example }}.key)
        try:
            if node is None:
                raise WrapperError(ERROR_NO_INPUT, "no input node")
            document = analyse(bytes(node.data), read_options(params), self.limits)
        except WrapperError as error:
            log.warning("request %s refused (%d): %s", usrTag, error.code, error)
            return error_response(error.code)
        return json_response(document, DataOnce)
{% if stream %}

    def wrapperCreate(self, params: Any, sid: str, persId: int = 0, usrTag: str = "",
                      userTag: str = "") -> SessionCreateResponse:
        """Open a session; its results go to ``callback(response, tag)`` with the tag given here."""
        reply = SessionCreateResponse()
        reply.handle = ""
        try:
            analysis = Analysis(read_options(params), self.limits)
        except WrapperError as error:
            log.warning("session %s refused (%d): %s", sid, error.code, error)
            reply.error_code = error.code
            return reply
        with self.sessions_lock:
            if len(self.sessions) >= self.limits["max_sessions"]:
                reply.error_code = ERROR_BUSY
                return reply
            self.opened += 1
            handle = f"session-{self.opened}"
            self.sessions[handle] = Session(usrTag or userTag or sid, analysis)
        reply.handle = handle
        reply.error_code = 0
        return reply

    def wrapperWrite(self, handle: str, req: Any, sid: str = "") -> int:
        """One frame of a session: process it and deliver its result (begin, continue, ..., end)."""
        session = self.sessions.get(handle)
        if session is None:
            return ERROR_NO_SESSION
        node = req.get(UserRequest.{{ example }}.key)
        if node is None:
            return 0  # this frame carries no data for our input
        with session.lock:
            if session.finished:
                return ERROR_SESSION_ENDED
            final = node.status in (DataEnd, DataOnce)
            try:
                document = session.analysis.frame(bytes(node.data), final)
            except WrapperError as error:
                log.warning("session %s frame refused (%d): %s", handle, error.code, error)
                return error.code
            document["frame"] = session.sent
            status = DataEnd if final else (DataBegin if session.sent == 0 else DataContinue)
            session.sent += 1
            session.finished = final
            callback(json_response(document, status), session.tag)
        return 0

    def wrapperRead(self, handle: str, sid: str = "") -> Response:
        """Results are delivered through ``callback`` as frames arrive, so nothing is left to read."""
        return Response()

    def wrapperDestroy(self, handle: str) -> int:
        """Close a session (also when it ended early or failed)."""
        with self.sessions_lock:
            self.sessions.pop(handle, None)
        return 0
{% endif %}

    def wrapperFini(self) -> int:
        """Called once at shutdown: release models and resources."""
{% if stream %}
        with self.sessions_lock:
            self.sessions.clear()
{% endif %}
        return 0

    def wrapperError(self, ret: int) -> str:
        return ERRORS.get(ret, f"error {ret}")

    def wrapperTestFunc(self, data: Any = None, respData: Any = None) -> int:
        """Looked up by the loader's C wrapper at start (it aborts without it); never called."""
        return 0


if __name__ == "__main__":
    Wrapper().run()
