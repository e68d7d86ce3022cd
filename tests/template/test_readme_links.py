"""The generated project's README links to documentation pages that exist."""
import re

from tests.conftest import REPO, TEMPLATE

DOCS_URL = "https://github.com/org/aiges-template/blob/main/"


def test_every_docs_link_of_the_generated_readme_points_to_an_existing_page():
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    links = re.findall(re.escape(DOCS_URL) + r"([^)#\s]+)", readme)
    assert links, "the generated README should link to the documentation"
    missing = [link for link in links if not (REPO / link).is_file()]
    assert missing == []
