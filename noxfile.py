#!/usr/bin/env -S python3 -m nox -f
"""Developer and CI tasks for aiges-template. ``nox -l`` lists them.

- ``tests``: the whole suite (template bakes, runtime, render, gRPC, Docker, docs snippets), then the
  runtime's own tests again on Python 3.9, the Python of the official images, when it is installed.
- ``lint``: ruff on this repository and on a baked project; mypy on the runtime.
- ``demo``: bake a project with default answers into ./demo and run its local debug run.
- ``docs``: build the documentation site in strict mode.
- ``bench``: benchmarks against the vendor SDK, measured in the same run.
"""

import os
import shutil
import tempfile
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "virtualenv"
nox.options.error_on_missing_interpreters = False

ROOT = Path(__file__).resolve().parent
RUNTIME_RUFF = "{{cookiecutter.project_name}}/wrapper/aiges/ruff.toml"
PY39 = Path("/root/.pyenv/versions/3.9.18/bin/python")
TEST_GROUP = nox.project.dependency_groups(nox.project.load_toml("pyproject.toml"), "test")
DOCS_GROUP = nox.project.dependency_groups(nox.project.load_toml("pyproject.toml"), "docs")


@nox.session(default=True)
def tests(session: nox.Session) -> None:
    """Run the whole test suite (pass pytest arguments after --)."""
    session.install(*TEST_GROUP, *DOCS_GROUP)
    session.run("python", "-m", "pytest", *session.posargs)
    if not session.posargs:
        session.notify("runtime39")


@nox.session(python=str(PY39) if PY39.exists() else "3.9", default=False)
def runtime39(session: nox.Session) -> None:
    """The runtime on Python 3.9 (the official images' Python): its unit tests, the gRPC server over real
    loopback gRPC (on both transports), the WidgetPy server, and bakes whose generated test suites run on 3.9."""
    session.install(
        "pytest>=8",
        "jsonschema>=4",
        "tomli>=2",
        "tomli-w>=1",
        "grpcio>=1.48",
        "protobuf>=3.20",
        "cookiecutter>=2.6",
        "pytest-cookies>=0.7",
        "ruff>=0.6",
        "pyyaml>=6",
        "hypothesis>=6",
        "hpack>=4",
        "h2>=4",
        "cryptography>=3.4",
        "aiohttp>=3.8",
        "aiges-wrapper==0.1.0",  # tests/widgetpy's oracle, the vendor's WidgetPy server (never a runtime need)
    )
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/runtime",
        "tests/grpc",
        "tests/gateway",
        "tests/widgetpy",
        "-p",
        "no:cacheprovider",
        "--ignore",
        "tests/gateway/test_browser.py",  # the browser test runs in the tests session (playwright)
        *session.posargs,
    )
    # The same loader-facing tests on grpcio's transport (the built-in one is the default above).
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/grpc",
        "-p",
        "no:cacheprovider",
        "-k",
        "not h2_",
        *session.posargs,
        env={"AIGES_TRANSPORT": "grpcio"},
    )
    # The oldest protobuf the runtime supports: messages are built from the checked-in descriptor set at run time.
    session.install("protobuf==3.20.3")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/grpc/test_grpc_protocol.py",
        "tests/grpc/test_grpc_faults.py",
        "tests/grpc/test_gohost.py",
        "-p",
        "no:cacheprovider",
        *session.posargs,
    )
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/template/test_bake.py",
        "-p",
        "no:cacheprovider",
        "-k",
        "generated_test_suite or python_files_compile or everything_is_rendered",
        *session.posargs,
    )


@nox.session(default=True)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format on the repository, and ruff check on a project baked with the default answers
    (wrapper.py, runtime, tests); mypy on the runtime (``[tool.mypy]`` in pyproject.toml)."""
    session.install("ruff>=0.6", "mypy>=1.10", "cookiecutter>=2.6", "tomli-w>=1.0")
    session.run("ruff", "check", ".")
    # The runtime lives in the template tree, which the repository's config excludes: check it with its own
    # config file, which ships with it (generated projects check it with the same rules).
    session.run(
        "ruff",
        "check",
        "--config",
        RUNTIME_RUFF,
        "{{cookiecutter.project_name}}/wrapper/aiges",
        "{{cookiecutter.project_name}}/aiges",
    )
    # The formatter too, with the same two configs (ruff format --check fails on any file it would change).
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "format", "--check", "--config", RUNTIME_RUFF, "{{cookiecutter.project_name}}/wrapper/aiges")
    session.run("mypy")  # the files, target and strictness: [tool.mypy] in pyproject.toml
    # Bake outside .nox: ruff skips any path below a folder named .nox, and would check nothing.
    baked = Path(tempfile.mkdtemp(prefix="aiges-lint-"))
    try:
        session.run(
            "cookiecutter", "--no-input", "--output-dir", str(baked), str(ROOT), "project_name=lint-demo", silent=True
        )
        session.chdir(str(baked / "lint-demo"))
        session.run("ruff", "check", "--no-cache", ".")
    finally:
        session.chdir(str(ROOT))
        shutil.rmtree(baked, ignore_errors=True)


def fresh_folder(parent: Path, name: str) -> Path:
    """``parent/name``, or the first of ``name-2``, ``name-3``, ... that does not exist yet."""
    candidate, number = parent / name, 1
    while candidate.exists():
        number += 1
        candidate = parent / f"{name}-{number}"
    return candidate


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Bake ./demo with the default answers and run its local debug run (./demo-2, ./demo-3, ... when
    ./demo exists: a demo the user has edited is never deleted)."""
    session.install("cookiecutter>=2.6", "tomli-w>=1.0")
    target = fresh_folder(ROOT, "demo")
    session.run("cookiecutter", "--no-input", "--output-dir", str(ROOT), str(ROOT), f"project_name={target.name}")
    session.chdir(str(target))
    session.run("python", "-m", "aiges", "run")
    session.log(f"Your demo project is in {target}: see its README.md for what to do next.")


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs in strict mode into ./site."""
    session.install(*DOCS_GROUP)
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: our gRPC server vs the vendor's vs a bare grpcio floor; 1 vs 2 process workers; image size."""
    session.install("grpcio>=1.48", "protobuf>=3.20", "docker>=7", "cookiecutter>=2.6", "tomli-w>=1.0")
    session.run("python", "benchmarks/grpc_bench.py", *session.posargs)
    session.run("python", "benchmarks/process_bench.py", *(["--quick"] if "--quick" in session.posargs else []))
    if os.environ.get("AIGES_BENCH_DOCKER", "1") != "0":
        session.run("python", "benchmarks/docker_bench.py")
    session.run("python", "benchmarks/update_readme.py")


if __name__ == "__main__":
    nox.main()
