"""What the local run sends: config, params and input nodes, as the chosen loader mode would.

``emulate="cgo"``/``"grpc"`` reproduces production: every config value and param is a string,
``params["sid"]`` is set, data is bytes. ``emulate="off"`` reproduces the vendor's local run: typed
test values and no sid, which lets code pass locally that fails in production (docs/explanation/vendor-fixes.md).
"""

import dataclasses
import difflib
import os
from typing import Any, Dict, List, Optional, Tuple

from aiges import tomlcompat
from aiges.core.types import DataAudio, DataImage, DataText, DataVideo
from aiges.declarations import Declarations
from aiges.dto import DataListCls, DataListNode
from aiges.errors import DeclarationError
from aiges.fields import to_wire_string
from aiges.tools.render.aiges_toml import wrapper_section
from aiges.tools.render.options import load_settings

EMULATION_MODES = ("cgo", "grpc", "off")
DEFAULT_SID = "test-111111"


@dataclasses.dataclass
class Sample:
    """One input's sample data, as read from its file or overridden on the command line."""

    key: str
    data: bytes
    data_type: int
    source: str


def rendered_config_file(project_root: str) -> Optional[str]:
    """The aiges.toml whose ``[wrapper]`` section the run passes to wrapperInit, if any."""
    for candidate in (os.path.join(project_root, "aiges.toml"), os.path.join(project_root, "wrapper", "aiges.toml")):
        if os.path.isfile(candidate):
            return candidate
    return None


def build_config(
    declared: Dict[str, Any], project_root: str, overrides: Dict[str, str], emulate: str
) -> Dict[str, Any]:
    """Init config: the wrapper's ``config`` < aiges.toml ``[wrapper]`` < ``--config`` overrides."""
    config: Dict[str, Any] = dict(declared or {})
    candidate = rendered_config_file(project_root)
    if candidate:
        section = tomlcompat.load_file(candidate).get("wrapper", {})
        config.update(section if isinstance(section, dict) else {})
    config.update(overrides)
    if emulate != "off":
        config = {str(key): to_wire_string(value) for key, value in config.items()}
    return config


def stale_config_warning(declarations: Declarations, project_root: str) -> Optional[str]:
    """A warning when aiges.toml's ``[wrapper]`` is not what render would write now (e.g. the last render
    failed after ``config`` changed). The run still passes the file's values: the loader reads that file."""

    candidate = rendered_config_file(project_root)
    if candidate is None or not os.path.isfile(os.path.join(project_root, "pyproject.toml")):
        return None  # nothing rendered yet, or inside the image (no project settings to compare with)
    try:
        section = tomlcompat.load_file(candidate).get("wrapper", {})
        expected = wrapper_section(declarations, load_settings(project_root))
    except (OSError, ValueError, DeclarationError):
        return None
    actual = {str(key): to_wire_string(value) for key, value in (section if isinstance(section, dict) else {}).items()}
    differing = sorted(key for key in set(actual) | set(expected) if actual.get(key) != expected.get(key))
    if not differing:
        return None
    return (
        "%s is stale: its [wrapper] section differs from what wrapper.py's config and [tool.aiges] give "
        "(%s), and the loader passes the file's values to wrapperInit. Run `python -m aiges render` "
        "(did the last one fail?)" % (os.path.basename(candidate), ", ".join(repr(key) for key in differing))
    )


def build_params(declarations: Declarations, overrides: Dict[str, str], emulate: str, sid: str) -> Dict[str, Any]:
    """Business params from the declared test values, overridden by ``--param key=value``."""
    params: Dict[str, Any] = {}
    by_key = {field.key: field for field in declarations.params}
    for field in declarations.params:
        value = field.test_value
        if emulate != "off":
            if value in (None, ""):
                continue  # an unset optional param is simply absent in a real request
            params[field.key] = field.wire_value()
        else:
            params[field.key] = value
    if not declarations.undeclared:
        refuse_undeclared("--param", "param", overrides, list(by_key))
    for key, text in overrides.items():
        declared = by_key.get(key)
        params[key] = text if emulate != "off" or declared is None else declared.from_wire(text)
    if emulate != "off":
        params["sid"] = sid
    return params


# Data type of an undeclared input, from its file name's extension (text otherwise).
_TYPE_BY_EXTENSION = {
    ".png": DataImage,
    ".jpg": DataImage,
    ".jpeg": DataImage,
    ".bmp": DataImage,
    ".gif": DataImage,
    ".webp": DataImage,
    ".tif": DataImage,
    ".tiff": DataImage,
    ".wav": DataAudio,
    ".pcm": DataAudio,
    ".mp3": DataAudio,
    ".opus": DataAudio,
    ".spx": DataAudio,
    ".raw": DataAudio,
    ".mp4": DataVideo,
    ".h264": DataVideo,
    ".h265": DataVideo,
    ".avi": DataVideo,
}


def load_samples(declarations: Declarations, overrides: Dict[str, str]) -> List[Sample]:
    """Each input's data: ``--input key=path`` or the field's own sample. A wrapper that declares no
    fields gets exactly the ``--input`` files (typed by extension: image, audio, video, else text)."""
    if declarations.undeclared:
        if not overrides:
            raise ValueError(
                "%s declares no fields (no UserRequest): give the inputs to send with --input KEY=PATH "
                "(and params with --param KEY=VALUE)" % declarations.class_name
            )
        samples = []
        for key, path in overrides.items():
            with open(path, "rb") as handle:
                data = handle.read()
            kind = _TYPE_BY_EXTENSION.get(os.path.splitext(path)[1].lower(), DataText)
            samples.append(Sample(key, data, kind, path))
        return samples
    samples = []
    for field in declarations.inputs:
        given = overrides.get(field.key)
        if given:
            with open(given, "rb") as handle:
                data = handle.read()
            source = given
        else:
            data = field.test_value
            source = field.resolve_path() or "inline value"
        samples.append(Sample(field.key, bytes(data), field.data_type, source))
    refuse_undeclared("--input", "input", overrides, [field.key for field in declarations.inputs])
    return samples


def refuse_undeclared(option: str, kind: str, overrides: Dict[str, str], declared: List[str]) -> None:
    """KeyError naming each key of ``overrides`` that is not declared, with the closest declared key."""
    unknown = [key for key in overrides if key not in declared]
    if not unknown:
        return
    hints = []
    for key in unknown:
        closest = difflib.get_close_matches(key, declared, n=1, cutoff=0.5)
        hints.append("%r%s" % (key, " (did you mean %r?)" % closest[0] if closest else ""))
    raise KeyError(
        "%s names undeclared %ss: %s; declared: %s"
        % (option, kind, ", ".join(hints), ", ".join(declared) if declared else "none")
    )


def once_request(samples: List[Sample]) -> DataListCls:
    return DataListCls(
        [DataListNode(sample.key, sample.data, len(sample.data), sample.data_type, 3) for sample in samples]
    )


def session_frames(samples: List[Sample], slice_size: int) -> List[DataListCls]:
    """Slice every input into begin/continue/end frames, as the load-test client does.

    Frame ``i`` carries chunk ``i`` of every input that still has data; an input's last chunk has
    status End (2), its first Begin (0), the others Continue (1). An input that fits in one chunk is
    sent in one frame with status End: the whole data in a single write, as the vendor's local run did.
    """
    chunked: List[Tuple[Sample, List[bytes]]] = []
    for sample in samples:
        size = max(1, slice_size)
        chunks = [sample.data[start : start + size] for start in range(0, len(sample.data), size)] or [b""]
        chunked.append((sample, chunks))
    frames = []
    for index in range(max(len(chunks) for _, chunks in chunked)):
        nodes = []
        for sample, chunks in chunked:
            if index >= len(chunks):
                continue
            status = 2 if index == len(chunks) - 1 else (0 if index == 0 else 1)
            nodes.append(DataListNode(sample.key, chunks[index], len(chunks[index]), sample.data_type, status))
        frames.append(DataListCls(nodes))
    return frames


def parse_assignments(pairs: Optional[List[str]], what: str) -> Dict[str, str]:
    """``["k=v", ...]`` from the command line into a dict, with a clear error on a malformed pair."""
    parsed: Dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError("%s expects key=value, got %r" % (what, pair))
        parsed[key.strip()] = value
    return parsed
