"""The generated project's README names documentation pages that exist in the template repository."""

import re

from tests.conftest import REPO, TEMPLATE


def test_every_docs_page_the_generated_readme_names_exists():
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Documentation", 1)[1]
    pages = re.findall(r"\(`(docs/[^`]+\.md)`\)", section)
    assert len(pages) >= 10, "the generated README should point to the documentation"
    missing = [page for page in pages if not (REPO / page).is_file()]
    assert missing == []
