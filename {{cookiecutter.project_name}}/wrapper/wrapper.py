{% set stream = cookiecutter.session_mode == "stream" %}
{% set example = cookiecutter.example %}
{% set module = {"text": "textstats", "image": "imageinfo", "audio": "wavlevel"}[example] %}
# {{ cookiecutter.project_name }}: {{ cookiecutter.description }}
# Author: {{ cookiecutter.author }}
"""The plugin the AIGES loader runs: module ``wrapper``, class ``Wrapper``.

Your model loads in ``wrapperInit`` (once, before any request; never at import time) and runs in
{% if stream %}
``wrapperWrite`` (each frame of a session; results go back through ``callback``) and in
{% endif %}
``wrapperOnceExec`` (one request, one answer). The example's own code is ``{{ module }}.py``:
replace it with yours (and delete tests/test_example.py with it).

``UserRequest``/``UserResponse`` declare the params and payloads: ``python -m aiges render`` turns
them into schema.json, aiges.toml and xtest.toml. Try it: ``python -m aiges run`` from the project root.
"""
from __future__ import annotations

{% if stream %}
import threading
from dataclasses import dataclass, field
{% endif %}
from typing import Any

from aiges.sdk import (
{% if example == "audio" %}
    AudioBodyField,
{% endif %}
    BooleanParamField,
{% if stream %}
    DataBegin,
    DataContinue,
    DataEnd,
    DataOnce,
{% endif %}
    ErrorCodes,
{% if example == "image" %}
    ImageBodyField,
{% endif %}
    IntegerParamField,
    JsonBodyField,
{% if example != "text" %}
    NumberParamField,
{% endif %}
    PluginError,
{% if stream %}
    Response,
    SessionCreateResponse,
    SessionTable,
{% endif %}
{% if example == "text" %}
    StringBodyField,
{% endif %}
    StringParamField,
    WrapperBase,
{% if stream %}
    callback,
{% endif %}
    json_response,
    log,
)
from {{ module }} import {% if stream %}Analysis, {% endif %}Refused, analyse


class Errors(ErrorCodes):
    """This plugin's error codes: the loader shows the code, wrapperError(code) its message."""

    BAD_PARAM = 1001, "invalid parameter"
    NO_INPUT = 1002, "the request carries no input data"
    BAD_INPUT = 1003, "the input data cannot be read"
    TOO_LARGE = 1004, "the input is larger than this service accepts"
    BAD_CONFIG = 1005, "invalid init config"
{% if stream %}
    NO_SESSION = 1006, "unknown session handle"
    SESSION_ENDED = 1007, "the session already received its last frame"
    BUSY = 1008, "too many open sessions"
{% endif %}


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
{% if example == "audio" %}


# Raw PCM (input that is not WAV) is taken in the format the audio field declares.
RAW_FORMAT = {"channels": UserRequest.audio.channels, "sample_rate": UserRequest.audio.sample_rate,
              "bit_depth": UserRequest.audio.bit_depth}
{% endif %}
{% if stream %}


@dataclass
class Session:
    """One open session: whom its results go to, and the analysis its frames feed."""

    tag: str
    analysis: Analysis
    sent: int = 0
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
{% endif %}


class Wrapper(WrapperBase):
    """The plugin: the loader finds it as ``wrapper.Wrapper`` and builds it without arguments."""

    serviceId = "{{ cookiecutter.service_id }}"
    version = "{{ cookiecutter.service_version }}"
    requestCls = UserRequest()
    responseCls = UserResponse()
    errors = Errors
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
        """Called once before any request: read the config, load your model here."""
        try:
            self.limits = {key: int(config.get(key, default)) for key, default in Wrapper.config.items()}
        except (TypeError, ValueError) as error:
            raise PluginError(Errors.BAD_CONFIG, f"{dict(config)}: {error}") from None
{% if stream %}
        self.sessions = SessionTable(limit=self.limits["max_sessions"], errors=Errors)
{% endif %}
        log.info("%s %s ready, limits %s", self.serviceId, self.version, self.limits)
        return 0

    def wrapperOnceExec(self, params: Any, reqData: Any, usrTag: str = "", persId: int = 0, *args: Any) -> Any:
        """One request, one response: run your model here."""
        node = reqData.get(UserRequest.{{ example }}.key)
        if node is None:
            raise PluginError(Errors.NO_INPUT, "no input node")
        try:
            document = analyse(bytes(node.data), dict(self.read_params(params)), self.limits{% if example == "audio" %}, raw_format=RAW_FORMAT{% endif %})
        except Refused as refused:
            raise PluginError(Errors[refused.reason], str(refused)) from None
        return json_response(UserResponse.accept_result, document, sort_keys=True)
{% if stream %}

    def wrapperCreate(self, params: Any, sid: str, persId: int = 0, usrTag: str = "",
                      userTag: str = "") -> SessionCreateResponse:
        """Open a session; its results go to ``callback(response, tag)`` with the tag given here."""
        analysis = Analysis(dict(self.read_params(params)), self.limits{% if example == "audio" %}, raw_format=RAW_FORMAT{% endif %})
        reply = SessionCreateResponse()
        reply.handle = self.sessions.open(Session(usrTag or userTag or sid, analysis))
        reply.error_code = 0
        return reply

    def wrapperWrite(self, handle: str, req: Any, sid: str = "") -> int:
        """One frame of a session: run your model on it and deliver its result (begin, continue, ..., end)."""
        session = self.sessions.get(handle)
        node = req.get(UserRequest.{{ example }}.key)
        if node is None:
            return 0  # this frame carries no data for our input
        with session.lock:
            if session.finished:
                raise PluginError(Errors.SESSION_ENDED)
            final = node.status in (DataEnd, DataOnce)
            try:
                document = session.analysis.frame(bytes(node.data), final)
            except Refused as refused:
                raise PluginError(Errors[refused.reason], str(refused)) from None
            document["frame"] = session.sent
            status = DataEnd if final else (DataBegin if session.sent == 0 else DataContinue)
            session.sent += 1
            session.finished = final
            callback(json_response(UserResponse.accept_result, document, status, sort_keys=True), session.tag)
        return 0

    def wrapperRead(self, handle: str, sid: str = "") -> Response:
        """Results are delivered through ``callback`` as frames arrive, so nothing is left to read."""
        return Response()

    def wrapperDestroy(self, handle: str) -> int:
        """Close a session (also when it ended early or failed)."""
        self.sessions.close(handle)
        return 0
{% endif %}

    def wrapperFini(self) -> int:
        """Called once at shutdown: release your model."""
{% if stream %}
        self.sessions.clear()
{% endif %}
        return 0


if __name__ == "__main__":
    Wrapper().run()
