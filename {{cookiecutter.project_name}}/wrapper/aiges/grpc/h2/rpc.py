"""gRPC over our HTTP/2 connections: requests in, handlers called, messages and status out.

Handlers have grpcio's shape (``behaviour(request_or_iterator, context)``, returning a message or
yielding messages), so one set of services runs on either transport. Where they run:

- unary calls marked ``inline`` (they only queue work, e.g. ``wrapperOnceExec``) run on the
  connection's reader thread: no thread hop between a request arriving and its answer leaving;
- other unary calls run on a thread pool (they may wait for a wrapper worker);
- streaming calls get a thread each (the loader keeps a handful open for the plugin's life).

A failing handler ends its call with a status (grpcio's texts), never the connection.
"""

import logging
import queue
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

from aiges.grpc import status
from aiges.grpc.h2 import hpack
from aiges.grpc.h2.connection import Connection, Handler, Stream

log = logging.getLogger("aiges.serve")

_PREFIX = struct.Struct(">BI")
SPLIT_FROM = 16384  # messages from this size on are framed without a copy (16384: HTTP/2's smallest max frame)
RESPONSE_HEADERS = hpack.encode([(":status", "200"), ("content-type", "application/grpc")])
OK_TRAILERS = hpack.encode([("grpc-status", "0")])
OK_TRAILERS_ONLY = hpack.encode([(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "0")])
_END = object()
READY_TIMEOUT = 120.0


class Rpc(NamedTuple):
    """One method as the transport serves it."""

    path: str  # "/aiges.WrapperService/wrapperOnceExec"
    client_streaming: bool
    server_streaming: bool
    decode: Callable[[bytes], Any]
    encode: Callable[[Any], bytes]
    behaviour: Callable[..., Any]
    inline: bool = False  # never blocks: may run on the reader thread


def frame_message(payload: bytes) -> Union[bytes, List[Any]]:
    """A gRPC message: its 5-byte prefix and the payload. A large payload is not copied to add the
    prefix: the first frame's worth is (prefix and the payload's first bytes), the rest goes as a view."""
    if len(payload) < SPLIT_FROM:
        return _PREFIX.pack(0, len(payload)) + payload
    return [_PREFIX.pack(0, len(payload)) + payload[: SPLIT_FROM - 5], memoryview(payload)[SPLIT_FROM - 5 :]]


def _percent_encode(text: str) -> str:
    """grpc-message encoding: UTF-8, then %XX for bytes outside printable ASCII and for '%'."""
    raw = text.encode("utf-8", "replace")
    return "".join(chr(byte) if 0x20 <= byte <= 0x7E and byte != 0x25 else "%%%02X" % byte for byte in raw)


def trailers(code: int, details: str, headers_sent: bool) -> bytes:
    fields: List[Tuple[str, str]] = [] if headers_sent else [(":status", "200"), ("content-type", "application/grpc")]
    fields.append(("grpc-status", str(code)))
    if details:
        fields.append(("grpc-message", _percent_encode(details[:8192])))
    return hpack.encode(fields)


class Call:
    """One RPC in flight; also the ``context`` handlers receive (the part of grpcio's API we use)."""

    def __init__(
        self, connection: Connection, stream: Stream, rpc: Rpc, encoding: str, headers: List[Tuple[str, str]]
    ) -> None:
        self.connection = connection
        self.stream = stream
        self.rpc = rpc
        self.encoding = encoding
        self.headers = headers
        self.head = bytearray()  # a message prefix split between DATA frames (rare)
        self.partial: Optional[bytearray] = None  # a message arriving in pieces, made to its size up front
        self.filled = 0  # bytes of ``partial`` received so far
        self.flag = 0  # ``partial``'s compressed flag
        self.messages: List[Union[bytes, bytearray]] = []  # unary: the request, once complete
        self.requests: Optional[queue.SimpleQueue[Any]] = None  # client streaming: decoded requests
        self.headers_sent = False
        self.finished = False
        self.cancelled = False
        self._callbacks: List[Callable[[], None]] = []
        self._lock = threading.Lock()

    # --- the context API --------------------------------------------------------------------------------
    def add_callback(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` when the call ends; False (and not registered) when it already has."""
        with self._lock:
            if self.finished:
                return False
            self._callbacks.append(callback)
            return True

    def is_active(self) -> bool:
        return not self.finished

    def abort(self, code: int, details: str) -> None:
        raise status.Abort(code, details)

    def invocation_metadata(self) -> List[Tuple[str, str]]:
        return [(name, value) for name, value in self.headers if not name.startswith(":")]

    def peer(self) -> str:
        try:
            host, port = self.connection.sock.getpeername()[:2]
            return "ipv4:%s:%d" % (host, port)
        except OSError:
            return ""

    # --- sending ----------------------------------------------------------------------------------------
    def send_message(self, payload: bytes, dropped: Optional[Callable[[], None]] = None) -> bool:
        """One message of a streaming response (the response headers go first, once)."""
        return self.connection.send(self.stream, RESPONSE_HEADERS, frame_message(payload), None, dropped=dropped)

    def send_response(self, message: Any, requeue: Optional[Callable[[Any], None]] = None) -> bool:
        """Send one message of a streaming response now, from any thread; False once the call has
        ended (the outbox then routes the message elsewhere). When the stream ends before the
        message has wholly left (it may wait for the peer's window), ``requeue(message)`` is called."""
        if self.finished:
            return False
        return self.send_message(self.rpc.encode(message), None if requeue is None else lambda: requeue(message))

    def respond(self, payload: bytes) -> None:
        """The whole answer of a unary call: headers, message and OK trailers in one write."""
        self.connection.send(self.stream, RESPONSE_HEADERS, frame_message(payload), OK_TRAILERS)
        self._end()

    def finish(self, code: int = status.OK, details: str = "") -> None:
        """End the call with a status: trailers, or gRPC's Trailers-Only response when nothing was sent."""
        if self.finished:
            return
        if code == status.OK:
            self.connection.send(self.stream, None, None, OK_TRAILERS, trailers_only=OK_TRAILERS_ONLY)
        else:
            self.connection.send(
                self.stream, None, None, trailers(code, details, True), trailers_only=trailers(code, details, False)
            )
        self._end()

    def cancel(self) -> None:
        """The client reset the stream or the connection ended."""
        self.cancelled = True
        if self.requests is not None:
            self.requests.put(_END)
        self._end()

    def _end(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.finished = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("error in a call's end callback")

    def request_iterator(self) -> Iterator[Any]:
        assert self.requests is not None
        requests = self.requests
        while True:
            item = requests.get()
            if item is _END:
                return
            yield item
            del item  # not kept alive while the next is awaited


class Router(Handler):
    """The HTTP/2 ``Handler`` that serves a table of :class:`Rpc` by path."""

    def __init__(self, max_message_bytes: int, pool_threads: int = 64) -> None:
        self.max_message_bytes = max_message_bytes
        self._rpcs: Dict[str, Rpc] = {}
        self._ready = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=pool_threads, thread_name_prefix="aiges-rpc")

    def install(self, rpcs: Dict[str, Rpc]) -> None:
        """Start serving ``rpcs``; calls that arrived earlier were waiting for this."""
        self._rpcs = dict(rpcs)
        self._ready.set()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False)

    # --- Handler ----------------------------------------------------------------------------------------
    def on_headers(
        self, connection: Connection, stream: Stream, headers: List[Tuple[str, str]], end_stream: bool
    ) -> None:
        fields = dict(headers)
        path = fields.get(":path", "")
        if fields.get(":method") != "POST":
            self._refuse(
                connection, stream, "405", status.INTERNAL, "gRPC requires POST, not %s" % fields.get(":method")
            )
            return
        content_type = fields.get("content-type", "")
        if not content_type.startswith("application/grpc"):
            self._refuse(
                connection, stream, "415", status.INTERNAL, "invalid gRPC request content-type %r" % content_type
            )
            return
        if not self._ready.is_set():
            self._ready.wait(READY_TIMEOUT)
        rpc = self._rpcs.get(path)
        if rpc is None:
            self._refuse(connection, stream, "200", status.UNIMPLEMENTED, "Method not found: %s" % path)
            return
        call = stream.call = Call(connection, stream, rpc, fields.get("grpc-encoding", "identity"), headers)
        if rpc.client_streaming:
            call.requests = queue.SimpleQueue()
            self._start_thread(call, call.request_iterator())
        if end_stream:
            self._end_of_requests(call)

    def on_data(self, connection: Connection, stream: Stream, data: bytes, end_stream: bool) -> None:
        call = stream.call
        if call is None or call.finished:
            return
        if data and not self._take_messages(call, data):
            return
        if end_stream:
            self._end_of_requests(call)

    def on_reset(self, connection: Connection, stream: Stream) -> None:
        call = stream.call
        if call is not None:
            call.cancel()

    # --- requests ---------------------------------------------------------------------------------------
    def _take_messages(self, call: Call, data: bytes) -> bool:
        """Split length-prefixed messages out of the stream's bytes; False once the call has failed.

        A message that spans DATA frames (anything over 16 KB) is copied once, into a buffer made to
        its size when its prefix arrives; one inside a single frame is sliced out of it."""
        size = len(data)
        offset = 0
        while offset < size:
            partial = call.partial
            if partial is not None:
                take = min(size - offset, len(partial) - call.filled)
                partial[call.filled : call.filled + take] = memoryview(data)[offset : offset + take]
                call.filled += take
                offset += take
                if call.filled < len(partial):
                    return True
                call.partial = None
                if not self._deliver(call, call.flag, partial):
                    return False
                continue
            head = call.head
            if head or size - offset < 5:  # a prefix split between frames
                piece = data[offset : offset + 5 - len(head)]
                head += piece
                offset += len(piece)
                if len(head) < 5:
                    return True
                flag, length = _PREFIX.unpack_from(head, 0)
                head.clear()
            else:
                flag, length = _PREFIX.unpack_from(data, offset)
                offset += 5
            if length > self.max_message_bytes:
                self._fail(
                    call,
                    status.RESOURCE_EXHAUSTED,
                    "grpc: received message larger than max (%d vs. %d)" % (length, self.max_message_bytes),
                )
                return False
            if size - offset >= length:  # the whole message is in this frame
                payload = data[offset : offset + length]
                offset += length
                if not self._deliver(call, flag, payload):
                    return False
                continue
            call.partial, call.filled, call.flag = bytearray(length), 0, flag
        return True

    def _deliver(self, call: Call, flag: int, payload: Union[bytes, bytearray]) -> bool:
        if flag & 1:
            if call.encoding == "identity":
                self._fail(call, status.INTERNAL, "compressed flag set on a message without grpc-encoding")
                return False
            payload_or_none = self._decompress(call, payload)
            if payload_or_none is None:
                return False
            payload = payload_or_none
        if call.requests is None:
            if call.messages:
                self._fail(call, status.UNIMPLEMENTED, "a unary call got more than one request message")
                return False
            call.messages.append(payload)
            return True
        try:
            call.requests.put(_decode(call.rpc, payload))
        except Exception as error:  # noqa: BLE001 - a bad message fails its call only
            self._fail(call, status.INTERNAL, "cannot parse the request message: %s" % error)
            return False
        return True

    def _decompress(self, call: Call, payload: Union[bytes, bytearray]) -> Optional[bytes]:
        wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(call.encoding)
        if wbits is None:
            self._fail(
                call, status.UNIMPLEMENTED, "compression %r is not supported (use gzip or deflate)" % call.encoding
            )
            return None
        try:
            inflater = zlib.decompressobj(wbits)
            out = inflater.decompress(payload, self.max_message_bytes + 1)
        except zlib.error as error:
            self._fail(call, status.INTERNAL, "cannot decompress the request: %s" % error)
            return None
        if len(out) > self.max_message_bytes:
            self._fail(
                call,
                status.RESOURCE_EXHAUSTED,
                "grpc: received message after decompression larger than max %d" % self.max_message_bytes,
            )
            return None
        return out

    def _end_of_requests(self, call: Call) -> None:
        if call.requests is not None:
            call.requests.put(_END)
            return
        if len(call.messages) != 1:
            self._fail(call, status.UNIMPLEMENTED, "a unary call needs exactly one request message")
            return
        try:
            request = _decode(call.rpc, call.messages[0])
        except Exception as error:  # noqa: BLE001 - a bad message fails its call only
            self._fail(call, status.INTERNAL, "cannot parse the request message: %s" % error)
            return
        call.messages = []
        if call.rpc.server_streaming:
            self._start_thread(call, request)
        elif call.rpc.inline:
            _run_unary(call, request)
        else:
            self._pool.submit(_run_unary, call, request)

    # --- failures ---------------------------------------------------------------------------------------
    def _fail(self, call: Call, code: int, details: str) -> None:
        log.warning("%s failed: %s", call.rpc.path, details)
        call.finish(code, details)
        if call.requests is not None:
            call.requests.put(_END)

    @staticmethod
    def _refuse(connection: Connection, stream: Stream, http_status: str, code: int, details: str) -> None:
        block = hpack.encode(
            [
                (":status", http_status),
                ("content-type", "application/grpc"),
                ("grpc-status", str(code)),
                ("grpc-message", _percent_encode(details)),
            ]
        )
        connection.send(stream, None, None, block, trailers_only=block)

    def _start_thread(self, call: Call, argument: Any) -> None:
        threading.Thread(
            target=_run_streaming, args=(call, argument), daemon=True, name="aiges-stream-%d" % call.stream.id
        ).start()


def _decode(rpc: Rpc, payload: Union[bytes, bytearray]) -> Any:
    """A request message; one that arrived in pieces is a bytearray, which protobuf's upb and pure-Python
    parsers take as it is (older C++ builds want bytes: a copy for them only)."""
    try:
        return rpc.decode(payload)  # type: ignore[arg-type]
    except TypeError:
        if not isinstance(payload, bytearray):
            raise
        return rpc.decode(bytes(payload))


def _run_unary(call: Call, request: Any) -> None:
    try:
        response = call.rpc.behaviour(request, call)
        payload = call.rpc.encode(response)
    except status.Abort as abort:
        call.finish(abort.code, abort.details)
        return
    except Exception as error:
        log.exception("%s raised", call.rpc.path)
        call.finish(status.UNKNOWN, "Exception calling application: %s" % error)
        return
    call.respond(payload)


def _run_streaming(call: Call, argument: Any) -> None:
    """Body of a streaming call's thread: send what the handler yields, then the status."""
    code, details = status.OK, ""
    responses = None
    try:
        responses = call.rpc.behaviour(argument, call)
        if not call.rpc.server_streaming:
            if not call.finished:
                call.respond(call.rpc.encode(responses))
            return
        for response in responses:
            if call.finished or not call.send_message(call.rpc.encode(response)):
                break
    except status.Abort as abort:
        code, details = abort.code, abort.details
    except Exception as error:
        log.exception("%s raised", call.rpc.path)
        code, details = status.UNKNOWN, "Exception iterating responses: %s" % error
    finally:
        close = getattr(responses, "close", None)
        if close is not None and call.rpc.server_streaming:
            close()
    if not call.cancelled:
        call.finish(code, details)
