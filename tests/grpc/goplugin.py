"""The Go plugin (``tests/grpc/goplugin/``, contract in its main.go): the loader protocol served by Go.

A go-plugin gRPC server with the benchmark's echo wrapper, the least a python-mode plugin can cost:
the benchmark's "go" target. Built like the Go host (``gohost.py``: Debian's Go packages, GOPATH mode,
cached in ``~/.cache/aiges-template``) from its folder and the wire format both share (``gowire/``).
"""

import shlex
from pathlib import Path
from typing import Optional

import gohost

PROGRAM = gohost.GoProgram("goplugin", (gohost.HERE / "goplugin", gohost.SHARED))
NETWORKS = ("unix", "tcp")


def ensure_binary() -> Path:
    """The Go plugin, built on first use (raises gohost.GoHostUnavailable without Go or its packages)."""
    return gohost.ensure_binary(PROGRAM)


def command(network: Optional[str] = None, descriptors: Optional[Path] = None) -> str:
    """The plugin's command line (the loader's pythonPluginCmd, run with ``bash -c``): it listens on
    ``network`` ("unix" or "tcp"; None: as $AIGES_LISTEN says, else unix)."""
    args = [str(ensure_binary()), "-descriptors", str(descriptors or gohost.default_descriptors())]
    if network is not None:
        if network not in NETWORKS:
            raise ValueError("network %r: want one of %s" % (network, NETWORKS))
        args += ["-listen", network]
    return " ".join(shlex.quote(arg) for arg in args)
