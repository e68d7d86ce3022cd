"""deploy/k8s/ of a generated project: valid Kubernetes objects that agree with aiges.toml and the image.

Every manifest is read with PyYAML and validated against the Kubernetes API's own OpenAPI schemas
(kubernetes-validate, offline, strict: an unknown field is an error) for the oldest and the newest
version it ships. Then the objects are checked against each other and against what the loader is
configured with: the ports the loader opens (rendered aiges.toml), the image `aiges build` tags,
the GPU answer, the shutdown time, and `aiges check` catching a manifest edited by hand or settings
changed without a new render.
"""

import re
import shutil
from pathlib import Path
from typing import Any, Callable, Dict

import kubernetes_validate
import pytest
import tomli
import yaml

from tests.template import support

MANIFESTS = ("deployment.yaml", "service.yaml", "hpa.yaml")
KINDS = {"deployment.yaml": "Deployment", "service.yaml": "Service", "hpa.yaml": "HorizontalPodAutoscaler"}
SCHEMA_VERSIONS = ("1.25.0", kubernetes_validate.latest_version())
VARIANTS = {
    "grpc-once": {},
    "grpc-stream": {"session_mode": "stream"},
    "cgo-once": {"plugin_mode": "cgo"},
    "gpu": {"gpu": "1"},
}


@pytest.fixture(scope="module")
def baked(cookies_session, template_repo: Path) -> Callable[[str], Path]:
    made: Dict[str, Path] = {}

    def bake(name: str) -> Path:
        if name not in made:
            result = cookies_session.bake(extra_context=VARIANTS[name], template=str(template_repo))
            assert result.exit_code == 0, f"baking {name} failed: {result.exception!r}"
            made[name] = Path(result.project_path)
        return made[name]

    return bake


def manifests(project: Path) -> Dict[str, Any]:
    return {name: yaml.safe_load((project / "deploy" / "k8s" / name).read_text(encoding="utf-8")) for name in MANIFESTS}


def aiges_toml(project: Path) -> Dict[str, Any]:
    return tomli.loads((project / "aiges.toml").read_text(encoding="utf-8"))


def container(objects: Dict[str, Any]) -> Dict[str, Any]:
    (only,) = objects["deployment.yaml"]["spec"]["template"]["spec"]["containers"]
    return only


def copy_of(project: Path, tmp_path: Path) -> Path:
    target = tmp_path / project.name
    shutil.copytree(project, target)
    return target


def set_tool_aiges(project: Path, lines: str) -> None:
    """Set keys of [tool.aiges] (each ``key = value`` line replaces the key's line, if any)."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    for line in lines.splitlines():
        key = line.split("=", 1)[0].strip()
        text = re.sub(rf"(?m)^{re.escape(key)} = .*\n", "", text)
    pyproject.write_text(text.replace("[tool.aiges]\n", "[tool.aiges]\n" + lines, 1), encoding="utf-8")


def aiges(project: Path, *args: str):
    return support.python("-m", "aiges", *args, cwd=project)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", MANIFESTS)
@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_manifest_is_a_valid_kubernetes_object(baked, variant: str, name: str, version: str) -> None:
    document = manifests(baked(variant))[name]
    assert document["kind"] == KINDS[name]
    kubernetes_validate.validate(document, version, strict=True)  # raises ValidationError naming the field


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_manifests_are_rendered_files_check_accepts(baked, variant: str) -> None:
    project = baked(variant)
    header = (project / "deploy" / "k8s" / "deployment.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# Rendered by `python -m aiges render`")
    done = aiges(project, "check")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ports_are_the_ones_aiges_toml_gives_the_loader(baked, variant: str) -> None:
    project = baked(variant)
    objects, config = manifests(project), aiges_toml(project)
    ports = {port["name"]: port["containerPort"] for port in container(objects)["ports"]}
    assert ports["http"] == int(config["wrapper"]["http_listen"].rpartition(":")[2])
    service_section = next(name for name, table in config.items() if "finder" in table)
    assert ports["rpc"] == config[service_section]["port"]
    service_ports = {port["name"]: port for port in objects["service.yaml"]["spec"]["ports"]}
    assert {name: port["port"] for name, port in service_ports.items()} == ports
    assert all(port["targetPort"] == name for name, port in service_ports.items())


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_probes_ask_the_loaders_http_port_and_the_probe_command_reads_the_images_aiges_toml(
    baked, variant: str
) -> None:
    project = baked(variant)
    spec = container(manifests(project))
    for probe in ("startupProbe", "readinessProbe"):
        assert spec[probe]["httpGet"] == {"path": "/ping", "port": "http"}, probe
    command = spec["livenessProbe"]["exec"]["command"]
    assert command[:3] == ["python3", "-m", "aiges.probe"]
    config_path = command[command.index("--config") + 1]
    # The Dockerfile copies the rendered aiges.toml and the runtime (wrapper/aiges) into /home/aiges,
    # which is on PYTHONPATH: the probe command finds both.
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert config_path == "/home/aiges/aiges.toml"
    assert re.search(r"(?m)^COPY .*\baiges\.toml\b.* /home/aiges/$", dockerfile)
    assert re.search(r"(?m)^COPY wrapper /home/aiges/$", dockerfile) and "PYTHONPATH=/home/aiges" in dockerfile
    assert (project / "wrapper" / "aiges" / "probe.py").is_file()
    # The startup budget covers a slow wrapperInit; a liveness probe never runs before start-up ended.
    startup = spec["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_objects_refer_to_each_other(baked, variant: str) -> None:
    objects = manifests(baked(variant))
    deployment, service, hpa = objects["deployment.yaml"], objects["service.yaml"], objects["hpa.yaml"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (deployment["spec"]["selector"]["matchLabels"], service["spec"]["selector"]):
        assert selector and all(pod_labels.get(key) == value for key, value in selector.items())
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    assert "cpu" in container(objects)["resources"]["requests"]  # the autoscaler's utilisation needs it


@pytest.mark.parametrize("variant", ["grpc-once", "cgo-once"])
def test_the_image_is_the_one_aiges_build_tags(baked, variant: str) -> None:
    project = baked(variant)
    done = aiges(project, "build", "--dry-run")
    assert done.returncode == 0, done.stderr
    tag = re.search(r"(?m)^tag\s+(\S+)$", done.stdout).group(1)
    assert container(manifests(project))["image"] == tag == "aiges_demo:v1"


def test_the_gpu_answer_requests_gpus_and_no_answer_requests_none(baked) -> None:
    gpu = container(manifests(baked("gpu")))["resources"]
    assert gpu["requests"]["nvidia.com/gpu"] == gpu["limits"]["nvidia.com/gpu"] == 1
    assert "gpu = 1" in (baked("gpu") / "pyproject.toml").read_text(encoding="utf-8")
    plain = container(manifests(baked("grpc-once")))["resources"]
    assert "nvidia.com/gpu" not in plain["requests"] and "nvidia.com/gpu" not in plain["limits"]


def test_shutdown_waits_for_the_loader_and_wrapper_fini(baked) -> None:
    """Spec 13.5: the loader stops in about 3 s (once) and 13-14 s (sessions); go-plugin gives Fini 2 s."""
    once, stream = (
        manifests(baked(name))["deployment.yaml"]["spec"]["template"]["spec"] for name in ("grpc-once", "grpc-stream")
    )
    pre_stop = int(
        container({"deployment.yaml": {"spec": {"template": {"spec": once}}}})["lifecycle"]["preStop"]["exec"][
            "command"
        ][1]
    )
    assert once["terminationGracePeriodSeconds"] >= pre_stop + 3 + 2
    assert stream["terminationGracePeriodSeconds"] >= pre_stop + 14 + 2
    assert stream["terminationGracePeriodSeconds"] > once["terminationGracePeriodSeconds"]


def test_settings_shape_the_manifests(baked, tmp_path: Path) -> None:
    project = copy_of(baked("grpc-once"), tmp_path)
    set_tool_aiges(
        project,
        'image = "registry.example.com/team/ocr:v2"\ngpu = 2\nk8s_replicas = 2\n'
        'k8s_max_replicas = 6\nk8s_cpu = "500m"\nk8s_cpu_limit = ""\nk8s_memory = "8Gi"\n'
        "k8s_cpu_target = 50\nk8s_startup_seconds = 600\nk8s_grace_seconds = 45\n"
        'http_listen = "0.0.0.0:18888"\nport = 6000\n',
    )
    done = aiges(project, "render")
    assert done.returncode == 0, done.stderr
    objects = manifests(project)
    spec = container(objects)
    assert spec["image"] == "registry.example.com/team/ocr:v2"
    assert spec["resources"] == {
        "requests": {"cpu": "500m", "memory": "8Gi", "nvidia.com/gpu": 2},
        "limits": {"memory": "8Gi", "nvidia.com/gpu": 2},
    }
    assert {port["name"]: port["containerPort"] for port in spec["ports"]} == {"http": 18888, "rpc": 6000}
    assert aiges_toml(project)["wrapper"]["http_listen"] == "0.0.0.0:18888"
    assert spec["startupProbe"]["periodSeconds"] * spec["startupProbe"]["failureThreshold"] >= 600
    assert objects["deployment.yaml"]["spec"]["replicas"] == 2
    assert objects["deployment.yaml"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 45
    assert (objects["hpa.yaml"]["spec"]["minReplicas"], objects["hpa.yaml"]["spec"]["maxReplicas"]) == (2, 6)
    assert objects["hpa.yaml"]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 50
    for name in MANIFESTS:
        kubernetes_validate.validate(objects[name], SCHEMA_VERSIONS[-1], strict=True)


def test_check_fails_on_a_manifest_edited_by_hand(baked, tmp_path: Path) -> None:
    project = copy_of(baked("grpc-once"), tmp_path)
    deployment = project / "deploy" / "k8s" / "deployment.yaml"
    deployment.write_text(
        deployment.read_text(encoding="utf-8").replace("replicas: 1", "replicas: 3"), encoding="utf-8"
    )
    done = aiges(project, "check")
    assert done.returncode != 0
    assert "deploy/k8s/deployment.yaml" in done.stdout + done.stderr


def test_check_fails_on_settings_changed_without_render_and_passes_after(baked, tmp_path: Path) -> None:
    project = copy_of(baked("grpc-once"), tmp_path)
    set_tool_aiges(project, "gpu = 1\n")
    done = aiges(project, "check")
    assert done.returncode != 0 and "deploy/k8s/deployment.yaml" in done.stdout + done.stderr
    assert aiges(project, "render").returncode == 0
    assert aiges(project, "check").returncode == 0


def test_check_fails_on_a_deleted_manifest(baked, tmp_path: Path) -> None:
    project = copy_of(baked("grpc-once"), tmp_path)
    (project / "deploy" / "k8s" / "hpa.yaml").unlink()
    done = aiges(project, "check")
    assert done.returncode != 0 and "deploy/k8s/hpa.yaml" in done.stdout + done.stderr


def test_a_loopback_http_listen_is_refused_unless_k8s_is_off(baked, tmp_path: Path) -> None:
    project = copy_of(baked("grpc-once"), tmp_path)
    before = (project / "aiges.toml").read_bytes()
    set_tool_aiges(project, 'http_listen = "127.0.0.1:1888"\n')
    done = aiges(project, "render")
    assert done.returncode != 0
    assert "http_listen" in done.stderr and "k8s = false" in done.stderr and "pyproject.toml" in done.stderr
    assert (project / "aiges.toml").read_bytes() == before  # nothing written
    set_tool_aiges(project, "k8s = false\n")
    done = aiges(project, "render")
    assert done.returncode == 0, done.stderr
    assert aiges(project, "check").returncode == 0


@pytest.mark.parametrize(
    "line, key",
    [
        ('k8s_cpu = "lots"', "k8s_cpu"),
        ('k8s_memory = "2GB"', "k8s_memory"),
        ("gpu = -1", "gpu"),
        ("k8s_max_replicas = 0", "k8s_max_replicas"),
        ('k8s_cpu_limit = "500m"', "k8s_cpu_limit"),
        ("k8s_cpu_target = 150", "k8s_cpu_target"),
        ("k8s_grace_seconds = 3", "k8s_grace_seconds"),
        ('image = "has space:v1"', "image"),
        ("k8s_replicas = 0", "k8s_replicas"),
    ],
)
def test_bad_kubernetes_settings_are_errors_naming_the_key(baked, tmp_path: Path, line: str, key: str) -> None:
    project = copy_of(baked("grpc-once"), tmp_path)
    set_tool_aiges(project, line + "\n")
    done = aiges(project, "render")
    assert done.returncode != 0
    assert f"[tool.aiges] {key}" in done.stderr, done.stderr


BUILD_LINE = (
    "import argparse, sys; from aiges.tools import build; parser = argparse.ArgumentParser(); "
    "build.configure(parser); print(build.deploy_line(build.make_plan(parser.parse_args(sys.argv[1:]))))"
)


def test_aiges_build_names_the_image_and_says_whether_the_manifests_run_it(baked, tmp_path: Path) -> None:
    """The line `aiges build` prints after a successful build (its plan is the build's own)."""
    project = copy_of(baked("grpc-once"), tmp_path)
    done = support.python("-c", BUILD_LINE, cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "image      aiges_demo:v1  (deploy/k8s/deployment.yaml runs it)"
    done = support.python("-c", BUILD_LINE, "--tag", "registry.example.com/team/demo:v1", cwd=project)
    assert done.stdout.strip() == (
        "image      registry.example.com/team/demo:v1  (deploy/k8s/deployment.yaml runs aiges_demo:v1: set "
        '[tool.aiges] image = "registry.example.com/team/demo:v1" and run `python -m aiges render`)'
    )
    set_tool_aiges(project, 'image = "registry.example.com/team/demo:v1"\n')
    assert aiges(project, "render").returncode == 0
    done = support.python("-c", BUILD_LINE, "--tag", "registry.example.com/team/demo:v1", cwd=project)
    assert done.stdout.strip() == "image      registry.example.com/team/demo:v1  (deploy/k8s/deployment.yaml runs it)"
