"""The checked-in descriptor set is what protoc makes of the runtime's .proto files, so the .proto files
stay the single source of the wire format (as copier.yml is kept in step with cookiecutter.json)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, RUNTIME_PARENT

# protoc comes from grpcio-tools (the test dependency group); without it the helper says so and these fail.

HELPER = Path("helpers") / "sync_descriptors.py"
PROTOS = Path("{{cookiecutter.project_name}}") / "wrapper" / "aiges" / "grpc" / "protos"


def run_helper(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / HELPER), *args], cwd=root, capture_output=True, text=True)


def test_the_checked_in_descriptor_set_matches_the_proto_files():
    result = run_helper(REPO, "--check")
    assert result.returncode == 0, "run python helpers/sync_descriptors.py:\n" + result.stdout + result.stderr


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    """A copy of the helper and the runtime in the repository's layout, to change without touching ours."""
    (tmp_path / HELPER).parent.mkdir(parents=True)
    shutil.copy2(REPO / HELPER, tmp_path / HELPER)
    runtime = RUNTIME_PARENT.relative_to(REPO) / "aiges"
    shutil.copytree(REPO / runtime, tmp_path / runtime, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_changed_proto_is_reported_until_the_helper_is_run_and_then_reaches_the_set(scratch_repo: Path):
    proto = scratch_repo / PROTOS / "aiges_inner.proto"
    text = proto.read_text(encoding="utf-8")
    assert "message Handle {" in text
    proto.write_text(
        text.replace("message Handle {", "message Handle {\n  string drift_probe = 99;", 1), encoding="utf-8"
    )
    stale = run_helper(scratch_repo, "--check")
    assert stale.returncode == 1
    assert "run python helpers/sync_descriptors.py" in stale.stderr
    assert run_helper(scratch_repo).returncode == 0
    assert run_helper(scratch_repo, "--check").returncode == 0
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from aiges.grpc import wire; print(wire.message('aiges.Handle').DESCRIPTOR"
            ".fields_by_name['drift_probe'].number)",
        ],
        cwd=scratch_repo,
        env={"PYTHONPATH": str(scratch_repo / RUNTIME_PARENT.relative_to(REPO))},
        capture_output=True,
        text=True,
    )
    assert loaded.stdout.strip() == "99", loaded.stderr


def test_a_new_proto_file_is_compiled_too(scratch_repo: Path):
    (scratch_repo / PROTOS / "extra.proto").write_text(
        'syntax = "proto3";\npackage extra;\nmessage Ping { string note = 1; }\n', encoding="utf-8"
    )
    assert run_helper(scratch_repo, "--check").returncode == 1
    assert run_helper(scratch_repo).returncode == 0
    assert "extra.proto" in (scratch_repo / PROTOS / "descriptor_set.py").read_text(encoding="utf-8")


def test_a_proto_protoc_rejects_fails_the_helper_naming_the_file_and_line(scratch_repo: Path):
    (scratch_repo / PROTOS / "broken.proto").write_text(
        'syntax = "proto3";\nmessage M { Missing m = 1; }\n', encoding="utf-8"
    )
    before = (scratch_repo / PROTOS / "descriptor_set.py").read_bytes()
    result = run_helper(scratch_repo)
    assert result.returncode != 0
    assert "broken.proto:2" in result.stderr and "Missing" in result.stderr
    assert (scratch_repo / PROTOS / "descriptor_set.py").read_bytes() == before


def test_the_helper_output_is_byte_stable(scratch_repo: Path):
    module = scratch_repo / PROTOS / "descriptor_set.py"
    module.unlink()
    assert run_helper(scratch_repo).returncode == 0
    first = module.read_bytes()
    module.unlink()
    assert run_helper(scratch_repo).returncode == 0
    assert module.read_bytes() == first == (REPO / PROTOS / "descriptor_set.py").read_bytes()
