"""Logging never reconfigures the root logger and creates the directories the loader expects."""

import logging
import os
import subprocess
import sys

import pytest

from tests.conftest import runtime_env


def test_importing_the_runtime_leaves_the_root_logger_alone():
    # the vendor module set the root level to DEBUG and added a handler at import (spec 10.1 item 18)
    code = (
        "import logging; before=(logging.root.level, list(logging.root.handlers));"
        "import aiges.utils.log, aiges.sdk, aiges.dto;"
        "after=(logging.root.level, list(logging.root.handlers)); assert before == after, (before, after)"
    )
    subprocess.run([sys.executable, "-c", code], env=runtime_env(), check=True)


def test_runtime_logs_go_to_stderr_never_stdout():
    code = "from aiges.utils.log import log; log.warning('hello from the runtime')"
    result = subprocess.run([sys.executable, "-c", code], env=runtime_env(), capture_output=True, text=True, check=True)
    assert result.stdout == "" and "hello from the runtime" in result.stderr


def test_log_directories_the_loader_expects_are_created(tmp_path):
    from aiges.utils.log import ensure_log_dirs

    app_dir = ensure_log_dirs(str(tmp_path))
    assert (tmp_path / "log" / "server").is_dir() and (tmp_path / "log" / "app").is_dir()
    assert app_dir == str(tmp_path / "log" / "app")


def test_file_logger_creates_its_directory(tmp_path):
    from aiges.utils.log import getFileLogger

    logger = getFileLogger("wrapper", log_dir=str(tmp_path / "deep" / "logs"))
    logger.info("written")
    for handler in logger.handlers:
        handler.flush()
    assert "written" in (tmp_path / "deep" / "logs" / "wrapper.log").read_text()
    assert logger.level == logging.INFO


def test_inside_the_loaders_image_the_wrapper_creates_the_log_folders(tmp_path, monkeypatch):
    from tests.runtime.test_cgo_contract import SyncOnly

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIGES_PLUGIN_MODE", "c")
    SyncOnly()
    assert (tmp_path / "log" / "server").is_dir()


def test_outside_the_loader_no_log_folders_are_created(tmp_path, monkeypatch):
    from tests.runtime.test_cgo_contract import SyncOnly

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AIGES_PLUGIN_MODE", raising=False)
    SyncOnly()
    assert not (tmp_path / "log").exists()


# -- hclog lines: what the runtime writes for a go-plugin host ----------------------------------------


def _loaderlog():
    """tests/grpc/loaderlog.py (go-plugin's stderr rules), loaded by path: tests/grpc is no package."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "grpc" / "loaderlog.py"
    spec = importlib.util.spec_from_file_location("loaderlog_for_runtime_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _formatted(logger_name, level, message, *args, exc=False):
    from aiges.utils.hclog import HclogFormatter

    record = logging.LogRecord(
        logger_name, level, "/w/wrapper.py", 7, message, args or None, sys.exc_info() if exc else None
    )
    return HclogFormatter().format(record)


class _BrokenStr:
    def __str__(self):
        raise RuntimeError("no text")


@pytest.mark.parametrize(
    "message",
    [123, 1.5, None, {"@message": 1}, ["a"], b"bytes", _BrokenStr(), "multi\nline", "x" * 200000, "\udcff undecodable"],
)
def test_any_record_becomes_entries_the_loader_logs_at_their_level(message):
    loaderlog = _loaderlog()
    text = _formatted("wrapper", logging.ERROR, message)
    found = loaderlog.entries(text.encode("utf-8") + b"\n")  # raises LoaderPanic where the loader would crash
    assert found and all(entry.level == "error" for entry in found)
    assert all(len(line.encode("utf-8")) < 64 * 1024 for line in text.split("\n"))


def test_an_entry_carries_the_logger_the_caller_and_the_traceback():
    loaderlog = _loaderlog()
    try:
        raise ValueError("boom")
    except ValueError:
        text = _formatted("wrapper.model", logging.WARNING, "failed %s", "x", exc=True)
    (entry,) = loaderlog.entries(text.encode() + b"\n")
    assert (entry.level, entry.message) == ("warn", "failed x")
    assert entry.fields["@module"] == "wrapper.model" and entry.fields["@caller"] == "/w/wrapper.py:7"
    assert entry.fields["exception"].startswith("Traceback") and "ValueError: boom" in entry.fields["exception"]


def test_a_long_message_is_split_into_numbered_parts_that_join_to_it():
    loaderlog = _loaderlog()
    message = "".join("line %d \u4e2d\n" % number for number in range(20000))
    lines = _formatted("wrapper", logging.INFO, message).split("\n")
    assert len(lines) > 1
    found = loaderlog.entries(("\n".join(lines) + "\n").encode())
    assert [entry.fields["part"] for entry in found] == ["%d/%d" % (n, len(lines)) for n in range(1, len(lines) + 1)]
    assert "".join(entry.message for entry in found) == message


def test_levels_map_to_hclogs_names():
    from aiges.utils.hclog import level_name

    assert [level_name(n) for n in (5, 10, 20, 30, 40, 50)] == ["trace", "debug", "info", "warn", "error", "error"]


@pytest.mark.parametrize("zone, suffix", [("UTC", "Z"), ("Asia/Shanghai", "+08:00"), ("America/Sao_Paulo", "-03:00")])
def test_timestamps_use_gos_layout_in_local_time(zone, suffix):
    code = "from aiges.utils.hclog import go_timestamp; print(go_timestamp(1764745200.25))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=runtime_env(TZ=zone), capture_output=True, text=True, check=True
    )
    stamp = done.stdout.strip()
    assert stamp.endswith(".250000" + suffix), stamp
    assert _loaderlog()._go_time(stamp)


# -- printed text: how lines become records -------------------------------------------------------------


def test_a_printed_traceback_is_one_error_record_named_by_its_exception():
    from aiges.utils.stdio import Lines

    lines = Lines()
    records = lines.feed(
        "before\nTraceback (most recent call last):\n  File \"w.py\", line 1, in f\n    g()\nKeyError: 'k'\nafter\n"
    )
    assert [(level, message) for level, message, _ in records] == [
        (logging.INFO, "before"),
        (logging.ERROR, "KeyError: 'k'"),
        (logging.INFO, "after"),
    ]
    assert records[1][2]["exception"].splitlines()[0] == "Traceback (most recent call last):"


def test_prefixes_warnings_and_hclog_lines_keep_their_level_and_hostile_values_become_text():
    from aiges.utils.stdio import Lines

    lines = Lines()
    records = lines.feed(
        '[ERROR] e\n[WARN] w\n/w.py:3: UserWarning: careful\n  warnings.warn("careful")\n'
        '{"@message": 123, "@level": "error", "n": 1}\n{"@level": 7, "@message": "m"}\n\n   \n'
    )
    assert records[:3] == [
        (logging.ERROR, "e", {}),
        (logging.WARNING, "w", {}),
        (logging.WARNING, '/w.py:3: UserWarning: careful\n  warnings.warn("careful")', {}),
    ]
    assert records[3] == (logging.ERROR, "123", {"n": 1})
    assert records[4] == (logging.INFO, "m", {})
    assert len(records) == 5  # blank lines carry nothing


def test_text_without_its_newline_is_held_until_a_flush():
    from aiges.utils.stdio import Lines

    lines = Lines()
    assert lines.feed("50%") == [] and lines.holding
    assert lines.flush() == [(logging.INFO, "50%", {})] and not lines.holding


def test_a_line_too_long_to_hold_is_written_in_pieces():
    from aiges.utils.stdio import MAX_PENDING, Lines

    lines = Lines()
    records = lines.feed("y" * (MAX_PENDING + 10))
    assert records and sum(len(message) for _, message, _ in records) == MAX_PENDING + 10


def test_utf8_split_between_reads_is_kept_whole():
    from aiges.utils.stdio import _utf8_boundary

    data = "a\u4e2d".encode()
    assert _utf8_boundary(data[:-1]) == 1 and _utf8_boundary(data) == len(data)


# -- where the server logs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"BASIC_PLUGIN": "hello", "PLUGIN_PROTOCOL_VERSIONS": "1"}, "json"),
        ({"BASIC_PLUGIN": "hello"}, "text"),  # by hand
        ({}, "text"),
        ({"BASIC_PLUGIN": "hello", "PLUGIN_PROTOCOL_VERSIONS": "1", "AIGES_LOG_FORMAT": "text"}, "text"),
        ({"AIGES_LOG_FORMAT": "JSON"}, "json"),
    ],
)
def test_json_under_a_go_plugin_host_else_text(env, expected):
    from aiges.utils.logsetup import console_format

    assert console_format(env) == expected


def _record(message, level=logging.INFO):
    return logging.LogRecord("aiges.serve", level, __file__, 1, message, None, None)


def test_the_log_file_gets_what_was_logged_before_it_was_chosen(tmp_path):
    from aiges.utils.logfile import LogFile

    warnings = []
    target = LogFile(warnings.append)
    target.handle(_record("early %s" % "line"))
    assert not list(tmp_path.iterdir())
    assert target.choose(str(tmp_path / "app" / "wrapper.log")) == str(tmp_path / "app" / "wrapper.log")
    target.handle(_record("later"))
    target.close()
    text = (tmp_path / "app" / "wrapper.log").read_text()
    assert text.index("early line") < text.index("later") and " - INFO:  " in text and warnings == []


def test_an_unwritable_log_file_falls_back_to_the_loaders_log_tree_with_one_warning(tmp_path, monkeypatch):
    from aiges.utils.logfile import LogFile

    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-a-dir").write_text("")
    warnings = []
    target = LogFile(warnings.append)
    chosen = target.choose(str(tmp_path / "not-a-dir" / "wrapper.log"))
    assert chosen == str(tmp_path / "log" / "app" / "wrapper.log")
    assert len(warnings) == 1 and "cannot write the log file" in warnings[0] and chosen in warnings[0]
    assert target.choose("/elsewhere.log") == chosen  # the first choice stands
    target.close()


def test_no_log_file_when_asked_or_when_nothing_is_writable(tmp_path, monkeypatch):
    from aiges.utils.logfile import LogFile

    assert LogFile(print).choose("") is None
    monkeypatch.chdir(tmp_path)
    (tmp_path / "log").write_text("")  # ./log/app cannot be made either
    (tmp_path / "x").write_text("")
    warnings = []
    assert LogFile(warnings.append).choose(str(tmp_path / "x" / "w.log")) is None
    assert len(warnings) == 1 and "no log file" in warnings[0]


def test_a_device_as_log_file_is_never_rotated():
    from aiges.utils.logfile import _open

    handler = _open(os.devnull)
    try:
        assert handler.maxBytes == 0
    finally:
        handler.close()


def test_printed_lines_are_records_at_once_and_in_order():
    import io

    from aiges.utils.stdio import TextToLog

    sent = []
    writer = TextToLog("stdout", io.StringIO(), lambda stream, records: sent.extend((stream, r[1]) for r in records))
    print("one", file=writer)
    print("two\nthree", end="", file=writer)
    assert sent == [("stdout", "one"), ("stdout", "two")]
    writer.flush_held(quiet=0.0)
    assert sent[-1] == ("stdout", "three")
    with pytest.raises(TypeError):
        writer.write(b"bytes")


def test_a_handler_that_writes_back_to_the_stream_cannot_loop():
    import io

    from aiges.utils.stdio import TextToLog

    original = io.StringIO()
    calls = []

    def send(stream, records):
        calls.append(records)
        for _, message, _ in records:
            print("echo of " + message, file=writer)  # e.g. a StreamHandler(sys.stdout) on the same logger

    writer = TextToLog("stdout", original, send)
    print("hello", file=writer)
    assert len(calls) == 1 and original.getvalue() == "echo of hello\n"


def test_a_console_the_loader_no_longer_reads_fails_silently(capsys):
    # the default report would go to sys.stderr, which the server captures and logs again: a loop
    from aiges.utils.logsetup import _Console

    class Gone:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    logger = logging.getLogger("test.console.gone")
    logger.propagate = False
    logger.addHandler(_Console(Gone()))
    logger.error("nobody reads this")
    assert capsys.readouterr().err == ""


def test_fields_the_host_could_not_parse_become_text():
    from aiges.utils.hclog import lines

    (line,) = lines("info", "m", fields={"nan": float("nan"), "inf": float("inf"), "obj": object(), "@level": 1})
    entry = _loaderlog().entries(line.encode() + b"\n")[0]  # Go's JSON parser has no NaN: the line would be text
    assert entry.level == "info" and entry.fields["nan"] == "nan" and entry.fields["inf"] == "inf"
