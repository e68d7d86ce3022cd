"""The listening socket behind ``--sock PATH``: in a private directory, reached through PATH.

The loader names the socket's path, often in a shared temporary directory where every local user could
connect to a socket the vendor's server made with mode 0755. Here the socket itself lives in a fresh
directory only the plugin's user can enter (``aiges.grpc.listen``) and PATH is a symbolic link to it:
connecting through the link needs the right to enter that directory, so only the plugin's user (and root)
can, while the loader connects to PATH as before.

What was at PATH before is replaced only when it is a socket or a link (a stale one from an earlier run); any
other file is left alone and start-up fails naming it (the vendor's server deleted whatever was there).
"""

import os
import stat
from typing import Any, Tuple

from aiges.grpc import listen


def _clear(path: str) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISSOCK(info.st_mode) or stat.S_ISLNK(info.st_mode):
        os.unlink(path)
        return
    raise OSError("--sock %s: something other than a socket is there; not replacing it" % path)


def bind(path: str) -> Tuple[Any, listen.Endpoint]:
    """(listening socket, its private endpoint) with ``path`` linked to it; OSError naming the problem."""
    if len(os.fsencode(path)) > listen.UNIX_PATH_MAX:
        raise OSError(
            "--sock %s is %d bytes long; a unix socket path has at most %d" % (path, len(path), listen.UNIX_PATH_MAX)
        )
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise OSError("--sock %s: the directory %s does not exist" % (path, folder))
    _clear(path)
    listener, endpoint = listen.listen_unix()
    try:
        os.symlink(endpoint.path, path)
    except OSError as error:
        listener.close()
        listen.remove(endpoint)
        raise OSError("--sock %s: cannot create it: %s" % (path, error.strerror or error)) from None
    return listener, endpoint


def unbind(path: str, endpoint: listen.Endpoint) -> None:
    """Remove the link (when it is still ours) and the private directory."""
    try:
        if os.path.islink(path) and os.readlink(path) == endpoint.path:
            os.unlink(path)
    except OSError:
        pass
    listen.remove(endpoint)
