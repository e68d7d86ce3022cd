"""The gRPC services a go-plugin host talks to, as transport-neutral handlers over the runtime-built messages.

- ``aiges.WrapperService``: the loader's calls. ``wrapperOnceExec`` only queues the work for a
  wrapper worker and answers at once; its result goes out on ``communicate``. Session calls run on
  a worker too; init/schema run where they arrive (the loader makes them once, before any request).
- ``grpc.health.v1.Health``: ``Check("plugin")`` / ``Check("")`` = SERVING until shutdown.
- ``plugin.GRPCStdio``, ``plugin.GRPCBroker``: present so the host logs no "Unimplemented"
  errors; they stay open and idle until shutdown (stdout/stderr already reach the host as pipes).
- ``plugin.GRPCController.Shutdown``: asks the server to stop (wrapperFini, then exit).

Ownership (docs/explanation/security.md): the first ``communicate`` stream owns the results until
it ends; another one is refused with PERMISSION_DENIED while it lives, and so is a stream from
another local user. ``Shutdown`` is honoured only from the owner's connection, where the transport
can tell connections apart (``peers.py``), and never from another user.
"""

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, NamedTuple, Union

from aiges import errors
from aiges.grpc import convert, peers, status, wire
from aiges.grpc.outbox import Outbox, Taken
from aiges.grpc.runner import WrapperRunner
from aiges.grpc.workers import QueueFull, Workers

if TYPE_CHECKING:  # only --processes loads it
    from aiges.grpc.processes import ProcessRunner

log = logging.getLogger("aiges.serve")

HEALTHY_SERVICES = ("", "plugin")


class State:
    """What the handlers share: the runner, the workers, the outbox and the stop signal."""

    def __init__(
        self,
        runner: Union[WrapperRunner, "ProcessRunner"],
        workers: Workers,
        outbox: Outbox,
        request_stop: Callable[[str], None],
    ) -> None:
        self.runner = runner
        self.workers = workers
        self.outbox = outbox
        self.request_stop = request_stop
        self.stopping = threading.Event()
        # TCP: every call from another local user is refused (a unix socket's directory keeps them out)
        self.check_users = False
        self.gate = peers.Gate()


class Entry(NamedTuple):
    """One rpc as both transports serve it: grpcio's handler shape, ``behaviour(request, context)``."""

    method: wire.Method
    behaviour: Callable[..., Any]
    inline: bool  # never blocks (only queues work): may run on the transport's network thread


def _entries(service_name: str, behaviours: Dict[str, Callable[..., Any]], inline: tuple = ()) -> Dict[str, Entry]:
    methods = wire.service(service_name)
    return {
        methods[name].path: Entry(methods[name], behaviour, name in inline) for name, behaviour in behaviours.items()
    }


def wrapper_service(state: State) -> Dict[str, Entry]:
    messages = wire.protocol().messages
    ret, response, handle_message, schema_message = (
        messages["aiges.Ret"],
        messages["aiges.Response"],
        messages["aiges.Handle"],
        messages["aiges.Schema"],
    )
    runner, workers = state.runner, state.workers
    submit = workers.submit
    once = runner.once

    def wrapper_init(request: Any, context: Any) -> Any:
        return ret(ret=runner.init(convert.plain_dict(request.config)))

    def wrapper_schema(request: Any, context: Any) -> Any:
        return schema_message(data=runner.schema(request.serviceId))

    def wrapper_once_exec(request: Any, context: Any) -> Any:
        try:
            submit(once, request)
        except QueueFull as full:
            runner.refuse(request.tag, "wrapperOnceExec", errors.QUEUE_FULL, str(full))
        return response()

    def queued(function: Callable[..., Any], argument: Any, method: str, failed: Any) -> Any:
        try:
            return workers.call(function, argument)
        except QueueFull as full:
            log.error("%s answered with ret %d: %s", method, errors.QUEUE_FULL, full)
            return failed

    def wrapper_create(request: Any, context: Any) -> Any:
        handle, code = queued(runner.create, request, "wrapperCreate", ("", errors.QUEUE_FULL))
        return handle_message(handle=handle, err_code=code)

    def wrapper_write(request: Any, context: Any) -> Any:
        return ret(ret=queued(runner.write, request, "wrapperWrite", errors.QUEUE_FULL))

    def wrapper_destroy(request: Any, context: Any) -> Any:
        return ret(ret=queued(runner.destroy, request.handle, "wrapperDestroy", errors.QUEUE_FULL))

    def test_stream(requests: Iterator[Any], context: Any) -> Iterator[Any]:
        for _ in requests:
            yield response()

    def communicate(requests: Iterator[Any], context: Any) -> Iterator[Any]:
        peer = peers.of(context)
        if not peer.trusted:
            log.warning("refused communicate from user %s: results go only to this plugin's user", peer.uid)
            raise status.Abort(status.PERMISSION_DENIED, "communicate: results go only to the plugin's own user")
        try:
            return state.outbox.stream(context, getattr(context, "send_response", None), owner=peer)
        except Taken as taken:
            log.warning("refused a second communicate stream (%s)", taken)
            raise status.Abort(status.PERMISSION_DENIED, "communicate: %s" % taken) from None

    return _entries(
        "aiges.WrapperService",
        {
            "wrapperInit": wrapper_init,
            "wrapperSchema": wrapper_schema,
            "wrapperOnceExec": wrapper_once_exec,
            "wrapperCreate": wrapper_create,
            "wrapperWrite": wrapper_write,
            "wrapperDestroy": wrapper_destroy,
            "testStream": test_stream,
            "communicate": communicate,
        },
        inline=("wrapperOnceExec",),
    )


def _wait_for_stop(state: State, context: Any) -> None:
    """Block until shutdown or until the call ends, whichever comes first."""
    ended = threading.Event()
    if context.add_callback(ended.set):
        while not ended.is_set() and not state.stopping.wait(0.5):
            pass


def health_service(state: State) -> Dict[str, Entry]:
    answer = wire.message("grpc.health.v1.HealthCheckResponse")

    def serving() -> int:
        return answer.NOT_SERVING if state.stopping.is_set() else answer.SERVING

    def check(request: Any, context: Any) -> Any:
        if request.service not in HEALTHY_SERVICES:
            raise status.Abort(status.NOT_FOUND, "unknown service %r" % request.service)
        return answer(status=serving())

    def watch(request: Any, context: Any) -> Iterator[Any]:
        if request.service not in HEALTHY_SERVICES:
            yield answer(status=answer.SERVICE_UNKNOWN)
            return
        yield answer(status=serving())
        _wait_for_stop(state, context)
        if state.stopping.is_set():
            yield answer(status=answer.NOT_SERVING)

    return _entries("grpc.health.v1.Health", {"Check": check, "Watch": watch}, inline=("Check",))


def go_plugin_services(state: State) -> Dict[str, Entry]:
    empty = wire.message("plugin.Empty")

    def stream_stdio(request: Any, context: Any) -> Iterator[Any]:
        _wait_for_stop(state, context)
        return iter(())

    def shutdown(request: Any, context: Any) -> Any:
        problem = _shutdown_refusal(state, peers.of(context))
        if problem:
            log.warning("refused GRPCController.Shutdown: %s", problem)
            raise status.Abort(status.PERMISSION_DENIED, "Shutdown: %s" % problem)
        state.request_stop("the host called GRPCController.Shutdown")
        return empty()

    def start_stream(requests: Iterator[Any], context: Any) -> Iterator[Any]:
        _wait_for_stop(state, context)
        return iter(())

    entries = _entries("plugin.GRPCStdio", {"StreamStdio": stream_stdio})
    entries.update(_entries("plugin.GRPCController", {"Shutdown": shutdown}, inline=("Shutdown",)))
    entries.update(_entries("plugin.GRPCBroker", {"StartStream": start_stream}))
    return entries


def _shutdown_refusal(state: State, caller: peers.Peer) -> str:
    """Why ``caller`` may not stop the plugin ("" when it may)."""
    if not caller.trusted:
        return "only the plugin's own user may stop it"
    owner = state.outbox.owner
    if owner is None or owner.connection is None or caller.connection is None:
        return ""  # no host owns the results, or this transport cannot tell connections apart
    if caller.connection != owner.connection:
        return "only the connection that owns the communicate stream may stop the plugin"
    return ""


def _users_only(behaviour: Callable[..., Any], gate: peers.Gate) -> Callable[..., Any]:
    """``behaviour`` for the plugin's own user (and root) only; another user's call ends with PERMISSION_DENIED
    before anything runs (a wrapperOnceExec from them could otherwise put a result under the loader's tag)."""

    def admitted(request: Any, context: Any) -> Any:
        peer = gate.peer(context)
        if not peer.trusted:
            log.warning("refused a call from user %s: only this plugin's user may call it", peer.uid)
            raise status.Abort(status.PERMISSION_DENIED, "only the plugin's own user may call it")
        return behaviour(request, context)

    return admitted


def all_services(state: State) -> Dict[str, Entry]:
    """Every rpc we serve, by full path ("/aiges.WrapperService/wrapperInit")."""
    entries = wrapper_service(state)
    entries.update(health_service(state))
    entries.update(go_plugin_services(state))
    if state.check_users:
        entries = {
            path: entry._replace(behaviour=_users_only(entry.behaviour, state.gate)) for path, entry in entries.items()
        }
    return entries
