"""Every code block of the documentation does what the page says, so the docs cannot rot.

* python blocks run (in a fresh interpreter, with the runtime importable) unless marked ``skip``;
* console/bash blocks run when marked ``run`` -- every shell block must carry a marker, so a
  block is never silently left untested; ``needs=docker|network`` skips with that reason;
* ``file=PATH`` / ``insert=PATH`` blocks change the page's generated project like the reader would;
* json, toml and yaml blocks must parse.

The blocks of a page run in order in one scratch folder (see docs_runner.py); the marker syntax
is documented for writers in docs/contributing-docs.md.
"""

from typing import Dict, List, Tuple

import pytest
from docs_blocks import Block, MarkerError, Page, all_pages
from docs_runner import DOCS, REPO, BlockFailedError, PageRun, clone_template, copy_project, needs_skip_reason


def _load() -> Tuple[List[Page], List[str]]:
    try:
        return all_pages(DOCS), []
    except MarkerError as error:
        return [], [str(error)]


PAGES, PARSE_ERRORS = _load()
ACTIONABLE = [(page, block) for page in PAGES for block in page.blocks if block.action != "none"]
# Shell blocks and anything in a generated project bake and run whole projects: marked slow.
BLOCK_PARAMS = [
    pytest.param(
        page,
        block,
        id=block.where,
        marks=[pytest.mark.slow] if block.kind == "shell" or page.workdir == "project" else [],
    )
    for page, block in ACTIONABLE
]
_RUNS: Dict[str, PageRun] = {}


def test_markers_are_well_formed() -> None:
    assert not PARSE_ERRORS, "\n".join(PARSE_ERRORS)


def test_the_docs_have_pages_and_blocks() -> None:
    assert len(PAGES) >= 10
    assert sum(block.action == "run" for _, block in ACTIONABLE) >= 10


@pytest.mark.parametrize(
    "block", [block for page in PAGES for block in page.blocks if block.kind == "shell"], ids=lambda block: block.where
)
def test_every_shell_block_is_marked(block: Block) -> None:
    assert block.marker is not None, (
        f'{block.where}: shell blocks need a marker: <!-- test: run -->, <!-- test: skip reason="..." --> '
        "or <!-- test: needs=docker|network -->"
    )


def _page_run(page: Page, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PageRun:
    key = page.path.as_posix()
    if key not in _RUNS:
        scratch = tmp_path_factory.mktemp(page.path.stem.replace(".", "_"))
        if page.workdir == "project":
            baked = request.getfixturevalue("baked_project")
            start = copy_project(baked, scratch / baked.name)
        elif page.workdir == "empty":
            start = scratch / "work"
            start.mkdir()
        else:
            start = scratch
        template = clone_template(scratch / "template") if page.settings.get("template") == "clone" else REPO
        _RUNS[key] = PageRun(scratch, start, template)
    return _RUNS[key]


@pytest.mark.parametrize("page,block", BLOCK_PARAMS)
def test_block(
    page: Page, block: Block, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if block.action == "skip":
        pytest.skip(f"{block.where}: {block.option('reason')}")
    if block.action == "needs":
        reason = needs_skip_reason(block)
        if reason:
            pytest.skip(f"{block.where}: {reason}")
    run = _page_run(page, request, tmp_path_factory)
    if run.failed:
        pytest.skip(f"an earlier block of this page failed ({run.failed})")
    try:
        run.run(block)
    except BlockFailedError:
        run.failed = block.where
        raise
