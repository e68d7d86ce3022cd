"""deploy/k8s/: a Deployment, a Service and a HorizontalPodAutoscaler of the built image.

Rendered from the same declarations and ``[tool.aiges]`` as aiges.toml, so the ports, the image
and the shutdown time cannot drift from what the loader is configured with:

* ports: the loader's HTTP port (``[wrapper].http_listen``) and its RPC port (the service section's
  ``port``, for the gateway and xtest);
* probes: start-up and readiness ``GET /ping`` on the HTTP port, which the loader opens only after the
  plugin answered its handshake, ``wrapperInit`` and ``wrapperSchema`` (docs/how-to/deploy-to-loader.md: it takes its
  routes
  from the schema and exits when either call fails); liveness ``python3 -m aiges.probe``, which also
  sees a plugin process that died after start-up (the loader would keep answering /ping);
* shutdown: a preStop pause so the Service stops sending traffic before SIGTERM, then the loader's own
  stop (docs/how-to/deploy-to-loader.md: about 3 s for a once plugin, 13-14 s in session mode), go-plugin's 2 s before
  it kills
  the plugin (our runtime's ``wrapperFini`` fits in it), and room to spare;
* image: ``[tool.aiges] image``, else the tag ``python -m aiges build`` gives the image.
"""

import re
from typing import Any, Dict, List, Optional, Sequence

from aiges.declarations import Declarations
from aiges.errors import DeclarationError
from aiges.tools.render import yamlout
from aiges.tools.render.names import default_tag
from aiges.tools.render.options import Settings
from aiges.tools.render.outputs import Output

DEPLOY_DIR = "deploy/k8s"
DEPLOYMENT = DEPLOY_DIR + "/deployment.yaml"
SERVICE = DEPLOY_DIR + "/service.yaml"
AUTOSCALER = DEPLOY_DIR + "/hpa.yaml"

CONFIG_IN_IMAGE = "/home/aiges/aiges.toml"  # the Dockerfile's WORKDIR holds the rendered aiges.toml
PING_PATH = "/ping"
GPU_RESOURCE = "nvidia.com/gpu"
PRESTOP_SECONDS = 5  # endpoints controllers and kube-proxy take a few seconds to stop routing to a pod
# once / session plugin: measured ~3 s and 12.8-14 s (docs/how-to/deploy-to-loader.md)
LOADER_STOP_SECONDS = {False: 5, True: 15}
PLUGIN_KILL_SECONDS = 2  # go-plugin waits this long for the plugin to exit after Shutdown, then kills it
MARGIN_SECONDS = 8
STARTUP_PERIOD_SECONDS = 2


def grace_seconds(settings: Settings, is_session: bool) -> int:
    """terminationGracePeriodSeconds: ``k8s_grace_seconds``, or the sum of the stop's known parts."""
    if settings.k8s_grace_seconds:
        return settings.k8s_grace_seconds
    return PRESTOP_SECONDS + LOADER_STOP_SECONDS[is_session] + PLUGIN_KILL_SECONDS + MARGIN_SECONDS


def image_name(settings: Settings, declarations: Declarations) -> str:
    """The image the Deployment runs: ``[tool.aiges] image``, else what ``python -m aiges build`` tags."""
    if settings.image:
        return settings.image

    return default_tag(declarations.meta.service_id, declarations.meta.version) or "aiges-plugin:latest"


def app_name(service_id: str) -> str:
    """serviceId as a Kubernetes name (a DNS label: lower case, digits and '-', starting with a letter)."""
    name = re.sub(r"[^a-z0-9-]+", "-", service_id.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = ("aiges-" + name).strip("-")
    return name[:63].rstrip("-")


def label_value(text: str) -> str:
    """``text`` as a label value (at most 63 of A-Z a-z 0-9 . _ -, alphanumeric at both ends)."""
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)


def http_port(settings: Settings) -> int:
    return int(settings.http_listen.rpartition(":")[2])


def deployment(declarations: Declarations, settings: Settings) -> Dict[str, Any]:
    name = app_name(declarations.meta.service_id)
    requests: Dict[str, Any] = {"cpu": settings.k8s_cpu, "memory": settings.k8s_memory}
    limits: Dict[str, Any] = {"memory": settings.k8s_memory}
    if settings.k8s_cpu_limit:
        limits["cpu"] = settings.k8s_cpu_limit
    if settings.gpu:
        requests[GPU_RESOURCE] = settings.gpu  # extended resources: request and limit must be equal
        limits[GPU_RESOURCE] = settings.gpu
    ping = {"httpGet": {"path": PING_PATH, "port": "http"}}
    container = {
        "name": "aiges",
        "image": image_name(settings, declarations),
        "imagePullPolicy": "IfNotPresent",
        "ports": [
            {"name": "http", "containerPort": http_port(settings), "protocol": "TCP"},
            {"name": "rpc", "containerPort": settings.port, "protocol": "TCP"},
        ],
        "resources": {"requests": requests, "limits": limits},
        "startupProbe": dict(
            ping,
            periodSeconds=STARTUP_PERIOD_SECONDS,
            timeoutSeconds=2,
            failureThreshold=-(-settings.k8s_startup_seconds // STARTUP_PERIOD_SECONDS),
        ),
        "readinessProbe": dict(ping, periodSeconds=5, timeoutSeconds=2, failureThreshold=2),
        "livenessProbe": {
            "exec": {"command": ["python3", "-m", "aiges.probe", "--config", CONFIG_IN_IMAGE, "--timeout", "4"]},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": _labels(declarations)},
        "spec": {
            "replicas": settings.k8s_replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            # Keep every ready replica while a new one starts: the model loads before it takes traffic.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {
                    "labels": _labels(declarations),
                    "annotations": {
                        "aiges.service.id": declarations.meta.service_id,
                        "aiges.service.version": declarations.meta.version,
                    },
                },
                "spec": {
                    "terminationGracePeriodSeconds": grace_seconds(settings, declarations.is_session),
                    "containers": [container],
                },
            },
        },
    }


def service(declarations: Declarations, settings: Settings) -> Dict[str, Any]:
    name = app_name(declarations.meta.service_id)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": _labels(declarations)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": name},
            "ports": [
                {"name": "http", "port": http_port(settings), "targetPort": "http", "protocol": "TCP"},
                {"name": "rpc", "port": settings.port, "targetPort": "rpc", "protocol": "TCP"},
            ],
        },
    }


def autoscaler(declarations: Declarations, settings: Settings) -> Dict[str, Any]:
    name = app_name(declarations.meta.service_id)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "labels": _labels(declarations)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": settings.k8s_replicas,
            "maxReplicas": settings.k8s_max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": settings.k8s_cpu_target},
                    },
                }
            ],
        },
    }


def k8s_outputs(
    declarations: Declarations, settings: Settings, header: Sequence[str], source: Optional[str] = None
) -> List[Output]:
    """The three manifests, each with the render header (they are never edited by hand either).

    ``source``: the pyproject.toml errors name.
    """
    _require_reachable(settings, source)
    made = ((DEPLOYMENT, deployment), (SERVICE, service), (AUTOSCALER, autoscaler))
    return [Output(path, yamlout.dumps(build(declarations, settings), header).encode("utf-8")) for path, build in made]


def _labels(declarations: Declarations) -> Dict[str, str]:
    labels = {"app.kubernetes.io/name": app_name(declarations.meta.service_id), "app.kubernetes.io/part-of": "aiges"}
    version = label_value(declarations.meta.version)
    if version:
        labels["app.kubernetes.io/version"] = version
    return labels


def _require_reachable(settings: Settings, source: Optional[str]) -> None:
    host = settings.http_listen.rpartition(":")[0]
    if host not in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - a pod must listen on its own address
        raise DeclarationError(
            "[tool.aiges] http_listen %r listens on %s only: in a pod neither the kubelet's probes nor the "
            'Service reach it; use "0.0.0.0:%d", or k8s = false for no deploy/k8s/'
            % (settings.http_listen, host, http_port(settings)),
            file=source,
            field="http_listen",
        )
