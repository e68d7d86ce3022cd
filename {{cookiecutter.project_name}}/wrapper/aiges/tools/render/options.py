"""Project settings for rendering: ``[tool.aiges]`` in the generated project's pyproject.toml.

Everything the wrapper itself cannot say (how the loader runs it, where it listens) lives here; what
the wrapper does say (service id, fields, session or once, async) is never repeated here, so the two
cannot drift. A missing file or section means the defaults below. Unknown keys are errors, so a typo
does not silently fall back to a default.

Keys (all optional)::

    [tool.aiges]
    plugin_mode = "grpc"           # "grpc": the loader runs `python -m aiges.serve` (AIGES_PLUGIN_MODE=python);
                                   # "cgo": the loader embeds Python through libwrapper.so;
                                   # "widgetpy": the AIGES v3 loader (WIDGET_PLUGIN_MODE=py) runs
                                   # `python3 -m python_wrapper.grpc_server` (no pythonPluginCmd)
    service_section = "svcName"    # the loader's service section in aiges.toml; must equal AIservice `-s`
    port = 5090                    # xsf RPC port of that section (webgate and xtest talk to it)
    http_listen = "0.0.0.0:1888"   # the loader's HTTP address, written to [wrapper] where the loader reads it
    log_level = "info"             # debug | info | warn | error: [wrapper]."log.level", [log] and xtest's log
    log_file = "/log/app/wrapper.log"
                                   # the plugin's own rotating log file (grpc mode), rendered into
                                   # [wrapper]."log.file" when not the default; "" for none
    plugin_cmd = "python3 -c 'from aiges.serve import run; run()'"
                                   # [aiges].pythonPluginCmd in grpc mode; `python3`, the interpreter the
                                   # Dockerfile installs requirements.txt with (a bare `python` is whatever
                                   # comes first on the loader's PATH); `python3 -m aiges.serve` works too,
                                   # but -m costs ~10 ms of start-up (runpy's imports) before the handshake
    header_pass = ["sid"]          # request headers the loader copies into params ([aiges].headerPass)
    real_time_result = true        # [aiges].realTimeRlt: session results are read as they come
    fc_max = 100                   # [fc].max: licences, the requests (once) or sessions the loader admits at
                                   # once; beyond it the loader answers 10110 at once, without queueing
    fc_ttl = 10000                 # [fc].ttl, ms: a session's licence comes back only this long after its last
                                   # frame (also how long an abandoned session lives)
    fc_roll = 5000                 # [fc].roll, ms: how often the loader sweeps expired sessions
    workers = 0                    # wrapper calls the plugin runs at once (aiges.serve --workers); 0: the
                                   # server's default (CPU count, at least 2); must not exceed fc_max
    processes = 1                  # worker processes running the wrapper (aiges.serve --processes); 1: in the
                                   # server's own process. More lets pure-Python CPU-bound code use more cores;
                                   # grpc mode only, and must not exceed fc_max
    xtest_timeout = 10000          # [svcMode].timeout of xtest.toml, in milliseconds
    xtest_appid = "123456"         # [header].appid of xtest.toml
    legacy_schema = false          # also render schema.legacy.json (the vendor SDK's schema form)
    session_mode = "stream"        # "once" | "stream": the kind of plugin ([aiges].sessMode, the local
                                   # run's call order, aiges.serve); unset: inferred from wrapper.py's
                                   # methods. A Wrapper.session_mode class attribute wins over it.
    k8s = true                     # render deploy/k8s/ (Deployment, Service, HorizontalPodAutoscaler)
    image = ""                     # the image deploy/k8s runs; "": <serviceId>:<version>, what
                                   # `python -m aiges build` tags (set it to the name you push)
    gpu = 0                        # GPUs per replica (nvidia.com/gpu in deploy/k8s's requests and limits)
    k8s_replicas = 1               # replicas at the start, and the autoscaler's minimum
    k8s_max_replicas = 4           # the autoscaler's maximum
    k8s_cpu = "1"                  # CPU request per replica (the autoscaler's 100 %)
    k8s_cpu_limit = "2"            # CPU limit per replica; "" for none
    k8s_memory = "2Gi"             # memory request and limit per replica
    k8s_cpu_target = 70            # average CPU use, in % of k8s_cpu, the autoscaler keeps replicas at
    k8s_startup_seconds = 300      # how long start-up (wrapperInit: loading the model) may take
    k8s_grace_seconds = 0          # terminationGracePeriodSeconds; 0: derived from the session mode

Async mode (``asyncMode``) is derived from wrapper.py (:func:`aiges.tools.render.aiges_toml.loader_async_mode`),
and so is the session mode unless set (:func:`aiges.sessionmode.decide`).
"""

import dataclasses
import os
import re
from typing import Any, Dict, List, Optional

from aiges.errors import DeclarationError
from aiges.settings import tool_settings
from aiges.utils.logfile import DEFAULT_PATH as DEFAULT_LOG_FILE

PLUGIN_MODES = ("grpc", "cgo", "widgetpy")
# The fastest way to start aiges.serve: `-m` would import runpy (and typing) first.
# `python3`: the interpreter the Dockerfile installs requirements.txt with and byte-compiles with.
PLUGIN_CMD = "python3 -c 'from aiges.serve import run; run()'"
LOG_LEVELS = ("debug", "info", "warn", "error")
# Sections the loader reads itself: the service section must not be one of them.
RESERVED_SECTIONS = (
    "aiges",
    "wrapper",
    "log",
    "fc",
    "auth",
    "resource",
    "elog",
    "lbv2",
    "trace",
    "sonar",
    "pprof",
    "downAsync",
    "dataProcess",
    "ws",
)
_SECTION_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_LISTEN = re.compile(r"^[^\s:]*:[0-9]{1,5}$")
# Kubernetes quantities as the settings take them: CPUs ("1", "0.5", "500m") and bytes ("2Gi", "512Mi").
_CPU = re.compile(r"^(?:[0-9]+(?:\.[0-9]{1,3})?|[0-9]+m)$")
_MEMORY = re.compile(r"^[0-9]+(?:Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$")
MIN_GRACE_SECONDS = 10  # the preStop pause (5 s) and go-plugin's 2 s before it kills the plugin, and some room


@dataclasses.dataclass(frozen=True)
class Settings:
    """The validated ``[tool.aiges]`` table (defaults for what it does not set)."""

    plugin_mode: str = "grpc"
    service_section: str = "svcName"
    port: int = 5090
    http_listen: str = "0.0.0.0:1888"
    log_level: str = "info"
    log_file: str = DEFAULT_LOG_FILE
    plugin_cmd: str = PLUGIN_CMD
    header_pass: List[str] = dataclasses.field(default_factory=lambda: ["sid"])
    real_time_result: bool = True
    fc_max: int = 100
    fc_ttl: int = 10000
    fc_roll: int = 5000
    workers: int = 0
    processes: int = 1
    xtest_timeout: int = 10000
    xtest_appid: str = "123456"
    legacy_schema: bool = False
    session_mode: str = ""  # "" = infer from wrapper.py
    k8s: bool = True
    image: str = ""  # "" = what `aiges build` tags
    gpu: int = 0
    k8s_replicas: int = 1
    k8s_max_replicas: int = 4
    k8s_cpu: str = "1"
    k8s_cpu_limit: str = "2"
    k8s_memory: str = "2Gi"
    k8s_cpu_target: int = 70
    k8s_startup_seconds: int = 300
    k8s_grace_seconds: int = 0  # 0 = derived (aiges.tools.render.k8s_manifests.grace_seconds)


KNOWN_KEYS = tuple(field.name for field in dataclasses.fields(Settings))
# Keys of earlier templates and what replaced them (named in the error, so an update is one edit).
RETIRED_KEYS = {
    "concurrency": "it set only the loader's admission ([fc].max), and its default 1 made the loader refuse "
    "ordinary traffic; set fc_max instead (licences the loader admits, default 100) and, for the "
    "plugin's own concurrency, workers (wrapper calls it runs at once)"
}


def load_settings(project_root: str) -> Settings:
    """Read and validate ``[tool.aiges]`` of ``<project_root>/pyproject.toml``."""

    path = os.path.join(project_root, "pyproject.toml")
    try:
        table = tool_settings(project_root)
    except (OSError, ValueError) as error:
        raise DeclarationError("cannot read [tool.aiges]: %s" % error, file=path) from error
    return settings_from_table(table, source=path)


def settings_from_table(table: Dict[str, Any], source: Optional[str] = None) -> Settings:
    """Validate a ``[tool.aiges]`` mapping; raise one DeclarationError naming the bad key."""

    def fail(message: str) -> DeclarationError:
        return DeclarationError("[tool.aiges] " + message, file=source)

    for key in sorted(set(table) & set(RETIRED_KEYS)):
        raise fail("%s is no longer a setting: %s" % (key, RETIRED_KEYS[key]))
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise fail("unknown key %s; known keys: %s" % (", ".join(repr(k) for k in unknown), ", ".join(KNOWN_KEYS)))
    defaults = Settings()
    values = {name: table.get(name, getattr(defaults, name)) for name in KNOWN_KEYS}
    for name in KNOWN_KEYS:
        expected = type(getattr(defaults, name))
        value = values[name]
        if expected is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise fail("%s must be an integer, got %r" % (name, value))
        if expected is not int and not isinstance(value, expected):
            raise fail("%s must be a %s, got %r" % (name, _type_word(expected), value))
    checks = (
        (values["plugin_mode"] in PLUGIN_MODES, "plugin_mode must be one of %s" % ", ".join(PLUGIN_MODES)),
        (
            bool(_SECTION_NAME.match(values["service_section"])) and values["service_section"] not in RESERVED_SECTIONS,
            "service_section must be a plain name (letters, digits, _ or -) and not one of "
            "the loader's own sections (%s)" % ", ".join(RESERVED_SECTIONS),
        ),
        (0 < values["port"] < 65536, "port must be between 1 and 65535"),
        (bool(_LISTEN.match(values["http_listen"])), 'http_listen must look like "0.0.0.0:1888"'),
        (values["log_level"] in LOG_LEVELS, "log_level must be one of %s" % ", ".join(LOG_LEVELS)),
        (
            values["log_file"] == values["log_file"].strip()
            and not any(char in values["log_file"] for char in "\n\r\0"),
            'log_file must be a file path without surrounding spaces or line breaks ("" for no file)',
        ),
        (bool(values["plugin_cmd"].strip()), "plugin_cmd must not be empty"),
        (
            all(isinstance(item, str) and item and ";" not in item for item in values["header_pass"]),
            "header_pass must be a list of header names (no ';')",
        ),
        (values["fc_max"] > 0, "fc_max must be at least 1"),
        (values["fc_ttl"] > 0, "fc_ttl must be a positive number of milliseconds"),
        (values["fc_roll"] > 0, "fc_roll must be a positive number of milliseconds"),
        (values["workers"] >= 0, "workers must be 0 (the server's default) or more"),
        (
            values["workers"] <= values["fc_max"],
            "workers must not exceed fc_max: the loader must admit at least "
            "as many requests as the plugin runs (it queues the rest), else workers sit idle while the loader "
            "refuses requests with 10110; raise fc_max or lower workers",
        ),
        (values["processes"] >= 1, "processes must be 1 (the wrapper runs in the server's process) or more"),
        (
            values["processes"] == 1 or values["plugin_mode"] == "grpc",
            'processes needs plugin_mode = "grpc": in cgo mode the loader embeds Python in its own process, '
            'where there are no worker processes to start; remove processes or set plugin_mode = "grpc"',
        ),
        (
            values["processes"] <= values["fc_max"],
            "processes must not exceed fc_max: each process runs at least one request at once, and the loader "
            "admits only fc_max; raise fc_max or lower processes",
        ),
        (values["xtest_timeout"] > 0, "xtest_timeout must be a positive number of milliseconds"),
        (bool(values["xtest_appid"]), "xtest_appid must not be empty"),
        (values["session_mode"] in ("", "once", "stream"), 'session_mode must be "once" or "stream"'),
        (
            values["image"] == "" or bool(_IMAGE.fullmatch(values["image"])),
            'image must be an image reference such as "REGISTRY/team/name:v1" with your registry'
            ' ("" for the built tag)',
        ),
        (values["gpu"] >= 0, "gpu must be 0 (none) or a number of GPUs"),
        (values["k8s_replicas"] >= 1, "k8s_replicas must be at least 1"),
        (
            values["k8s_max_replicas"] >= values["k8s_replicas"],
            "k8s_max_replicas must not be below k8s_replicas (the autoscaler's minimum)",
        ),
        (
            bool(_CPU.fullmatch(values["k8s_cpu"])) and cpu_millis(values["k8s_cpu"]) > 0,
            'k8s_cpu must be a CPU quantity such as "1", "0.5" or "500m"',
        ),
        (
            values["k8s_cpu_limit"] == "" or _cpu_at_least(values["k8s_cpu_limit"], values["k8s_cpu"]),
            'k8s_cpu_limit must be "" (no limit) or a CPU quantity not below k8s_cpu',
        ),
        (
            bool(_MEMORY.fullmatch(values["k8s_memory"])) and not values["k8s_memory"].startswith("0"),
            'k8s_memory must be a memory quantity such as "2Gi" or "512Mi"',
        ),
        (0 < values["k8s_cpu_target"] <= 100, "k8s_cpu_target must be a percentage between 1 and 100"),
        (values["k8s_startup_seconds"] >= 10, "k8s_startup_seconds must be at least 10"),
        (
            values["k8s_grace_seconds"] == 0 or values["k8s_grace_seconds"] >= MIN_GRACE_SECONDS,
            "k8s_grace_seconds must be 0 (derived) or at least %d" % MIN_GRACE_SECONDS,
        ),
    )
    for ok, message in checks:
        if not ok:
            raise fail("%s (got %s)" % (message, _shown(values, message)))
    values["header_pass"] = list(values["header_pass"])
    return Settings(**values)


def cpu_millis(quantity: str) -> int:
    """A CPU quantity ("1", "0.5", "500m") in thousandths of a CPU."""
    if quantity.endswith("m"):
        return int(quantity[:-1])
    whole, _, fraction = quantity.partition(".")
    return int(whole) * 1000 + int((fraction + "000")[:3])


def _cpu_at_least(limit: str, request: str) -> bool:
    return bool(_CPU.fullmatch(limit) and _CPU.fullmatch(request)) and cpu_millis(limit) >= cpu_millis(request)


def _type_word(expected: type) -> str:
    return {str: "string", bool: "boolean (true or false)", list: "list"}.get(expected, expected.__name__)


def _shown(values: Dict[str, Any], message: str) -> str:
    name = message.split(" ", 1)[0]
    return repr(values.get(name))
