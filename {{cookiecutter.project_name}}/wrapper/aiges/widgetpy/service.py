"""``aiges.wrapper.WrapperService`` as transport-neutral entries (``aiges.grpc.services.Entry``).

Every rpc runs the wrapper on a wrapper worker (``aiges.grpc.workers``: ``--workers`` at once, a bounded
queue), never on the transport's threads. A call the queue cannot take is answered at once with the
runtime's QUEUE_FULL code (30004) in ``err_code`` (``RESOURCE_EXHAUSTED`` for the two rpcs without one).
Nothing else is served: health, reflection and the go-plugin services answer UNIMPLEMENTED, as the
vendor's server does.
"""

import logging
from typing import Any, Callable, Dict

from aiges import errors
from aiges.grpc import status, wire
from aiges.grpc.services import Entry
from aiges.grpc.workers import QueueFull, Workers

log = logging.getLogger("aiges.widgetpy")

SERVICE = "aiges.wrapper.WrapperService"
# rpc -> (the adapter's method, the response field that takes an error code, or "" for none)
RPCS = {
    "Init": ("init", "err_code"),
    "Fini": ("fini", "err_code"),
    "Version": ("version", ""),
    "Exec": ("exec", "err_code"),
    "Create": ("create", "err_code"),
    "Write": ("write", "err_code"),
    "Read": ("read", "err_code"),
    "Destroy": ("destroy", "err_code"),
    "LoadRes": ("load_res", "err_code"),
    "UnloadRes": ("unload_res", "err_code"),
    "DebugInfo": ("debug_info", ""),
    "Notify": ("notify", "err_code"),
}


def entries(adapter: Any, workers: Workers) -> Dict[str, Entry]:
    """The twelve rpcs of ``adapter`` (``legacy.LegacyWrapper`` or ``modern.ModernWrapper``) by full path."""
    methods = wire.service(SERVICE)
    table = {}
    for rpc, (name, code_field) in RPCS.items():
        method = methods[rpc]
        behaviour = _queued(workers, getattr(adapter, name), rpc, method.response, code_field)
        table[method.path] = Entry(method, behaviour, False)
    return table


def _queued(
    workers: Workers, function: Callable[[Any], Any], rpc: str, response: Any, code_field: str
) -> Callable[..., Any]:
    def behaviour(request: Any, context: Any) -> Any:
        try:
            return workers.call(function, request)
        except QueueFull as full:
            log.error("%s answered with %d: %s", rpc, errors.QUEUE_FULL, full)
            if not code_field:
                raise status.Abort(status.RESOURCE_EXHAUSTED, str(full)) from None
            return response(**{code_field: errors.QUEUE_FULL, "err_msg": str(full)})

    return behaviour
