"""The loader's side of WidgetPy's reverse channel: a grpcio ``CallbackService`` on a unix socket that records
every call (path, request bytes, metadata) and answers each rpc with the code a test chose."""

import threading
from concurrent import futures
from typing import Dict, List, NamedTuple, Optional, Tuple

import grpc

SERVICE = "aiges.wrapper.CallbackService"
RPCS = ("MeterCustom", "MeterCustomEx", "TraceLog", "MetricsLog", "UpdateLbExtra", "EventLog", "AsyncCallback")


class Received(NamedTuple):
    rpc: str
    request: bytes
    metadata: Tuple[Tuple[str, str], ...]


def _callback_response(code: int) -> bytes:
    """CallbackResponse{code} by hand (field 1, varint): the fake loader needs no message classes."""
    if not code:
        return b""
    value = code & 0xFFFFFFFFFFFFFFFF
    out = bytearray(b"\x08")
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


class FakeLoader:
    def __init__(self, path: str, codes: Optional[Dict[str, int]] = None) -> None:
        self.path = path
        self.codes = dict(codes or {})
        self.received: List[Received] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handlers = {rpc: grpc.unary_unary_rpc_method_handler(self._handler(rpc)) for rpc in RPCS}
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        self.server.add_insecure_port("unix:" + path)

    def _handler(self, rpc: str):
        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            metadata = tuple(
                (item.key, item.value) for item in context.invocation_metadata() if not item.key.startswith(":")
            )
            with self._changed:
                self.received.append(Received(rpc, request, metadata))
                self._changed.notify_all()
            return _callback_response(self.codes.get(rpc, 0))

        return handle

    def wait_for(self, count: int, timeout: float = 10.0) -> List[Received]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def __enter__(self) -> "FakeLoader":
        self.server.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.stop(0)
