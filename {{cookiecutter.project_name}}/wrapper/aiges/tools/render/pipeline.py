"""Locate a generated project and render all of its files in memory."""

import dataclasses
import os
import posixpath
from typing import Any, Dict, List, Optional

from aiges.errors import DeclarationErrors
from aiges.loading import find_wrapper_file, project_root
from aiges.tools.render import tomlout
from aiges.tools.render.aiges_toml import AIGES_TOML, aiges_document
from aiges.tools.render.k8s_manifests import k8s_outputs
from aiges.tools.render.options import Settings, load_settings
from aiges.tools.render.outputs import Output
from aiges.tools.render.preflight import admission_problems, check
from aiges.tools.render.reading import Reading, read_declarations
from aiges.tools.render.samples import INLINE_DIR, sample_sources
from aiges.tools.render.schema_json import LEGACY_SCHEMA_FILE, SCHEMA_FILE, render_legacy_schema, render_schema
from aiges.tools.render.xtest_toml import XTEST_TOML, xtest_document


@dataclasses.dataclass
class Project:
    """A generated project: its root (outputs go there), its wrapper.py and its settings."""

    root: str
    wrapper_file: str
    settings: Settings

    @property
    def wrapper_dir(self) -> str:
        return os.path.dirname(self.wrapper_file)

    def relative(self, path: str) -> str:
        """``path`` relative to the root, with ``/`` separators (``.`` for the root itself)."""
        return os.path.relpath(path, self.root).replace(os.sep, "/")


@dataclasses.dataclass
class Rendered:
    """Every output of one render, plus how the declarations were read."""

    project: Project
    reading: Reading
    outputs: List[Output]
    owned_dirs: List[str]


def locate(location: Optional[str] = None) -> Project:
    """The project at ``location`` (default: the current directory): its root, or its wrapper folder."""
    wrapper_file = find_wrapper_file(location)
    root = project_root(wrapper_file)
    return Project(root=root, wrapper_file=wrapper_file, settings=load_settings(root))


def display_path(path: str) -> str:
    """How messages name a file: relative to the current directory when below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def render(project: Project, force_import: bool = False, legacy: bool = False, in_image: bool = False) -> Rendered:
    """Render all outputs in memory; raise DeclarationErrors (nothing is written here).

    ``in_image``: the check of a plain ``docker build``: wrapper.py is only parsed (never imported, so
    no dependency of it is needed; raises NotStatic when that is not enough) and the TOML files are
    compared by content (no TOML writer is needed, and their comments name the project's layout).
    """
    if not in_image:
        tomlout.require_tomli_w()
    reading = read_declarations(
        project.wrapper_file, display_path(project.wrapper_file), force_import, static_only=in_image
    )
    reading.declarations.project_session_mode = project.settings.session_mode or None  # aiges.sessionmode
    declarations = check(reading.declarations)
    settings = project.settings
    starved = admission_problems(declarations, settings, os.path.join(project.root, "pyproject.toml"))
    if starved:
        raise DeclarationErrors(starved)
    wrapper_folder = project.relative(project.wrapper_dir)
    source = project.relative(project.wrapper_file)
    meta = declarations.meta
    header = [
        "Rendered by `python -m aiges render` from %s and [tool.aiges] in pyproject.toml." % source,
        "Do not edit: change those and render again (`python -m aiges check` fails while this is stale).",
        "Service: serviceId=%s version=%s route=%s sub=%s" % (meta.service_id, meta.version, meta.route, meta.sub),
    ]
    sources = sample_sources(declarations)
    outputs = [
        Output(SCHEMA_FILE, render_schema(declarations)),
        _toml(AIGES_TOML, aiges_document(declarations, settings), header, in_image),
        _toml(XTEST_TOML, xtest_document(declarations, settings, sources), header, in_image),
    ]
    if settings.k8s and not in_image:  # deploy/ is not copied into the image
        outputs.extend(k8s_outputs(declarations, settings, header, os.path.join(project.root, "pyproject.toml")))
    if legacy or settings.legacy_schema or os.path.isfile(os.path.join(project.root, LEGACY_SCHEMA_FILE)):
        outputs.append(Output(LEGACY_SCHEMA_FILE, render_legacy_schema(declarations)))
    for sample in sources:
        if sample.data is not None:
            outputs.append(Output(_join(wrapper_folder, sample.path), sample.data))
    return Rendered(project, reading, outputs, [_join(wrapper_folder, INLINE_DIR)])


def _toml(path: str, document: Dict[str, Any], header: List[str], by_content: bool) -> Output:
    if by_content:
        return Output(path, b"", tomlout.plain(document))
    return Output(path, tomlout.dumps(document, header))


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path))
