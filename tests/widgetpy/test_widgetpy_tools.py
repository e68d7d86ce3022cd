"""A wrapper written for the vendor's package, rendered and run locally like ours, in a widgetpy project."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from widgetpy_support import REPO, RUNTIME_PARENT, vendor_example

from tests.conftest import aiges_cli


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A widgetpy bake whose wrapper.py is the vendor's EchoWrapper (the runtime as in this checkout)."""
    from cookiecutter.main import cookiecutter

    out = tmp_path_factory.mktemp("bake")
    root = cookiecutter(str(REPO), no_input=True, output_dir=str(out), extra_context={"plugin_mode": "widgetpy"})
    return out / root.rsplit("/", 1)[-1]


def aiges(project, *args):
    """``python -m aiges <args>`` as the user runs it in the baked project: its own vendored runtime."""
    return aiges_cli(project, *args, env=dict(os.environ))


def test_render_and_the_local_run_take_the_new_api_wrapper(project):
    shutil.copyfile(vendor_example(), project / "wrapper" / "wrapper.py")
    (project / "wrapper" / "textstats.py").unlink()
    rendered = aiges(project, "render")
    assert rendered.returncode == 0, rendered.stderr
    assert '"serviceId": "echowrapper"' in (project / "schema.json").read_text()
    run = aiges(project, "run", "--input", "text=wrapper/test_data/sample.txt")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "echowrapper v1" in run.stderr  # the report
    assert "EchoWrapper init with config" in run.stdout  # the wrapper's own print
    sample = (project / "wrapper" / "test_data" / "sample.txt").read_bytes()
    assert [path.name for path in (project / "output").iterdir() if path.read_bytes() == sample]  # echoed


def test_the_runtime_under_test_is_the_checkouts(project):
    """The bake carries a copy of the runtime; it must be this checkout's (the tests above judge it)."""
    assert (project / "wrapper" / "aiges" / "widgetpy" / "bridge.py").read_bytes() == (
        RUNTIME_PARENT / "aiges" / "widgetpy" / "bridge.py"
    ).read_bytes()


@pytest.fixture(scope="module")
def stub_project(tmp_path_factory):
    from cookiecutter.main import cookiecutter

    out = tmp_path_factory.mktemp("stub")
    return Path(cookiecutter(str(REPO), no_input=True, output_dir=str(out), extra_context={"plugin_mode": "widgetpy"}))


def test_the_gateway_serves_a_widgetpy_project(stub_project):
    """`python -m aiges gateway` answers the schema's sample request as in the other modes."""
    sample = aiges(stub_project, "schema", "--request")
    assert sample.returncode == 0, sample.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "aiges", "gateway", "--port", "0"],
        cwd=str(stub_project),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = []
        for line in process.stdout:
            banner.append(line)
            if line.startswith("  (Ctrl-C stops"):
                break
        found = re.search(r"on (http://127\.0\.0\.1:\d+/\S+)", "".join(banner))
        assert found, "".join(banner)
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(found.group(1), data=sample.stdout.encode(), headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            answer = json.loads(response.read())
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert answer["header"]["code"] == 0, answer
    assert "result" in answer["payload"]
