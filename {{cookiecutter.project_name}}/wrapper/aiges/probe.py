"""``python3 -m aiges.probe``: is this loader container serving its plugin? (Kubernetes exec probe.)

Why a command and not only an HTTP probe: the loader's ``GET /ping`` answers as long as AIservice
runs, but in grpc mode the plugin is a separate process (``bash -c "<pythonPluginCmd>"``); if it
dies after start-up the loader keeps listening while every request fails. The probe checks both
things a serving pod needs, reading the rendered aiges.toml so it can never disagree with it:

* grpc mode: a process runs ``[aiges].pythonPluginCmd`` (as ``bash -c <cmd>``, or as the command
  itself when bash replaced itself with it);
* widgetpy mode (``WIDGET_PLUGIN_MODE=py``, set by the Dockerfile): a process runs
  ``python3 -m python_wrapper.grpc_server`` (the v3 loader's command line is not public; its module is);
* the loader answers ``GET /ping`` on the port of ``[wrapper].http_listen``. The loader opens that
  port only after the plugin answered its handshake, ``wrapperInit`` and ``wrapperSchema`` (it takes
  its routes from the schema and exits when either call fails), so an answer means a ready plugin.

Exit status 0 when both hold, 1 (with one line saying what is wrong) otherwise. Standard library
only (plus the runtime's TOML reader); it runs every few seconds, so it imports little.
"""

import argparse
import os
import shlex
import sys
import urllib.error
import urllib.request
from typing import Dict, Iterator, List, Optional, Sequence

DEFAULT_CONFIG = "aiges.toml"
PING_PATH = "/ping"
WIDGET_MODULE = "python_wrapper.grpc_server"


class ProbeFailed(Exception):
    """The container is not serving; the message says why (Kubernetes shows it in the pod's events)."""


def plugin_argvs(command: str) -> List[List[str]]:
    """The argument vectors a plugin started from ``command`` can have (the loader runs ``bash -c``)."""
    forms = [["bash", "-c", command], ["/bin/bash", "-c", command]]
    try:
        forms.append(shlex.split(command, comments=True))  # bash execs a lone simple command in its own place
    except ValueError:
        pass
    return forms


def process_argvs(proc: str = "/proc") -> Iterator[List[str]]:
    """Argument vectors of the processes visible in ``proc`` (the container's own, in a pod)."""
    try:
        names = os.listdir(proc)
    except OSError:
        return
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(proc, name, "cmdline"), "rb") as handle:
                raw = handle.read()
        except OSError:  # the process ended meanwhile, or is not ours to read
            continue
        if raw:
            yield [part.decode("utf-8", "replace") for part in raw.rstrip(b"\0").split(b"\0")]


def plugin_running(command: str, proc: str = "/proc") -> bool:
    wanted = plugin_argvs(command)
    return any(argv in wanted for argv in process_argvs(proc))


def widget_running(proc: str = "/proc") -> bool:
    """A process runs ``python... -m python_wrapper.grpc_server``."""
    return any(
        flag == "-m" and module == WIDGET_MODULE for argv in process_argvs(proc) for flag, module in zip(argv, argv[1:])
    )


def http_port(listen: str) -> int:
    """The port of ``host:port`` (the host may be empty or an address)."""
    _, _, port = listen.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ProbeFailed("[wrapper].http_listen %r has no port" % listen)
    return int(port)


def ping(port: int, timeout: float) -> None:
    url = "http://127.0.0.1:%d%s" % (port, PING_PATH)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - fixed loopback http URL
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, ValueError) as error:
        raise ProbeFailed("the loader does not answer GET %s on port %d: %s" % (PING_PATH, port, error)) from None
    if status >= 400:
        raise ProbeFailed("the loader answered GET %s on port %d with HTTP %d" % (PING_PATH, port, status))


def probe(
    config: Dict[str, Dict[str, object]], timeout: float, proc: str = "/proc", widget: Optional[bool] = None
) -> str:
    """Check a container configured by ``config`` (a parsed aiges.toml); return what was checked.
    ``widget``: the WidgetPy mode (default: ``WIDGET_PLUGIN_MODE=py`` in the environment)."""
    command = config.get("aiges", {}).get("pythonPluginCmd")
    widget = os.environ.get("WIDGET_PLUGIN_MODE") == "py" if widget is None else widget
    checked = []
    if command:
        if not plugin_running(str(command), proc):
            raise ProbeFailed("no plugin process runs pythonPluginCmd %r" % command)
        checked.append("plugin process")
    elif widget:
        if not widget_running(proc):
            raise ProbeFailed("no plugin process runs python3 -m %s (WIDGET_PLUGIN_MODE=py)" % WIDGET_MODULE)
        checked.append("plugin process")
    listen = config.get("wrapper", {}).get("http_listen", "0.0.0.0:1888")  # the loader's default
    port = http_port(str(listen))
    ping(port, timeout)
    checked.append("GET %s on %d" % (PING_PATH, port))
    return "serving: " + ", ".join(checked)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m aiges.probe", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="the rendered aiges.toml (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for /ping (default: 3)")
    args = parser.parse_args(argv)
    from aiges import tomlcompat  # start-up time: only when no aiges.toml answer is cached

    try:
        config = tomlcompat.load_file(args.config)
        print(probe(config, args.timeout))
        return 0
    except (OSError, ValueError) as error:
        print("probe: cannot read %s: %s" % (args.config, error))
    except ProbeFailed as error:
        print("probe: %s" % error)
    return 1


if __name__ == "__main__":
    sys.exit(main())
