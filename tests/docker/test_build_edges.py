"""``python -m aiges build`` at the edges a newcomer meets first: a base image that cannot be pulled,
and wheels left in wheelhouse/ by an earlier ``--offline`` build."""

import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.docker import support

# `.invalid` never resolves (RFC 2606): the engine's pull fails at once, without any network.
UNPULLABLE = "nonexistent.invalid/aiges/base:1"


@pytest.fixture
def project(bake_variant: Any, tmp_path: Path) -> Path:
    return support.make_private(
        support.copy_project(bake_variant(plugin_mode="grpc", session_mode="once"), tmp_path / "project")
    )


def test_an_unpullable_base_image_given_on_the_command_line_is_named_with_the_option(
    docker_engine: str, project: Path
) -> None:
    done = support.aiges_cli(project, "build", "--base-image", UNPULLABLE, "--tag", support.test_tag("nopull"))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"the base image {UNPULLABLE} is not on this machine and cannot be pulled" in done.stderr
    assert "given with --base-image" in done.stderr
    assert f"docker pull {UNPULLABLE}" in done.stderr


def test_an_unpullable_base_image_from_the_dockerfile_names_the_dockerfile_setting(
    docker_engine: str, project: Path
) -> None:
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    lines = [
        f"ARG BASE_IMAGE={UNPULLABLE}" if line.startswith("ARG BASE_IMAGE=") else line for line in text.splitlines()
    ]
    dockerfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = support.aiges_cli(project, "build", "--tag", support.test_tag("nopull"))
    assert done.returncode == 1, done.stderr
    assert f"the base image {UNPULLABLE} is not on this machine" in done.stderr
    assert "ARG BASE_IMAGE in the Dockerfile (the template's base_image answer)" in done.stderr
    assert "--base-image IMAGE" in done.stderr, "the way to choose another image is said"
    assert "Traceback" not in done.stderr


def junk_wheel(folder: Path, name: str) -> None:
    """A wheel that pip would pick (a high version) and then fail to install: no metadata inside."""
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(folder / name, "w") as wheel:
        wheel.writestr("broken/__init__.py", "raise SystemExit('this wheel must never be installed')\n")


def test_wheels_left_by_an_offline_build_never_break_an_online_build(
    docker_engine: str, project: Path, image_cleanup: Any
) -> None:
    """Stale wheels (wrong pins, another Python, or simply broken) stay out of an online build."""
    junk_wheel(project / "wheelhouse", "tomli-99.0.0-py3-none-any.whl")
    junk_wheel(project / "wheelhouse", "protobuf-99.0.0-py3-none-any.whl")
    tag = image_cleanup(support.test_tag("stale-wheelhouse"))
    done = support.aiges_cli(project, "build", "--base-image", docker_engine, "--tag", tag, "--no-verify")
    assert done.returncode == 0, done.stderr[-6000:]
    assert "wheelhouse/ has wheels from an offline build; this build leaves them out" in done.stderr
    assert "Looking in links: /tmp/aiges-requirements" not in done.stderr, "pip must not use the wheels"
    assert (project / "wheelhouse" / "tomli-99.0.0-py3-none-any.whl").exists(), "the user's files stay"


def test_offline_wheels_follow_the_images_python_not_the_hosts(tmp_path: Path) -> None:
    """Markers are decided for the image's Python: a 3.9 image gets tomli even when pip runs on 3.11+."""
    from aiges.tools.build import requirements_for

    source = tmp_path / "requirements.txt"
    source.write_text(
        '# comment\ntomli>=1.1; python_version < "3.11"\nprotobuf>=3.20  # gRPC\n'
        'pywin32==306; sys_platform == "win32"\n--only-binary=:all:\n',
        encoding="utf-8",
    )
    for version, expected in (
        ("3.9", ["tomli>=1.1", "protobuf>=3.20", "--only-binary=:all:"]),
        ("3.12", ["protobuf>=3.20", "--only-binary=:all:"]),
    ):
        targeted = Path(requirements_for(str(source), version, ["manylinux2014_x86_64"]))
        try:
            assert targeted.read_text(encoding="utf-8").split() == expected, version
        finally:
            targeted.unlink()
