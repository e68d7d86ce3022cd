"""A generated project holds no placeholder URLs or to-do markers: every link in it leads somewhere real.

A newcomer copies what the README shows; a made-up host (``registry.example.com``, ``github.com/org``)
either fails obscurely or, worse, reaches someone else's server.
"""

import re
from pathlib import Path
from typing import Callable, List

import pytest

from tests.template import support

PLACEHOLDERS = re.compile(
    r"\bexample\.(?:com|org|net|invalid)\b|\bgithub\.com/(?:org|your-?org|owner|user)/|\byour-?(?:org|company|registry)\b"
    r"|\b(?:TODO|FIXME|TBD|XXX)\b|\bchangeme\b|<your[ -][a-z]+>",
    re.IGNORECASE,
)
URL = re.compile(r"\bhttps?://[^\s)\"'<>`\]]+")
# Every URL a generated project may contain, each one real: the JSON Schema draft schema.json declares,
# the companion address the official images' CMD passes to AIservice, and the local addresses of the
# local run / gateway on this machine.
KNOWN_URL = re.compile(
    r"^https?://(?:json-schema\.org/draft-07/schema#?|companion\.xfyun\.iflytek:6868"
    # a run-time address format (the gateway and the probe print where they connect)
    r"|(?:%s|127\.0\.0\.1)(?::%d)?(?:%s|/\S*)?"
    r"|127\.0\.0\.1(?::\d+|:\$\{?[A-Z_]+\}?)?(?:/\S*)?|localhost(?::\d+)?(?:/\S*)?)$"
)


def text_files(project: Path) -> List[Path]:
    files = []
    for path in sorted(project.rglob("*")):
        if path.is_file() and not support.CACHES & set(path.relative_to(project).parts):
            try:
                path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # sample images and audio
            files.append(path)
    return files


@pytest.mark.parametrize("variant", sorted(support.variants()))
def test_no_placeholder_in_any_generated_file(bake: Callable[[str], Path], variant: str) -> None:
    project = bake(variant)
    found = []
    for path in text_files(project):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PLACEHOLDERS.search(line):
                found.append(f"{path.relative_to(project)}:{number}: {line.strip()[:140]}")
    assert found == [], "placeholders in the generated project:\n" + "\n".join(found)


@pytest.mark.parametrize("variant", sorted(support.variants()))
def test_every_url_in_the_generated_project_is_a_known_real_one(bake: Callable[[str], Path], variant: str) -> None:
    project = bake(variant)
    unknown = []
    for path in text_files(project):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for url in URL.findall(line):
                if not KNOWN_URL.match(url.rstrip(".,;:")):
                    unknown.append(f"{path.relative_to(project)}:{number}: {url}")
    assert unknown == [], "URLs nobody checked are real:\n" + "\n".join(unknown)


def test_the_scan_finds_what_it_is_meant_to_find() -> None:
    for line in (
        "docker tag x registry.example.com/team/x",
        "see https://github.com/org/aiges-template",
        "# TODO: load the model",
        "push to your-org",
    ):
        assert PLACEHOLDERS.search(line), line
    assert not KNOWN_URL.match("https://github.com/org/aiges-template")
    assert KNOWN_URL.match("http://127.0.0.1:1888/v1/private/aiges_demo")
