"""Logging never reconfigures the root logger and creates the directories the loader expects."""
import logging
import subprocess
import sys

from tests.conftest import runtime_env


def test_importing_the_runtime_leaves_the_root_logger_alone():
    # the vendor module set the root level to DEBUG and added a handler at import (spec 10.1 item 18)
    code = ("import logging; before=(logging.root.level, list(logging.root.handlers));"
            "import aiges.utils.log, aiges.sdk, aiges.dto;"
            "after=(logging.root.level, list(logging.root.handlers)); assert before == after, (before, after)")
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
