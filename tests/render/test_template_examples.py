"""The template's own examples, baked with cookiecutter: their rendered files against golden files.

Each example x plugin mode x session mode is baked (the post-generation hook renders); the files it
wrote must equal an in-memory render (so ``check`` passes right after generation), the golden files,
and the consistency rules. Accept deliberate changes with ``pytest tests/render --update-golden``.
"""

import pytest
from aiges.tools.render.pipeline import locate, render

from .consistency import assert_consistent
from .support import GOLDEN, REPO, run_aiges
from .test_golden import compare_with_golden

cookiecutter_main = pytest.importorskip("cookiecutter.main")

EXAMPLES = ("text", "image", "audio")
SESSION_MODES = ("once", "stream")


@pytest.mark.slow
@pytest.mark.parametrize("plugin_mode", ("grpc", "cgo"))
@pytest.mark.parametrize("session_mode", SESSION_MODES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_baked_example_renders_golden_consistent_files(tmp_path, update_golden, example, session_mode, plugin_mode):
    baked = cookiecutter_main.cookiecutter(
        str(REPO),
        no_input=True,
        output_dir=str(tmp_path),
        extra_context={
            "project_name": "demo",
            "example": example,
            "session_mode": session_mode,
            "plugin_mode": plugin_mode,
        },
    )
    rendered = render(locate(baked))
    assert rendered.reading.how == "static"  # the examples render without importing anything
    on_disk = {output.path: (tmp_path / "demo" / output.path).read_bytes() for output in rendered.outputs}
    assert on_disk == {output.path: output.data for output in rendered.outputs}
    compare_with_golden(on_disk, GOLDEN / "template" / ("%s-%s" % (example, session_mode)) / plugin_mode, update_golden)
    assert_consistent(tmp_path / "demo", plugin_mode=plugin_mode)
    assert run_aiges(["check", "-q"], tmp_path / "demo").returncode == 0
