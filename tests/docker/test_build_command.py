"""``python -m aiges build`` without an engine: what it would build, and how it fails when it cannot."""

import re
from pathlib import Path

import pytest

from tests.docker import support


@pytest.fixture(scope="module")
def project(bake_variant) -> Path:
    return bake_variant()


def plan(project: Path, *args: str) -> dict:
    done = support.aiges_cli(project, "build", "--dry-run", *args)
    assert done.returncode == 0, done.stderr
    lines = [line.split(None, 1) for line in done.stdout.splitlines()]
    result: dict = {}
    for key, value in lines:
        if key == "build-arg":
            name, _, arg = value.partition("=")
            result.setdefault("args", {})[name] = arg
        else:
            result[key] = value
    return result


def test_tags_the_image_with_service_id_and_version_and_records_the_schema_digest(project: Path) -> None:
    defaults = support.template_answers()
    shown = plan(project)
    assert shown["tag"] == f"{defaults['service_id']}:{defaults['service_version']}"
    assert shown["args"]["SERVICE_ID"] == defaults["service_id"]
    assert shown["args"]["SERVICE_VERSION"] == defaults["service_version"]
    assert shown["args"]["SCHEMA_DIGEST"] == support.sha256_file(project / "schema.json")
    assert shown["base"] == defaults["base_image"]
    assert "BASE_IMAGE" not in shown["args"] and "PIP_INDEX_URL" not in shown["args"], "Dockerfile defaults apply"
    assert shown["network"] == "default"


def test_options_become_build_arguments(project: Path) -> None:
    shown = plan(project, "--base-image", "aiges-test/base:py39", "--pip-index-url", "", "--tag", "x/y:z")
    assert shown["tag"] == "x/y:z"
    assert shown["args"]["BASE_IMAGE"] == "aiges-test/base:py39"
    assert shown["args"]["PIP_INDEX_URL"] == "", "an explicit empty index means: the base image's own"


def test_offline_builds_have_no_network_and_fetch_wheels_first(project: Path) -> None:
    shown = plan(project, "--offline", "--python-version", "3.9")
    assert shown["network"] == "none"
    assert re.match(r"python 3\.9, manylinux2014_x86_64 -> .*wheelhouse$", shown["wheels"])


def test_no_engine_is_a_clear_message_not_a_traceback(project: Path) -> None:
    done = support.aiges_cli(project, "build", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert done.returncode == 3, done.stderr
    assert "no Docker engine reachable at unix:///nonexistent/docker.sock" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_project_without_schema_json_is_told_to_render(project: Path, tmp_path: Path) -> None:
    copy = support.copy_project(project, tmp_path / "p")
    (copy / "schema.json").unlink()
    done = support.aiges_cli(copy, "build", "--dry-run")
    assert done.returncode == 1
    assert "python -m aiges render" in done.stderr


@pytest.mark.parametrize(
    ("service_id", "version", "tag"),
    [
        ("mmocr", "backup.0", "mmocr:backup.0"),
        ("Demo_Svc", "v1", "demo_svc:v1"),
        ("s12345678", "1.0 beta", "s12345678:1.0-beta"),
    ],
)
def test_tags_are_valid_docker_references(service_id: str, version: str, tag: str) -> None:
    support.runtime_on_path()
    from aiges.tools.build import default_tag

    assert default_tag(service_id, version) == tag


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_refuses_to_build_stale_rendered_files(project: Path, tmp_path: Path) -> None:
    copy = support.copy_project(project, tmp_path / "p")
    version = support.template_answers()["service_version"]
    edit(copy / "wrapper" / "wrapper.py", f'version = "{version}"', 'version = "v2"')
    done = support.aiges_cli(copy, "build", "--dry-run")
    assert done.returncode == 1
    assert "out of date with wrapper.py: schema.json" in done.stderr and "python -m aiges render" in done.stderr
    forced = plan(copy, "--no-check")
    assert forced["tag"].endswith(":v2") and forced["args"]["SERVICE_VERSION"] == "v2"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("AIGES_PLUGIN_MODE=python", "AIGES_PLUGIN_MODE=c", "the Dockerfile sets AIGES_PLUGIN_MODE=c but"),
        ('"-s=svcName"', '"-s=other"', "the Dockerfile's CMD starts the loader with -s=other but"),
    ],
)
def test_refuses_a_dockerfile_that_contradicts_the_project_settings(
    project: Path, tmp_path: Path, old: str, new: str, message: str
) -> None:
    copy = support.copy_project(project, tmp_path / "p")
    edit(copy / "Dockerfile", old, new)
    done = support.aiges_cli(copy, "build", "--dry-run")
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert support.aiges_cli(copy, "build", "--dry-run", "--no-check").returncode == 0


def test_the_plan_says_how_the_image_will_be_proven(project: Path) -> None:
    assert plan(project)["verify"] == "import wrapper.py, local run, plugin handshake"
    assert "verify" not in plan(project, "--no-verify")
