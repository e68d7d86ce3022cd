"""The generated Dockerfile and .dockerignore, checked without an engine for every bake variant.

What must hold (spec 6, 11.1, 12): the base is a build argument; the classic builder can build it
(the docker SDK has no BuildKit); dependencies are installed before any plugin code is copied, so
editing wrapper.py reuses them; wrapper.py and the runtime land in /home/aiges, the loader's working
directory, with the rendered configs beside them; the loader mode is set; the CMD starts AIservice
with the service section that render wrote into aiges.toml.
"""

import io
import itertools
import json
import re
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
from dockerfile_parse import DockerfileParser

from tests.docker import support

VARIANTS = [
    dict(plugin_mode=mode, session_mode=session, example=example)
    for mode, session, example in itertools.product(support.PLUGIN_MODES, support.SESSION_MODES, support.EXAMPLES)
]
VARIANTS += [dict(pip_index_url="https://mirror.example.invalid/simple", base_image="registry.invalid/aiges:1")]
IDS = [support.variant_id(answers) for answers in VARIANTS]
LOADER_DIR = "/home/aiges"


@pytest.fixture(params=VARIANTS, ids=IDS, scope="module")
def variant(request: pytest.FixtureRequest, bake_variant: Any) -> Dict[str, Any]:
    answers = support.template_answers(**request.param)
    return {"answers": answers, "project": bake_variant(**request.param)}


def parse(project: Path, **build_args: str) -> DockerfileParser:
    # fileobj=, not path=: a path not ending in "Dockerfile" would be taken for a directory
    return DockerfileParser(fileobj=io.BytesIO((project / "Dockerfile").read_bytes()), build_args=build_args)


def instructions(parser: DockerfileParser) -> List[Dict[str, Any]]:
    return [item for item in parser.structure if item["instruction"] != "COMMENT"]


def index_of(items: List[Dict[str, Any]], instruction: str, pattern: str) -> int:
    for position, item in enumerate(items):
        if item["instruction"] == instruction and re.search(pattern, item["value"]):
            return position
    raise AssertionError(
        f"no {instruction} matching {pattern!r} in:\n" + "\n".join(f"{i['instruction']} {i['value']}" for i in items)
    )


def service_section(project: Path) -> str:
    """The section render wrote for the loader's service (its settings' default unless overridden)."""
    from aiges.tools.render.options import load_settings

    return load_settings(str(project)).service_section


def test_base_image_is_a_build_argument_defaulting_to_the_answer(variant: Dict[str, Any]) -> None:
    parser = parse(variant["project"])
    items = instructions(parser)
    assert items[0]["instruction"] == "ARG"
    assert items[0]["value"] == f"BASE_IMAGE={variant['answers']['base_image']}"
    assert items[1] == {**items[1], "instruction": "FROM", "value": "${BASE_IMAGE}"}
    assert parser.baseimage == variant["answers"]["base_image"]
    assert parse(variant["project"], BASE_IMAGE="aiges-test/base:py39").baseimage == "aiges-test/base:py39"
    assert len([item for item in items if item["instruction"] == "FROM"]) == 1


def test_classic_builder_can_build_it(variant: Dict[str, Any]) -> None:
    text = (variant["project"] / "Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"^#\s*syntax\s*=", text, flags=re.M | re.I), "a syntax directive pulls a frontend image"
    for item in instructions(parse(variant["project"])):
        assert not re.match(r"--(mount|network|security)", item["value"]), f"BuildKit-only flag: {item['content']}"
        assert "<<" not in item["value"], f"heredocs need BuildKit: {item['content']}"
        assert not item["value"].startswith("--link"), item["content"]
    assert "{{" not in text and "{%" not in text, "unrendered Jinja"


def test_dependencies_come_before_the_plugin_code(variant: Dict[str, Any]) -> None:
    items = instructions(parse(variant["project"]))
    copy_requirements = index_of(items, "COPY", r"^requirements\.txt wheelhouse\* /tmp/aiges-requirements/$")
    pip = index_of(items, "RUN", r"python3 -m pip install")
    configs = index_of(items, "COPY", r"^pyproject\.toml aiges\.toml xtest\.toml schema\.json /home/aiges/$")
    wrapper = index_of(items, "COPY", r"^wrapper /home/aiges/$")
    assert copy_requirements < pip < configs < wrapper
    assert [item["value"] for item in items if item["instruction"] in ("COPY", "ADD")] == [
        items[copy_requirements]["value"],
        items[configs]["value"],
        items[wrapper]["value"],
    ]
    labels = index_of(items, "LABEL", r"aiges\.schema\.sha256")
    assert pip < labels < configs, "labels must not invalidate the dependencies, and a code edit must not rebuild them"
    check = index_of(
        items,
        "RUN",
        r"^if \[ -z \"\$AIGES_NO_CHECK\" \]; then python3 -m aiges check --in-image "
        r"--quiet; fi && rm pyproject\.toml$",
    )
    python_wrapper = "/home/aiges/python_wrapper " if variant["answers"]["plugin_mode"] == "widgetpy" else ""
    compile_step = index_of(
        items, "RUN", rf"^python3 -m compileall -q /home/aiges/aiges {python_wrapper}/home/aiges/wrapper\.py$"
    )
    assert items[wrapper:] == [items[wrapper], items[check], items[compile_step]], (
        "a code edit rebuilds only the code, its staleness check and its byte-compilation"
    )


def test_pip_step_works_online_offline_and_with_any_index(variant: Dict[str, Any]) -> None:
    items = instructions(parse(variant["project"]))
    pip = items[index_of(items, "RUN", r"python3 -m pip install")]["value"]
    assert "--no-cache-dir" in pip and "-r /tmp/aiges-requirements/requirements.txt" in pip
    assert "--no-index --find-links /tmp/aiges-requirements" in pip, "wheels in wheelhouse/ allow --network=none"
    assert 'if [ -z "$PIP_INDEX_URL" ]; then unset PIP_INDEX_URL; fi' in pip, "empty = the base image's index"
    assert "rm -rf /tmp/aiges-requirements" in pip
    index_arg = index_of(items, "ARG", r"^PIP_INDEX_URL=")
    assert items[index_arg]["value"] == f"PIP_INDEX_URL={variant['answers']['pip_index_url']}"
    assert index_arg < index_of(items, "RUN", r"python3 -m pip install")


def test_plugin_lands_in_the_loaders_working_directory(variant: Dict[str, Any]) -> None:
    parser = parse(variant["project"])
    items = instructions(parser)
    workdirs = [item["value"] for item in items if item["instruction"] == "WORKDIR"]
    assert workdirs == [LOADER_DIR]
    assert index_of(items, "RUN", r"^mkdir -p log/server log/app$") < index_of(items, "COPY", "^wrapper ")
    assert parser.envs["PYTHONPATH"] == LOADER_DIR
    mode = variant["answers"]["plugin_mode"]
    if mode == "widgetpy":  # the v3 loader's switch, and not the public loader's
        assert parser.envs["WIDGET_PLUGIN_MODE"] == "py" and "AIGES_PLUGIN_MODE" not in parser.envs
    else:
        assert parser.envs["AIGES_PLUGIN_MODE"] == {"grpc": "python", "cgo": "c"}[mode]
    project = variant["project"]
    for copied in (
        "requirements.txt",
        "pyproject.toml",
        "aiges.toml",
        "xtest.toml",
        "schema.json",
        "wrapper/wrapper.py",
        "wrapper/aiges/__init__.py",
    ):
        assert (project / copied).is_file(), f"the Dockerfile copies {copied}, which the bake lacks"


def test_cmd_starts_the_loader_with_the_rendered_service_section(variant: Dict[str, Any]) -> None:
    items = instructions(parse(variant["project"]))
    cmd = [item for item in items if item["instruction"] == "CMD"]
    assert len(cmd) == 1 and items.index(cmd[0]) < index_of(items, "COPY", "^requirements"), "CMD stays cached"
    argv = json.loads(cmd[0]["value"])  # JSON (exec) form: signals reach AIservice, no shell in between
    section = service_section(variant["project"])
    assert argv[:4] == ["./AIservice", "-m=0", "-c=aiges.toml", f"-s={section}"]
    aiges_toml = (variant["project"] / "aiges.toml").read_text(encoding="utf-8")
    assert re.search(rf"^\[{re.escape(section)}\]\s*$", aiges_toml, flags=re.M), f"aiges.toml has no [{section}]"


def test_labels_name_the_service_and_the_schema(variant: Dict[str, Any]) -> None:
    parser = parse(variant["project"])
    answers = variant["answers"]
    labels = parser.labels
    assert labels["org.opencontainers.image.title"] == labels["aiges.service.id"] == answers["service_id"]
    assert labels["org.opencontainers.image.version"] == labels["aiges.service.version"] == answers["service_version"]
    assert labels["aiges.plugin.mode"] == answers["plugin_mode"]
    assert labels["aiges.schema.path"] == f"{LOADER_DIR}/schema.json"
    assert labels["aiges.schema.sha256"] == "unknown", "plain `docker build .` cannot know the digest"
    digest = support.sha256_file(variant["project"] / "schema.json")
    built = parse(variant["project"], SCHEMA_DIGEST=digest, SERVICE_VERSION="v9").labels
    assert built["aiges.schema.sha256"] == digest and built["aiges.service.version"] == "v9"


def test_hadolint_finds_nothing(variant: Dict[str, Any]) -> None:
    done = subprocess.run(
        [*support.hadolint_command(), "Dockerfile"],
        cwd=str(variant["project"]),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0 and json.loads(done.stdout or "[]") == [], done.stdout + done.stderr


def test_dockerignore_keeps_history_tests_caches_outputs_and_secrets_out(
    variant: Dict[str, Any], tmp_path: Path
) -> None:
    from docker.utils.build import exclude_paths

    project = support.copy_project(variant["project"], tmp_path / "project")
    junk = [
        ".git/config",
        "tests/test_x.py",
        "wrapper/__pycache__/wrapper.cpython-39.pyc",
        "wrapper/old.pyc",
        ".pytest_cache/v",
        "output/run.json",
        "outputs/x.png",
        "log/aiges.log",
        "wrapper/log/server/x.log",
        ".env",
        "wrapper/.env",
        ".env.production",
        "deploy.pem",
        "wrapper/server.key",
        "id_rsa",
        "id_rsa.pub",
        ".venv/bin/python",
        "pywrapper.tar.gz",
        ".ruff_cache/x",
    ]
    for name in junk:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x", encoding="utf-8")
    (project / "wheelhouse").mkdir(exist_ok=True)
    (project / "wheelhouse" / "six-1.17.0-py2.py3-none-any.whl").write_text("x", encoding="utf-8")
    patterns = [
        line.strip()
        for line in (project / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    context = set(exclude_paths(str(project), patterns))
    leaked = sorted(name for name in junk if name in context)
    assert not leaked, f".dockerignore lets these into the build context: {leaked}"
    needed = [
        "Dockerfile",
        "requirements.txt",
        "aiges.toml",
        "xtest.toml",
        "schema.json",
        "wrapper/wrapper.py",
        "wrapper/aiges/__init__.py",
        "wrapper/aiges/tools/build.py",
        "wheelhouse/six-1.17.0-py2.py3-none-any.whl",
    ]
    needed += [
        str(path.relative_to(project)) for path in (project / "wrapper" / "test_data").rglob("*") if path.is_file()
    ]
    missing = sorted(name for name in needed if name not in context)
    assert not missing, f".dockerignore keeps these out, but the image needs them: {missing}"
