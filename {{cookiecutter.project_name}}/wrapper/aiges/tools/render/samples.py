"""Where xtest reads each input's sample, as a path inside the image.

xtest sends files, but a text input may declare only an inline ``value``. Such values are written
by render to ``wrapper/test_data/inline/<key><ext>`` (extension from the field's format/encoding),
which lands at ``/home/aiges/test_data/inline/`` in the image. That folder belongs to render: it is
rewritten on every render, files no input needs any more are removed, and ``check`` compares it
like the other outputs. Paths are relative to the wrapper folder because xtest runs in
``/home/aiges``, the image's working directory, where the wrapper folder's contents land.

The file holds the raw sample (the value's bytes), as path samples hold raw file bytes.
"""

import dataclasses
import posixpath
import re
from typing import List, Optional

from aiges.declarations import Declarations
from aiges.fields import PayloadField

INLINE_DIR = "test_data/inline"  # relative to the wrapper folder
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclasses.dataclass(frozen=True)
class SampleSource:
    """One input's sample: ``path`` relative to the wrapper folder; ``data`` set when render writes it."""

    key: str
    path: str
    data: Optional[bytes] = None


def sample_sources(declarations: Declarations) -> List[SampleSource]:
    sources: List[SampleSource] = []
    used = set()
    for field in declarations.inputs:
        inline = field.inline_value()
        if inline is None:
            sources.append(SampleSource(field.key, posixpath.normpath(field.path.replace("\\", "/"))))
            continue
        name = inline_file_name(field)
        stem, extension = posixpath.splitext(name)
        counter = 2
        while name in used:
            name, counter = "%s-%d%s" % (stem, counter, extension), counter + 1
        used.add(name)
        sources.append(SampleSource(field.key, posixpath.join(INLINE_DIR, name), inline))
    return sources


def inline_file_name(field: PayloadField) -> str:
    """A file name for the key that is safe on every file system (``.``-only names excluded)."""
    stem = _UNSAFE.sub("_", field.key).strip(".") or "input"
    return stem + field.file_extension()
