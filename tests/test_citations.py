"""The shipped runtime cites our docs, not a document it does not ship: every ``docs/<page>.md[#anchor]`` named in
a runtime module exists (with that anchor), and no "spec section N" citation is left."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "{{cookiecutter.project_name}}" / "wrapper" / "aiges"
CITATION = re.compile(r"docs/([a-z/-]+\.md)(?:#([a-z0-9-]+))?")
SPEC = re.compile(r"\bspec(?: section)? \d+(?:\.\d+)*")


def cited():
    for path in sorted(RUNTIME.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in CITATION.finditer(line):
                yield "%s:%d" % (path.relative_to(RUNTIME), number), match.group(1), match.group(2)


@pytest.mark.parametrize("where, page, anchor", list(cited()))
def test_each_cited_docs_page_exists(where, page, anchor):
    target = ROOT / "docs" / page
    assert target.is_file(), "%s cites docs/%s, which does not exist" % (where, page)
    if anchor:
        assert "{#%s}" % anchor in target.read_text(encoding="utf-8"), "%s: no #%s in docs/%s" % (where, anchor, page)


def test_no_citation_of_the_unshipped_spec_is_left():
    left = [
        "%s:%d" % (path.relative_to(RUNTIME), number)
        for path in sorted(RUNTIME.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SPEC.search(line)
    ]
    assert left == []
