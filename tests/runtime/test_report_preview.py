"""The local run's preview of an output never cuts a token in half, and says plainly what it left out."""

import io
import json

from aiges.dto import DataListNode
from aiges.tools.localrun.report import Reporter, preview_text

ELLIPSIS = "\u2026"  # the marker of a cut a reader recognises

LONG_JSON = {"words": [f"word-{index}" for index in range(300)], "count": 300, "ok": True}


def shown_and_marker(preview: str):
    lines = preview.splitlines()
    return lines[:-1], lines[-1]


def test_long_json_is_cut_between_lines_with_a_marker_saying_how_much_is_left() -> None:
    full = json.dumps(LONG_JSON, indent=2).splitlines()
    shown, marker = shown_and_marker(preview_text(json.dumps(LONG_JSON).encode()))
    assert shown == full[: len(shown)], "every shown line is a whole line of the pretty JSON"
    assert marker == f"{ELLIPSIS} ({len(full) - len(shown)} more lines)"
    assert len("\n".join(shown)) <= 600 and len(shown) <= 20


def test_a_long_json_string_is_abbreviated_inside_its_quotes() -> None:
    preview = preview_text(json.dumps({"text": "x" * 5000, "n": 1}).encode())
    lines = preview.splitlines()
    assert lines[0] == "{" and lines[-1] == "}", "short enough now to be shown whole"
    text_line = lines[1]
    assert text_line == '  "text": "' + "x" * 80 + f"{ELLIPSIS}(4880 characters left out){ELLIPSIS}" + "x" * 40 + '",'
    tail = json.loads(preview_text(json.dumps({"text": "a" * 300 + " (checked)"}).encode()))["text"]
    assert tail.endswith(" (checked)"), "the end of a long string stays visible"
    assert json.loads(preview)["n"] == 1, "what is shown is still JSON"


def test_short_json_is_shown_whole_and_pretty() -> None:
    assert preview_text(b'{"a": 1, "b": [1, 2]}') == json.dumps({"a": 1, "b": [1, 2]}, indent=2)


def test_long_text_is_cut_at_a_space_never_inside_a_word() -> None:
    text = " ".join(f"word{index}" for index in range(400))
    head, marker = preview_text(text.encode()).rsplit("\n", 1)
    assert text.startswith(head + " "), "the cut falls on a word boundary"
    assert head.split(" ")[-1] in text.split(" ")
    assert marker == f"{ELLIPSIS} ({len(text) - len(head)} more characters)"


def test_short_text_and_binary_are_unchanged() -> None:
    assert preview_text("héllo wörld".encode()) == "héllo wörld"
    assert preview_text(b"\xff\xfe\x00binary").startswith("binary, sha256 ")


def test_the_run_report_prints_the_cut_preview_with_its_marker() -> None:
    stream = io.StringIO()
    node = DataListNode(key="result", data=json.dumps(LONG_JSON).encode())
    Reporter(stream).node(node, None)
    printed = [line.strip() for line in stream.getvalue().splitlines()[1:]]
    assert printed[-1].startswith(f"{ELLIPSIS} (") and printed[-1].endswith("more lines)")
    assert printed[-2] == '"word-17",', "the last shown line is whole"
