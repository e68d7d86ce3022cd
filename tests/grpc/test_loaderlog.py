"""``loaderlog`` reads a plugin's stderr as go-plugin does: the rules, then the same lines through the real Go host.

The port is what the fake host judges our stderr by, so it is checked against go-plugin itself:
every sample line is written by a plugin process started by the Go host (Debian's go-plugin 1.0.1,
whose ``logStderr`` matches the loader's v1.4.5), and the host's log must show each at the level and
with the text the port predicts. Lines that crash the host must raise ``LoaderPanic``.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import gohost
import loaderlog
import pytest
import test_gohost
from loaderlog import LoaderPanic, entries, visible

go_binary = test_gohost.go_binary  # the built Go host (a loud skip without Go)

SAMPLES: List[bytes] = [
    b'{"@level":"error","@message":"m1","@timestamp":"2026-12-03T07:40:00.123456Z"}',
    b'{"@level":"WARN","@message":"m2"}',
    b'{"@level":" info ","@message":"m3"}',
    b'{"@level":"bogus","@message":"m4"}',
    b'{"@message":"m5"}',
    b'{"@level":"info","@message":"m6","@timestamp":"2026-12-03 07:40:00"}',
    b'{"@level":"info","@message":"m7","@timestamp":"2026-12-03T07:40:00.123Z"}',
    b'{"@level":"info","@message":"m8","@timestamp":"2026-02-30T00:00:00.000000Z"}',
    b'{"@level":"info","@message":"m9","@timestamp":"2026-12-03T07:40:00.123456+08:00"}',
    b'{"@level":"info","@message":"m10","n":1}',
    b'  {"@level":"warn","@message":"m11"}  ',
    b"[ERROR] plain e",
    b"[WARN] plain w",
    b"[INFO] plain i",
    b"[DEBUG] plain d",
    b"[TRACE] plain t",
    b" [ERROR] not at the start",
    b"[error] lower case",
    b"plain text",
    b"[1, 2]",
    b"null",
    b'"a string"',
    b"[INFO] crlf\r",
    b"",
    b"y" * 70000,
    b"[ERROR] " + b"z" * 65528,  # exactly 64 KiB without the newline: split by the host
    b"[ERROR] " + b"z" * 65527,  # one byte less: one line
]


def expected(data: bytes) -> List[Tuple[str, str]]:
    return [(entry.level, entry.message) for entry in entries(data)]


def test_json_entries_are_logged_at_their_level_with_their_message():
    found = entries(b'{"@level":"error","@message":"boom","@module":"w","n":1}\n')
    assert [(entry.level, entry.message, entry.fields) for entry in found] == [
        ("error", "boom", {"@module": "w", "n": 1})
    ]


def test_only_gos_exact_timestamp_layout_keeps_a_json_entry():
    good = b'{"@level":"error","@message":"m","@timestamp":"2026-12-03T07:40:00.123456+08:00"}\n'
    three_digits = b'{"@level":"error","@message":"m","@timestamp":"2026-12-03T07:40:00.123Z"}\n'
    assert expected(good) == [("error", "m")]
    assert expected(three_digits) == [("debug", three_digits.decode().rstrip("\n"))]


def test_plain_lines_take_the_level_of_their_prefix_else_debug():
    assert expected(b"[ERROR] e\n[WARN] w\n[INFO] i\nplain\n [ERROR] x\n") == [
        ("error", "[ERROR] e"),
        ("warn", "[WARN] w"),
        ("info", "[INFO] i"),
        ("debug", "plain"),
        ("debug", " [ERROR] x"),
    ]


def test_a_line_longer_than_the_buffer_is_logged_in_pieces_at_debug():
    line = b"[ERROR] " + b"z" * 70000
    found = entries(line + b"\n")
    assert [entry.level for entry in found] == ["debug", "debug"]
    assert b"".join(entry.raw for entry in found) == line


@pytest.mark.parametrize(
    "line",
    [
        b'{"@message": 123, "@level": "error"}',
        b'{"@level": 5, "@message": "m"}',
        b'{"@message": "m", "@timestamp": 17}',
        b'{"@message": null}',
        b'  {"@message": {"a": 1}}',
    ],
)
def test_a_non_string_message_level_or_timestamp_is_a_loader_crash(line):
    with pytest.raises(LoaderPanic):
        entries(line + b"\n")


def test_visible_is_what_the_loader_prints_at_its_level():
    data = b'{"@level":"debug","@message":"d"}\n{"@level":"info","@message":"i"}\nplain\n[WARN] w\n'
    assert [entry.message for entry in visible(data, "info")] == ["i", "[WARN] w"]
    assert [entry.message for entry in visible(data, "warn")] == ["[WARN] w"]


# -- the same lines through the real go-plugin host ---------------------------------------------------

_HOST_LINE = re.compile(r"^\S+ \[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s+python-plugin\.bash: ?(.*)$")


def _through_go_host(go_binary: Path, data: bytes, tmp_path: Path) -> Tuple[int, str, str]:
    """Start a 'plugin' that writes ``data`` to stderr and exits; (host status, its log, its stderr)."""
    source = tmp_path / "stderr.bin"
    source.write_bytes(data)
    log = tmp_path / "loader.log"
    # the pause keeps stdout open until the host has read stderr (else it may give up on the handshake first)
    command = "%s -c 'import os, sys, time; os.write(2, open(sys.argv[1], \"rb\").read()); time.sleep(1)' %s" % (
        sys.executable,
        source,
    )
    args = [
        str(go_binary),
        "-descriptors",
        str(gohost.default_descriptors()),
        "-cmd",
        command,
        "-log",
        str(log),
        "-log-level",
        "trace",
        "script",
    ]
    done = subprocess.run(
        args,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ, PYTHONPATH=""),
    )
    return done.returncode, log.read_text("utf-8", "replace") if log.exists() else "", done.stderr


def _host_entries(text: str) -> List[Tuple[str, str]]:
    found = []
    for line in text.splitlines():
        match = _HOST_LINE.match(line)
        if match:
            found.append((match.group(1).lower(), match.group(2)))
    return found


def test_the_port_predicts_what_go_plugin_logs_for_every_sample(go_binary, tmp_path):
    data = b"\n".join(SAMPLES) + b"\n"
    status, log, stderr = _through_go_host(go_binary, data, tmp_path)
    assert status == 1, stderr  # the 'plugin' exits without a handshake: the host reports that, no crash
    host = _host_entries(log)
    predicted = expected(data)
    assert [level for level, _ in host] == [level for level, _ in predicted], log[:4000]
    for (_, logged), (_, message) in zip(host, predicted):
        assert logged.startswith(message.rstrip()[:2000]), (logged[:200], message[:200])


@pytest.mark.parametrize(
    "line",
    [
        b'{"@message": 123, "@level": "error"}',
        b'{"@level": 5, "@message": "m"}',
        b'{"@message": "m", "@timestamp": 17}',
    ],
)
def test_lines_the_port_calls_a_crash_do_crash_the_go_host(go_binary, tmp_path, line):
    with pytest.raises(LoaderPanic):
        entries(line + b"\n")
    status, _, stderr = _through_go_host(go_binary, line + b"\n", tmp_path)
    assert status == 2 and "interface conversion" in stderr, (status, stderr[-2000:])


def test_the_samples_are_json_where_they_look_like_it():
    # guards the sample list itself: the JSON samples must parse, or the cross-check proves little
    assert sum(1 for sample in SAMPLES if sample.strip().startswith(b"{") and json.loads(sample)) == 11
    assert loaderlog.BUFFER == 65536
