"""The gateway's routes: the plugin's HTTP route (once) or websocket route (session), ``/``, ``/ping``.

Every wrapper call goes through :mod:`aiges.tools.localrun.phases` (the local run's guarded calls in the
loader's order, in gRPC emulation), run in worker threads so a slow wrapper never blocks the server.
"""

import asyncio
import dataclasses
import uuid
from typing import Any, Dict, List, Optional

from aiohttp import WSMsgType, web

from aiges import calling
from aiges.dto import DataListCls, DataListNode
from aiges.tools.gateway import envelope, page
from aiges.tools.gateway.envelope import Refusal
from aiges.tools.localrun import phases

# the loader fetches session results with a 50 ms poller (docs/how-to/deploy-to-loader.md#admission)
POLL_SECONDS = 0.05
READ_TIMEOUT = 10.0  # the loader's websocket read timeout (docs/how-to/deploy-to-loader.md)


@dataclasses.dataclass
class Plugin:
    """The initialised wrapper and what the routes need to call it."""

    context: phases.Context
    collector: phases.Collector
    session: bool
    example: Dict[str, Any]
    schema: Dict[str, Any]  # the document the page is built from: schema.json, or the fresh one when it is stale

    @property
    def service_id(self) -> str:
        return self.context.declarations.meta.service_id

    @property
    def route(self) -> str:
        return self.context.declarations.meta.route


def failure_refusal(failure: phases.PhaseFailed) -> Refusal:
    """What the loader answers for a failed wrapper call (docs/how-to/deploy-to-loader.md), with the real reason as the
    hint."""
    hint = "%s (through the loader this text is only in the plugin's log)" % failure
    if failure.served_ret:
        return Refusal(envelope.WRAPPER_ERROR, "errr;code=%d" % failure.served_ret, hint)
    if failure.error is None and "did not return within" in failure.message:
        return Refusal(envelope.ONCE_TIMEOUT, "once timeout", hint)
    return Refusal(envelope.OUTPUT_INVALID, envelope.OUTPUT_INVALID_MESSAGE, hint)


def refused(refusal: Refusal, sid: Optional[str]) -> web.Response:
    return web.json_response(
        envelope.error(refusal.code, refusal.message, sid, refusal.hint), status=refusal.http_status
    )


def build_app(plugin: Plugin) -> web.Application:
    app = web.Application(client_max_size=256 * 1024 * 1024)
    app["plugin"] = plugin
    app.router.add_get("/", index)
    app.router.add_get("/ping", ping)
    app.router.add_get("/example.json", example)
    if plugin.session:
        # sessMode: GET websocket only, POST is 404 (docs/how-to/deploy-to-loader.md)
        app.router.add_get(plugin.route, session)
        app.router.add_post(plugin.route, post_to_session)
    else:
        app.router.add_post(plugin.route, once)
    return app


async def index(request: web.Request) -> web.Response:
    plugin: Plugin = request.app["plugin"]
    return web.Response(
        text=page.render(plugin.schema, plugin.route, plugin.session, plugin.example), content_type="text/html"
    )


async def ping(_: web.Request) -> web.Response:
    return web.Response(text="pong")


async def example(request: web.Request) -> web.Response:
    return web.json_response(request.app["plugin"].example)


async def post_to_session(request: web.Request) -> web.Response:
    route = request.app["plugin"].route
    return refused(
        Refusal(
            404,
            "404 page not found",
            "this is a session plugin: the loader serves it as a websocket (GET %s), and answers POST with 404" % route,
            404,
        ),
        None,
    )


async def once(request: web.Request) -> web.Response:
    plugin: Plugin = request.app["plugin"]
    sid = None
    try:
        parsed = envelope.parse_request(await request.read(), plugin.service_id)
        sid = parsed.sid
        context = dataclasses.replace(
            plugin.context, params=parsed.params, samples=[part.sample for part in parsed.parts]
        )
        loop = asyncio.get_running_loop()
        try:
            response, _ = await loop.run_in_executor(None, phases.execute_once, context, plugin.collector, sid)
        except phases.PhaseFailed as failure:
            raise failure_refusal(failure) from None
        envelope.check_outputs(response.list, parsed.expected, plugin.service_id)
    except Refusal as refusal:
        return refused(refusal, sid)
    return web.json_response(envelope.success(sid, parsed.status, response.list, parsed.expected))


class Session:
    """One websocket session: Create on the first frame, Write per frame, results polled and sent as frames."""

    def __init__(self, plugin: Plugin, ws: web.WebSocketResponse) -> None:
        self.plugin = plugin
        self.ws = ws
        self.sid = str(uuid.uuid4())
        self.handle: Optional[str] = None
        self.expected: Dict[str, envelope.Expected] = {}
        self.context = plugin.context
        self.nodes: List[Any] = []
        self.finished = False  # a final result went out (or the session failed)
        self.closing = False  # the client is gone: stop polling
        self.poller: Optional[asyncio.Task] = None
        self.loop = asyncio.get_running_loop()

    async def call(self, function: Any, *args: Any) -> Any:
        return await self.loop.run_in_executor(None, function, *args)

    async def frame(self, raw: str) -> None:
        body = envelope.decode_body(raw.encode("utf-8"))
        if self.handle is None:
            await self.create(body)
        if self.finished:
            return  # the loader ignores frames after the final result
        parts = envelope.parse_payload(body, required=False)
        if parts:
            await self.write(parts)

    async def create(self, body: Dict[str, Any]) -> None:
        envelope.check_header(body)
        params, self.expected = envelope.parse_parameter(body, self.plugin.service_id)
        params["sid"] = self.sid
        self.context = dataclasses.replace(self.plugin.context, params=params)
        wrapper = self.context.wrapper
        try:
            created, _ = await self.call(
                phases.guarded,
                "wrapperCreate",
                self.context.timeout,
                lambda: calling.call_flexibly(
                    wrapper.wrapperCreate, [("params", params), ("sid", self.sid), ("persId", 0), ("usrTag", self.sid)]
                ),
            )
        except phases.PhaseFailed as failure:
            raise failure_refusal(phases.serving_failure(self.context, failure)) from None
        handle, code = calling.session_handle(created)
        if code or not handle:
            refused = phases.PhaseFailed("wrapperCreate", "returned %r: no session handle" % (created,))
            raise failure_refusal(phases.serving_failure(self.context, refused, created=created))
        self.handle = handle
        await self.ws.send_json({"header": {"code": 0, "message": "success", "sid": self.sid, "status": 0}})
        self.poller = asyncio.ensure_future(self.poll())

    async def write(self, parts: List[envelope.Part]) -> None:
        frame = DataListCls(
            [
                DataListNode(
                    part.sample.key, part.sample.data, len(part.sample.data), part.sample.data_type, part.status
                )
                for part in parts
            ]
        )
        wrapper = self.context.wrapper
        try:
            result, _ = await self.call(
                phases.guarded,
                "wrapperWrite",
                self.context.timeout,
                lambda: calling.call_flexibly(
                    wrapper.wrapperWrite, [("handle", self.handle), ("reqData", frame), ("sid", self.sid)]
                ),
            )
        except phases.PhaseFailed as failure:
            raise failure_refusal(phases.serving_failure(self.context, failure)) from None
        try:
            phases.expect_zero("wrapperWrite", wrapper, result)
        except phases.PhaseFailed as failure:
            raise failure_refusal(phases.serving_failure(self.context, failure, code=result)) from None

    async def poll(self) -> None:
        arrivals = self.plugin.collector.queue_for(self.sid)
        reads = "wrapperRead" in self.context.declarations.methods
        try:
            while not self.finished and not self.closing:
                fresh: List[Any] = []
                self.finished = await self.call(
                    phases.gather_results, self.context, arrivals, fresh, self.handle, self.sid, reads, POLL_SECONDS
                )
                self.plugin.collector.check_threads("results")
                for node in fresh:
                    envelope.check_outputs([node], self.expected, self.plugin.service_id)
                    await self.ws.send_json(envelope.success(self.sid, int(node.status), [node], self.expected))
        except phases.PhaseFailed as failure:
            await self.fail(failure_refusal(failure))
        except Refusal as refusal:
            await self.fail(refusal)
        finally:
            self.finished = True
            await self.destroy()

    async def destroy(self) -> None:
        if self.handle is None:
            return
        handle, self.handle = self.handle, None
        wrapper = self.context.wrapper
        try:
            await self.call(
                phases.guarded,
                "wrapperDestroy",
                self.context.timeout,
                lambda: calling.call_flexibly(wrapper.wrapperDestroy, [("handle", handle)]),
            )
        except phases.PhaseFailed:
            pass  # the loader logs a failed Destroy; the client has its results

    async def fail(self, refusal: Refusal) -> None:
        if not self.ws.closed:
            await self.ws.send_json(envelope.error(refusal.code, refusal.message, self.sid, refusal.hint))
            await self.ws.close()


async def session(request: web.Request) -> web.StreamResponse:
    plugin: Plugin = request.app["plugin"]
    ws = web.WebSocketResponse()
    if not ws.can_prepare(request).ok:
        return refused(
            Refusal(
                envelope.INVALID_INPUT,
                "websocket required",
                "this is a session plugin: the loader serves it as a websocket on GET %s" % plugin.route,
                400,
            ),
            None,
        )
    await ws.prepare(request)
    state = Session(plugin, ws)
    try:
        while not ws.closed:
            try:
                message = await ws.receive(timeout=READ_TIMEOUT)
            except asyncio.TimeoutError:
                # the loader's read timeout (docs/how-to/deploy-to-loader.md#admission)
                await ws.close(message=b"time out")
                break
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
            if message.type != WSMsgType.TEXT:
                await state.fail(Refusal(envelope.INVALID_INPUT, "invalid frame", "send each frame as JSON text"))
                break
            try:
                await state.frame(message.data)
            except Refusal as refusal:
                await state.fail(refusal)
                break
    finally:
        if state.poller is not None:
            state.closing = True
            await asyncio.gather(state.poller, return_exceptions=True)
        await state.destroy()
    return ws
