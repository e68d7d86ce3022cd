"""The floor: a bare grpcio server speaking the same protocol with the least possible work.

Same ``.proto`` (loaded by ``aiges.grpc.wire``), same pattern as the loader expects (the unary
``wrapperOnceExec`` answers empty and the result goes out on ``communicate``), a trivial echo in
place of a wrapper, a plain synchronous ``grpc.server``. No plugin can beat this by much; it tells
how much of our latency is gRPC-in-Python itself.
"""

import os
import queue
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import grpc
from aiges.grpc import wire


def _handlers(methods: dict, behaviours: dict) -> Any:
    kinds = {(False, False): grpc.unary_unary_rpc_method_handler, (True, True): grpc.stream_stream_rpc_method_handler}
    return {
        name: kinds[(methods[name].client_streaming, methods[name].server_streaming)](
            function,
            request_deserializer=methods[name].request.FromString,
            response_serializer=methods[name].response.SerializeToString,
        )
        for name, function in behaviours.items()
    }


def main() -> int:
    messages = wire.protocol().messages
    response, response_data = messages["aiges.Response"], messages["aiges.ResponseData"]
    results: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()

    fillers: dict = {}

    def once(request: Any, context: Any) -> Any:
        data = request.list[0].data
        if request.params.get("reply") == "size":  # the trivial wrapper's two other answers
            data = str(len(data)).encode()
        elif request.params.get("reply_bytes"):
            size = int(request.params["reply_bytes"])
            data = fillers.setdefault(size, b"r" * size)
        results.put(response(tag=request.tag, list=[response_data(key="out", data=data, len=len(data), status=3)]))
        return response()

    def communicate(requests: Any, context: Any) -> Iterator[Any]:
        while True:
            yield results.get()

    health = messages["grpc.health.v1.HealthCheckResponse"]
    service = wire.service("aiges.WrapperService")
    server = grpc.server(
        ThreadPoolExecutor(max_workers=8),
        options=[
            ("grpc.max_receive_message_length", 256 << 20),
            ("grpc.max_send_message_length", 256 << 20),
            ("grpc.so_reuseport", 0),
        ],
    )
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "aiges.WrapperService",
                _handlers(
                    service,
                    {
                        "wrapperInit": lambda request, context: messages["aiges.Ret"](ret=0),
                        "wrapperSchema": lambda request, context: messages["aiges.Schema"](
                            data='{"meta": {"serviceId": "floor"}}'
                        ),
                        "wrapperOnceExec": once,
                        "communicate": communicate,
                    },
                ),
            ),
            grpc.method_handlers_generic_handler(
                "grpc.health.v1.Health",
                _handlers(
                    wire.service("grpc.health.v1.Health"),
                    {"Check": lambda request, context: health(status=health.SERVING)},
                ),
            ),
            grpc.method_handlers_generic_handler(
                "plugin.GRPCController",
                _handlers(
                    wire.service("plugin.GRPCController"),
                    {"Shutdown": lambda request, context: stop.set() or messages["plugin.Empty"]()},
                ),
            ),
        ]
    )
    low, high = int(os.environ.get("PLUGIN_MIN_PORT", "0")), int(os.environ.get("PLUGIN_MAX_PORT", "0"))
    port = 0
    for candidate in range(low, high + 1) if low else [0]:
        try:
            port = server.add_insecure_port("127.0.0.1:%d" % candidate)
        except RuntimeError:
            continue
        if port:
            break
    server.start()
    sys.stdout.write("1|1|tcp|127.0.0.1:%d|grpc\n" % port)
    sys.stdout.flush()
    stop.wait()
    server.stop(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
