"""Field declarations: the params and payload fields a wrapper's UserRequest/UserResponse declare.

Constructor signatures are the vendor SDK 0.16.0's (docs/reference/fields.md), extended with keyword
arguments it lacks (descriptions, titles, sample paths for text, audio format details,
``VideoBodyField``). Every field remembers the arguments it was built with (``spec``), so the static
reader of ``wrapper.py`` and an imported wrapper rebuild identical fields and render identical files.

Fixed relative to the vendor: files are read lazily and resolved next to the declaring module (not
the current directory), ``StringBodyField`` accepts ``str``, no shared mutable defaults, and
``problems()`` reports bad declarations instead of failing later in obscure ways. ``StringParamField``
takes ``value=b"..."`` as the vendor does (its UTF-8 text is the value). Messages about a param's value
never show a value that may be a secret (:func:`shown_value`).
"""

import base64
import decimal
import inspect
import json
import math
import os
import sys
from types import FrameType
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

from aiges.core.types import DataAudio, DataImage, DataOnce, DataText, DataVideo, Types

MAX_PAYLOAD_CHARS = 10485760
# Where the wrapper folder is in the loader's images (/home/aiges; /home/wrapper in older ones): an
# absolute sample path below one of them names a file of the wrapper folder.
IMAGE_WRAPPER_DIRS = ("/home/aiges", "/home/wrapper")
# A param value is not shown in messages when its key contains one of these words or it is long:
# published wrappers carry API keys as param defaults.
SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "pwd", "credential", "auth", "sign")
MAX_SHOWN_VALUE = 32

# Encodings the platform knows per media type (docs/reference/files.md); a field may narrow or extend them.
KNOWN_ENCODINGS = {
    "text": ["utf8", "gb2312", "gbk"],
    "image": ["jpg", "jpeg", "png", "bmp", "webp", "tiff"],
    "audio": ["raw", "pcm", "wav", "mp3", "speex", "speex-wb", "opus", "opus-wb", "lame"],
    "video": ["h264", "h265", "mp4", "raw"],
}
COMPRESSIONS = ["raw", "gzip"]
TEXT_FORMATS = ["plain", "json", "xml"]

_EXTENSION_BY_ENCODING = {
    "utf8": ".txt",
    "gb2312": ".txt",
    "gbk": ".txt",
    "jpg": ".jpg",
    "jpeg": ".jpg",
    "png": ".png",
    "bmp": ".bmp",
    "webp": ".webp",
    "tiff": ".tiff",
    "raw": ".pcm",
    "pcm": ".pcm",
    "wav": ".wav",
    "mp3": ".mp3",
    "lame": ".mp3",
    "speex": ".spx",
    "speex-wb": ".spx",
    "opus": ".opus",
    "opus-wb": ".opus",
    "h264": ".h264",
    "h265": ".h265",
    "mp4": ".mp4",
}


class Field:
    """Common part of every field: its ``key`` on the wire and its ``data_type``."""

    data_type: Any = None

    def __init__(self, key: str, data_type: Any = None, description: str = "", title: str = "") -> None:
        self.key = key
        if data_type is not None:
            self.data_type = data_type
        self.description = description
        self.title = title
        self.origin_dir = _caller_module_dir()
        self.spec_kwargs: Dict[str, Any] = {}

    def _remember(self, arguments: Dict[str, Any]) -> None:
        """Record the constructor arguments that differ from the defaults (the field's ``spec``)."""
        signature = inspect.signature(type(self).__init__)
        kept = {}
        for name, parameter in signature.parameters.items():
            if name == "self" or name not in arguments:
                continue
            value = arguments[name]
            default = parameter.default
            # keep 0.0 where the default is 0: equal values of another type render differently
            if default is inspect.Parameter.empty or value != default or type(value) is not type(default):
                kept[name] = value
        self.spec_kwargs = kept

    @property
    def spec(self) -> Dict[str, Any]:
        return {"class": type(self).__name__, "kwargs": dict(self.spec_kwargs)}

    def problems(self) -> List[str]:
        """Human-readable problems with this declaration (empty when it is sound)."""
        found = []
        if not isinstance(self.key, str) or not self.key.strip():
            found.append("key must be a non-empty string, got %r" % (self.key,))
        elif self.key != self.key.strip() or any(ch in self.key for ch in " \t\n;=\"'"):
            found.append("key %r must not contain spaces, quotes, ';' or '='" % (self.key,))
        return found

    def __str__(self) -> str:
        return "<%s:%s>" % (type(self).__name__, self.key)

    __repr__ = __str__


# --- params ----------------------------------------------------------------------------------------


class ParamField(Field):
    """A business parameter: a scalar under ``parameter.<serviceId>`` of the HTTP request."""

    json_type = "string"

    def __init__(
        self,
        key: str,
        data_type: Any = None,
        description: str = "",
        title: str = "",
        required: bool = False,
        enums: Optional[Sequence[Any]] = None,
    ) -> None:
        super().__init__(key, data_type, description, title)
        self.required = required
        self.enums = list(enums) if enums else []

    @property
    def test_value(self) -> Any:
        return getattr(self, "value", None)

    def wire_value(self) -> str:
        """The value as the loader passes it in CGO and gRPC mode: always a string."""
        return to_wire_string(self.test_value)

    def from_wire(self, text: Any) -> Any:
        """Parse a param as received from the loader back into this field's Python type."""
        return text

    def problems(self) -> List[str]:
        found = super().problems()
        if not isinstance(self.required, bool):
            found.append("required must be True or False, got %r" % (self.required,))
        if (
            self.enums
            and self.test_value not in self.enums
            and not (self.test_value in ("", None) and not self.required)
        ):
            found.append("default %s is not one of its enums %r" % (shown_value(self, self.test_value), self.enums))
        return found


class StringParamField(ParamField):
    json_type = "string"

    def __init__(
        self,
        key: str,
        minLength: int = 0,  # noqa: N803
        maxLength: int = 1024,  # noqa: N803 (vendor API)
        enums: Optional[Sequence[str]] = None,
        required: bool = False,
        value: Any = "",
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, "string", description, title, required, enums)
        self.min_length = minLength
        self.max_length = maxLength
        self.value = _text_of(value)
        self._remember(locals())

    def problems(self) -> List[str]:
        found = super().problems()
        if isinstance(self.value, (bytes, bytearray)):
            found.append(
                "value is bytes that are not UTF-8 text (%s); give the text as a str" % shown_value(self, self.value)
            )
        elif not isinstance(self.value, str):
            found.append("value must be a string (or UTF-8 bytes), got %s" % shown_value(self, self.value))
        if any(not isinstance(item, str) for item in self.enums):
            found.append("enums of a string param must be strings, got %r" % (self.enums,))
        if not _is_int(self.min_length) or not _is_int(self.max_length) or self.min_length < 0:
            found.append("minLength/maxLength must be non-negative integers")
        elif self.min_length > self.max_length:
            found.append("minLength %d is greater than maxLength %d" % (self.min_length, self.max_length))
        elif (
            isinstance(self.value, str)
            and not self.enums
            and self.value
            and not (self.min_length <= len(self.value) <= self.max_length)
        ):
            found.append(
                "default %s is outside minLength %d..maxLength %d"
                % (shown_value(self, self.value), self.min_length, self.max_length)
            )
        return found


class _NumericParamField(ParamField):
    _python_types: Tuple[type, ...] = (int, float)

    def __init__(
        self,
        key: str,
        json_type: str,
        minimum: Any,
        maximum: Any,
        enums: Optional[Sequence[Any]],
        required: bool,
        value: Any,
        description: str,
        title: str,
    ) -> None:
        super().__init__(key, json_type, description, title, required, enums)
        self.json_type = json_type
        self.minimum = minimum
        self.maximum = maximum
        self.value = value

    def from_wire(self, text: Any) -> Any:
        number = parse_number(text)
        return int(number) if self.json_type == "integer" and float(number).is_integer() else number

    def problems(self) -> List[str]:
        found = super().problems()
        kind = "an integer" if self.json_type == "integer" else "a number"
        for name in ("minimum", "maximum", "value"):
            if not _is_number(getattr(self, name), integer=self.json_type == "integer"):
                shown = shown_value(self, self.value) if name == "value" else repr(getattr(self, name))
                found.append("%s must be %s, got %s" % (name, kind, shown))
        if any(not _is_number(item, integer=self.json_type == "integer") for item in self.enums):
            found.append("enums must all be %s, got %r" % (kind.split(" ", 1)[1] + "s", self.enums))
        if not found and self.minimum > self.maximum:
            found.append("minimum %r is greater than maximum %r" % (self.minimum, self.maximum))
        elif not found and not self.enums and not self.minimum <= self.value <= self.maximum:
            found.append(
                "default %s is outside minimum %r..maximum %r"
                % (shown_value(self, self.value), self.minimum, self.maximum)
            )
        return found


class NumberParamField(_NumericParamField):
    def __init__(
        self,
        key: str,
        minimum: float = 0,
        maximum: float = 100,
        enums: Optional[Sequence[float]] = None,
        required: bool = False,
        value: float = 0,
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, "number", minimum, maximum, enums, required, value, description, title)
        self._remember(locals())


class IntegerParamField(_NumericParamField):
    def __init__(
        self,
        key: str,
        minimum: int = 0,
        maximum: int = 100,
        enums: Optional[Sequence[int]] = None,
        required: bool = False,
        value: int = 0,
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, "integer", minimum, maximum, enums, required, value, description, title)
        self._remember(locals())


class BooleanParamField(ParamField):
    json_type = "boolean"

    def __init__(
        self,
        key: str,
        title: str = "",
        default: bool = False,
        required: bool = False,
        description: str = "",
        value: Optional[bool] = None,
    ) -> None:
        super().__init__(key, "boolean", description, title, required, None)
        # value= as the other param fields take it, default= as the vendor's BooleanParamField did
        self.given_both = value is not None and default is not False and default != value
        self.given_default = default
        self.default = value if value is not None else default
        self._remember(locals())

    @property
    def value(self) -> Any:
        return self.default

    @property
    def test_value(self) -> Any:
        return self.default

    def from_wire(self, text: Any) -> Any:
        if isinstance(text, bool):
            return text
        return str(text).strip().lower() in ("true", "1", "yes", "on")

    def problems(self) -> List[str]:
        found = super().problems()
        if self.given_both:
            found.append("value=%r and default=%r disagree: give one of them" % (self.default, self.given_default))
        if not isinstance(self.default, bool):
            found.append("default must be True or False, got %r" % (self.default,))
        return found


# --- payload (body) fields ------------------------------------------------------------------------


class PayloadField(Field):
    """A body field: an input node of the request (UserRequest) or an output (UserResponse)."""

    media = "text"

    def __init__(
        self,
        key: str,
        data_type: int,
        path: str = "",
        encoding: Any = "utf8",
        status: int = DataOnce,
        compress: str = "raw",
        format: str = "plain",  # noqa: A002
        need_base64: bool = False,
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, data_type, description, title)
        self.path = path
        self.encodings = [encoding] if isinstance(encoding, str) else list(encoding or [])
        self.encoding = self.encodings[0] if self.encodings else ""
        self.status = status
        self.compress = compress
        self.format = format
        self.need_base64 = need_base64

    # --- sample data for the local run
    def resolve_path(self) -> Optional[str]:
        """Absolute path of the sample file: relative paths are taken next to the declaring module."""
        if not self.path:
            return None
        if os.path.isabs(self.path):
            inside = image_relative(self.path)
            if os.path.exists(self.path) or inside is None or not self.origin_dir:
                return self.path
            return os.path.join(self.origin_dir, inside)  # the image's path of a file of the wrapper folder
        candidates = [os.path.join(self.origin_dir, self.path)] if self.origin_dir else []
        candidates.append(os.path.abspath(self.path))
        for candidate in candidates:
            if os.path.exists(candidate):
                return candidate
        return candidates[0]

    def inline_value(self) -> Optional[bytes]:
        return None

    def sample_bytes(self) -> bytes:
        """The raw sample data this input sends in a local run (file contents or inline value)."""
        inline = self.inline_value()
        if inline is not None:
            return inline
        resolved = self.resolve_path()
        if resolved is None:
            raise FileNotFoundError("input %r has no sample: give it path=... (a file next to wrapper.py)" % self.key)
        if not os.path.isfile(resolved):
            raise FileNotFoundError("sample file for input %r not found: %s" % (self.key, resolved))
        with open(resolved, "rb") as handle:
            return handle.read()

    @property
    def test_value(self) -> bytes:
        data = self.sample_bytes()
        return base64.b64encode(data) if self.need_base64 else data

    def file_extension(self) -> str:
        if self.format == "json":
            return ".json"
        if self.format == "xml":
            return ".xml"
        return _EXTENSION_BY_ENCODING.get(self.encoding, ".bin")

    def attributes(self) -> Dict[str, Any]:
        """Payload attributes sent with the data (xtest ``describe``, schema defaults)."""
        found: Dict[str, Any] = {"encoding": self.encoding}
        if self.media == "text":
            found.update(compress=self.compress, format=self.format)
        return found

    def problems(self) -> List[str]:
        found = super().problems()
        if not self.encodings or not all(isinstance(item, str) and item for item in self.encodings):
            found.append("encoding must be a non-empty string or list of strings, got %r" % (self.encodings,))
        if self.status not in (0, 1, 2, 3):
            found.append("status must be 0 (begin), 1 (continue), 2 (end) or 3 (once), got %r" % (self.status,))
        if self.compress not in COMPRESSIONS:
            found.append("compress must be one of %r, got %r" % (COMPRESSIONS, self.compress))
        if self.format not in TEXT_FORMATS:
            found.append("format must be one of %r, got %r" % (TEXT_FORMATS, self.format))
        if not isinstance(self.path, str):
            found.append("path must be a string, got %r" % (self.path,))
        return found

    def input_problems(self) -> List[str]:
        """Extra problems when the field is used as an input: its sample must exist."""
        try:
            self.sample_bytes()
        except (OSError, ValueError) as error:
            return [str(error)]
        return []


class StringBodyField(PayloadField):
    """Text in the body (``payload.<key>.text``). ``value`` is bytes or str; ``path`` reads a file."""

    media = "text"

    def __init__(
        self,
        key: str,
        value: Any = b"",
        need_base64: bool = False,
        encoding: Any = "utf8",
        format: str = "plain",  # noqa: A002
        compress: str = "raw",
        status: int = DataOnce,
        path: str = "",
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, DataText, path, encoding, status, compress, format, need_base64, description, title)
        self.value = value
        self._remember(locals())

    @property
    def text(self) -> bytes:  # vendor attribute
        return self.inline_value() or b""

    def inline_value(self) -> Optional[bytes]:
        if self.path and not self.value:
            return None
        if isinstance(self.value, str):
            return self.value.encode("utf-8")
        return bytes(self.value) if self.value is not None else b""

    def problems(self) -> List[str]:
        found = super().problems()
        if not isinstance(self.value, (bytes, str)):
            found.append("value must be bytes or str, got %r" % (type(self.value).__name__,))
        return found


class JsonBodyField(StringBodyField):
    """JSON text in the body; ``value`` may be a str, bytes, dict or list."""

    def __init__(
        self,
        key: str,
        value: Any = "",
        need_base64: bool = False,
        path: str = "",
        encoding: Any = "utf8",
        compress: str = "raw",
        status: int = DataOnce,
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, b"", need_base64, encoding, "json", compress, status, path, description, title)
        self.value = value
        self._remember(locals())

    def inline_value(self) -> Optional[bytes]:
        if isinstance(self.value, (dict, list)):
            return json.dumps(self.value, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return super().inline_value()

    def problems(self) -> List[str]:
        found = [item for item in super().problems() if not item.startswith("value must")]
        if not isinstance(self.value, (bytes, str, dict, list)):
            found.append("value must be str, bytes, dict or list, got %r" % (type(self.value).__name__,))
        elif isinstance(self.value, (bytes, str)) and self.value and not self.path:
            try:
                json.loads(self.value)
            except ValueError as error:
                found.append("value is not valid JSON: %s" % error)
        return found


class ImageBodyField(PayloadField):
    media = "image"

    def __init__(
        self,
        key: str,
        path: str = "",
        need_base64: bool = False,
        encoding: Any = "jpg",
        status: int = DataOnce,
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, DataImage, path, encoding, status, "raw", "plain", need_base64, description, title)
        self._remember(locals())

    @property
    def image(self) -> bytes:  # vendor attribute, read lazily here
        return self.test_value


class AudioBodyField(PayloadField):
    media = "audio"

    def __init__(
        self,
        key: str,
        path: str = "",
        encoding: Any = "raw",
        format: str = "plain",  # noqa: A002
        compress: str = "raw",
        status: int = DataOnce,
        sample_rate: int = 16000,
        channels: int = 1,
        bit_depth: int = 16,
        need_base64: bool = False,
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, DataAudio, path, encoding, status, compress, format, need_base64, description, title)
        self.sample_rate = sample_rate
        self.channels = channels
        self.bit_depth = bit_depth
        self.audio = b" "
        self._remember(locals())

    def attributes(self) -> Dict[str, Any]:
        found = super().attributes()
        found.update(sample_rate=self.sample_rate, channels=self.channels, bit_depth=self.bit_depth)
        return found

    def problems(self) -> List[str]:
        found = super().problems()
        for name in ("sample_rate", "channels", "bit_depth"):
            if not _is_int(getattr(self, name)) or getattr(self, name) <= 0:
                found.append("%s must be a positive integer, got %r" % (name, getattr(self, name)))
        return found


class VideoBodyField(PayloadField):
    """Video in the body (``payload.<key>.video``): the vendor SDK has no such class."""

    media = "video"

    def __init__(
        self,
        key: str,
        path: str = "",
        encoding: Any = "h264",
        status: int = DataOnce,
        need_base64: bool = False,
        frame_rate: int = 25,
        description: str = "",
        title: str = "",
    ) -> None:
        super().__init__(key, DataVideo, path, encoding, status, "raw", "plain", need_base64, description, title)
        self.frame_rate = frame_rate
        self._remember(locals())

    def attributes(self) -> Dict[str, Any]:
        found = super().attributes()
        found["frame_rate"] = self.frame_rate
        return found

    def problems(self) -> List[str]:
        found = super().problems()
        if not _is_int(self.frame_rate) or not 1 <= self.frame_rate <= 240:
            found.append("frame_rate must be an integer from 1 to 240, got %r" % (self.frame_rate,))
        return found


FIELD_CLASSES: Dict[str, Type[Field]] = {
    cls.__name__: cls
    for cls in (
        StringParamField,
        NumberParamField,
        IntegerParamField,
        BooleanParamField,
        StringBodyField,
        JsonBodyField,
        ImageBodyField,
        AudioBodyField,
        VideoBodyField,
    )
}


def build_field(spec: Dict[str, Any], origin_dir: Optional[str] = None) -> Field:
    """Rebuild a field from its ``spec`` (class name and constructor arguments)."""
    cls = FIELD_CLASSES.get(spec.get("class", ""))
    if cls is None:
        raise KeyError("unknown field class %r; known: %s" % (spec.get("class"), ", ".join(sorted(FIELD_CLASSES))))
    field = cls(**spec.get("kwargs", {}))
    if origin_dir is not None:
        field.origin_dir = origin_dir
    return field


def media_of(field: Field) -> str:
    """``text``/``image``/``audio``/``video`` for payload fields (by data type, as the vendor did)."""
    if isinstance(field, PayloadField):
        return field.media
    return Types.get(field.data_type, "text")


# --- wire conversions --------------------------------------------------------------------------


def image_relative(path: str) -> Optional[str]:
    """``test_data/x.png`` for ``/home/aiges/test_data/x.png`` (a path into the image's wrapper folder), else None."""
    normal = path.replace(os.sep, "/")
    for folder in IMAGE_WRAPPER_DIRS:
        if normal.startswith(folder + "/") and len(normal) > len(folder) + 1:
            return normal[len(folder) + 1 :]
    return None


def wrapper_relative(path: Any, wrapper_dir: Optional[str]) -> Any:
    """An absolute sample path inside the wrapper folder (here, or in the image) as a path relative to
    it; any other value unchanged. Used by both readers, so a path computed from ``__file__`` renders the
    same whether read statically or by importing."""
    if not isinstance(path, str) or not os.path.isabs(path):
        return path
    if wrapper_dir:
        folder = os.path.realpath(wrapper_dir)
        target = os.path.realpath(path)
        if target == folder or target.startswith(folder.rstrip(os.sep) + os.sep):
            relative = os.path.relpath(target, folder)
            return relative.replace(os.sep, "/") if relative != "." else path
    inside = image_relative(os.path.normpath(path))
    return inside if inside is not None else path


def looks_secret(key: Any) -> bool:
    """Does a param's key suggest its value is a credential (api_key, token, secret, password...)?"""
    return isinstance(key, str) and any(word in key.lower() for word in SECRET_WORDS)


def shown_value(field: Any, value: Any) -> str:
    """How a message shows ``value`` of ``field``: its repr, or only its type and length when it may
    be a secret (the key says so, or it is longer than a short setting would be)."""
    text = repr(value)
    if looks_secret(getattr(field, "key", None)) or len(text) > MAX_SHOWN_VALUE:
        size = len(value) if hasattr(value, "__len__") else len(text)
        return "<%s of %d characters, not shown>" % (type(value).__name__, size)
    return text


def _text_of(value: Any) -> Any:
    """A bytes value as the text it encodes (the vendor accepted both); other values unchanged."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value)
    return value


def to_wire_string(value: Any) -> str:
    """The string the loader passes for a typed value (Go ``strconv``, GO conf/configure.go): booleans
    ``true``/``false``, floats without exponent or trailing ``.0``; used for params and init config alike."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        text = format(decimal.Decimal(repr(value)), "f")  # shortest round-trip digits, no exponent
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def parse_number(text: Any) -> float:
    """Parse a number param, including the loader's ``FormatFloat('b')`` form (``6755399441055744p-51``)."""
    if isinstance(text, bool):
        raise ValueError("not a number: %r" % (text,))
    if isinstance(text, (int, float)):
        return text
    raw = str(text).strip()
    if "p" in raw and not raw.lower().startswith("0x"):
        mantissa, _, exponent = raw.partition("p")
        value = int(mantissa) * (2.0 ** int(exponent))
        return int(value) if value.is_integer() else value
    try:
        return int(raw)
    except ValueError:
        return float(raw)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any, integer: bool = False) -> bool:
    if integer:
        return _is_int(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _caller_module_dir() -> str:
    """Directory of the module that declared the field (first frame outside this module)."""
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    if frame is None:
        return ""
    filename = frame.f_globals.get("__file__")
    return os.path.dirname(os.path.abspath(filename)) if filename else ""
