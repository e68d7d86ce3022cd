"""aiges.toml: the loader (AIservice) configuration for this plugin.

Follows the loader's own default.cfg (GO utils/default.cfg) with the values that depend on the
plugin derived from wrapper.py and ``[tool.aiges]``. Pitfalls avoided (docs/reference/files.md): ``http_listen``
is read from ``[wrapper]`` (not from the service section), section names are case-sensitive and the
service section must equal AIservice ``-s``, ``[fc].max`` must exist (the loader fails without it),
and every ``[wrapper]`` value is written as the string ``wrapperInit`` will receive.
"""

from typing import Any, Dict

from aiges.declarations import Declarations
from aiges.tools.render.options import DEFAULT_LOG_FILE, Settings
from aiges.tools.render.values import loader_string

AIGES_TOML = "aiges.toml"

# Platform sections kept at the loader's defaults (default.cfg; only lbv2.taddrs, unused while able = 0,
# points at localhost instead of a data-centre address): they are not about the plugin.
PLATFORM_DEFAULTS: Dict[str, Dict[str, Any]] = {
    "auth": {"meterWrapperCtrl": False, "meterCtrl": False, "janusCtrl": False},
    "resource": {"able": False},
    "elog": {
        "elogRemote": False,
        "elogLocal": False,
        "elogConsumer": 2,
        "elogHost": "127.0.0.1",
        "elogPort": "4545",
        "elogXml": "seelog.xml",
        "elogSpill": "/log/server/iatspill",
        "elogS3ak": "",
        "elogS3sk": "",
        "elogS3ep": "",
        "elogZkhost": "",
    },
    "lbv2": {
        "lbname": "lb-niche",
        "able": 0,
        "sub": "sub",
        "subsvc": "svc",
        "apiversion": "1.0.0",
        "conn-timeout": 100,
        "conn-pool-size": 20,
        "lb-mode": 0,
        "lb-retry": 2,
        "taddrs": "lbv2@127.0.0.1:9095",
    },
    "trace": {
        "host": "127.0.0.1",
        "port": 4545,
        "able": 0,
        "deliver": 1,
        "dump": 0,
        "backend": 2,
        "buffer": 2000,
        "bcluster": "5s",
        "idc": "dz",
        "loadts": 1000000,
    },
    "sonar": {"able": 0},
}


def loader_async_mode(declarations: Declarations) -> bool:
    """``[aiges].asyncMode`` for the CGO path (gRPC mode forces it to true anyway).

    False for a once-only wrapper without ``wrapperOnceExecAsync``: the loader then calls
    ``wrapperOnceExec`` and takes its Response. True when the class implements
    ``wrapperOnceExecAsync``, and true for a session wrapper: session results are delivered through
    ``callback(response, usrTag)`` (the vendor's and this template's pattern), and the loader passes a
    callback to sessions only in async mode (in sync mode it polls ``wrapperRead`` instead). Once
    requests to such a wrapper reach the runtime's default ``wrapperOnceExecAsync``, which runs
    ``wrapperOnceExec`` and delivers its Response through the callback.
    """
    return declarations.is_async or declarations.is_session


def wrapper_section(declarations: Declarations, settings: Settings) -> Dict[str, str]:
    """``[wrapper]``: exactly the dict ``wrapperInit(config)`` receives in production (all strings)."""
    section = {"http_listen": settings.http_listen, "log.level": settings.log_level}
    if settings.log_file != DEFAULT_LOG_FILE:  # the runtime's default needs no line
        section["log.file"] = settings.log_file
    for key in sorted(declarations.config):
        section[key] = loader_string(declarations.config[key])
    return section


def plugin_command(settings: Settings) -> str:
    """``[aiges].pythonPluginCmd``: ``plugin_cmd``, plus ``--workers N`` when ``workers`` is set and
    ``--processes N`` when ``processes`` is more than 1.

    The loader runs it with ``bash -c``; aiges.serve takes its options after ``-c '...'`` too.
    """
    command = settings.plugin_cmd
    if settings.workers:
        command += " --workers %d" % settings.workers
    if settings.processes > 1:
        command += " --processes %d" % settings.processes
    return command


def sessions_per_second(settings: Settings) -> float:
    """New sessions per second the loader can admit at most, however short the sessions are.

    A session's licence comes back only when the sweep (every ``roll`` ms) finds ``ttl`` passed
    since its last frame (docs/how-to/deploy-to-loader.md#admission): each one is held for its duration + ttl + up to
    roll.
    """
    return settings.fc_max * 1000.0 / (settings.fc_ttl + settings.fc_roll)


def aiges_document(declarations: Declarations, settings: Settings) -> Dict[str, Any]:
    aiges: Dict[str, Any] = {
        "gesMock": False,
        "numaNode": 0,
        "sessMode": declarations.is_session,
        "asyncMode": loader_async_mode(declarations),
        "realTimeRlt": settings.real_time_result,
        "usrCfg": "",
        "sub": declarations.meta.sub,
        "headerPass": ";".join(settings.header_pass) or None,
        "pythonPluginCmd": plugin_command(settings) if settings.plugin_mode == "grpc" else None,
    }
    document: Dict[str, Any] = {
        settings.service_section: {"finder": 0, "host": "0.0.0.0", "port": settings.port},  # noqa: S104 - loader RPC
        "aiges": aiges,
        "wrapper": wrapper_section(declarations, settings),
        "fc": {
            "able": 1,
            "router": "sessionManager",
            "max": settings.fc_max,
            "ttl": settings.fc_ttl,
            "best": settings.fc_max,
            "roll": settings.fc_roll,
            "strategy": 2,
        },
        "log": {"level": settings.log_level, "file": "./log/aiges.log", "size": 3, "count": 3, "die": 3, "async": 0},
    }
    document.update({name: dict(values) for name, values in PLATFORM_DEFAULTS.items()})
    return document
