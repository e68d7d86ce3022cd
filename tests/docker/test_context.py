"""What a real engine receives as the build context of a generated project (marker ``docker``).

The generated ``.dockerignore`` must keep version control and secrets out at any depth: a wrapper
kept as its own repository has ``wrapper/.git``, and keys or ``.env`` files often sit next to the
code. The context is built the way ``python -m aiges build`` sends it (the docker SDK) and, where
the CLI is installed, the way ``docker build .`` does (BuildKit applies .dockerignore itself); an
image copies the whole context and lists what arrived.
"""

import shutil
import subprocess
from pathlib import Path
from typing import Any, List

import pytest

from tests.docker import support

pytestmark = [pytest.mark.docker]

JUNK = [
    "wrapper/.git/config",
    "wrapper/.git/objects/ab/cdef",
    "wrapper/.gitignore",
    "wrapper/models/.git/HEAD",
    ".git/HEAD",
    "wrapper/.hg/store",
    "wrapper/.svn/entries",
    "wrapper/.env",
    "wrapper/.env.local",
    "wrapper/deploy/server.key",
    "wrapper/deploy/client.pem",
    "wrapper/keys/id_ed25519",
    "wrapper/keys/id_rsa.pub",
    "wrapper/.ssh/known_hosts",
    "wrapper/.aws/credentials",
    "wrapper/.npmrc",
    "wrapper/.netrc",
    "wrapper/.docker/config.json",
    "wrapper/store.jks",
    "wrapper/certs/bundle.pfx",
]
NEEDED = [
    "Dockerfile",
    "requirements.txt",
    "aiges.toml",
    "xtest.toml",
    "schema.json",
    "wrapper/wrapper.py",
    "wrapper/aiges/__init__.py",
    "wrapper/aiges/grpc/listen.py",
    "wrapper/models/weights.bin",
    "wrapper/certs/ca.crt",
]
LISTING = "context.list"


@pytest.fixture
def project(bake_variant: Any, tmp_path: Path) -> Path:
    project = support.copy_project(bake_variant(plugin_mode="grpc", session_mode="once"), tmp_path / "project")
    for name in [*JUNK, "wrapper/models/weights.bin", "wrapper/certs/ca.crt"]:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x", encoding="utf-8")
    return project


def listing_dockerfile(project: Path, base: str) -> str:
    name = "Dockerfile.context"
    (project / name).write_text(
        "FROM %s\nCOPY . /context\nRUN cd /context && find . -type f | sort > /%s\n" % (base, LISTING), encoding="utf-8"
    )
    return name


def files_in(tag: str) -> List[str]:
    output = support.client().containers.run(tag, ["cat", "/" + LISTING], remove=True, network_disabled=True)
    return [line[2:] for line in output.decode("utf-8").splitlines() if line.startswith("./")]


def check(received: List[str]) -> None:
    leaked = sorted(name for name in JUNK if name in received)
    assert not leaked, "the build context carries: %s" % leaked
    missing = sorted(name for name in NEEDED if name not in received)
    assert not missing, "the build context lacks: %s" % missing


def test_the_sdk_build_context_has_no_version_control_or_secrets_at_any_depth(
    project: Path, docker_engine: str, image_cleanup: Any
) -> None:
    tag = image_cleanup(support.test_tag("context-sdk"))
    dockerfile = listing_dockerfile(project, docker_engine)
    for _ in support.client().api.build(path=str(project), dockerfile=dockerfile, tag=tag, rm=True, decode=True):
        pass
    check(files_in(tag))


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI")
def test_the_cli_build_context_has_no_version_control_or_secrets_at_any_depth(
    project: Path, docker_engine: str, image_cleanup: Any
) -> None:
    tag = image_cleanup(support.test_tag("context-cli"))
    dockerfile = listing_dockerfile(project, docker_engine)
    done = subprocess.run(
        ["docker", "build", "-q", "-f", dockerfile, "-t", tag, "."],
        cwd=str(project),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    check(files_in(tag))
