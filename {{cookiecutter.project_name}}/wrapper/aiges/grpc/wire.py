"""Message classes and rpc tables, built at run time from the ``.proto`` files in ``protos/``.

Why at run time: generated ``*_pb2.py`` modules are tied to the protobuf version that generated
them, while a plugin image may carry any protobuf from 3.20 to today. Parsing the protos into a
private descriptor pool works with all of them and keeps the ``.proto`` files the single source of
the wire format (the server, the tests' fake loader and the benchmarks all load them from here).
"""
import functools
import os
from typing import Dict, List, NamedTuple, Tuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from aiges.grpc import protoparse

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "protos")
PROTO_FILES = ("aiges_inner.proto", "health.proto", "grpc_stdio.proto", "grpc_controller.proto",
               "grpc_broker.proto")


class Method(NamedTuple):
    """One rpc: its full path and the message classes on each side."""

    path: str  # "/aiges.WrapperService/wrapperInit"
    name: str
    request: type
    response: type
    client_streaming: bool
    server_streaming: bool


class Protocol(NamedTuple):
    """Everything loaded from the protos: message classes by full name, rpcs by service."""

    messages: Dict[str, type]  # "aiges.Response" -> class
    services: Dict[str, Dict[str, Method]]  # "aiges.WrapperService" -> {"wrapperInit": Method}


def _load_files(names: Tuple[str, ...]) -> List[descriptor_pb2.FileDescriptorProto]:
    """Parse ``names`` and their imports, dependencies first."""
    ordered: List[descriptor_pb2.FileDescriptorProto] = []
    seen: Dict[str, bool] = {}

    def visit(name: str) -> None:
        if name in seen:
            if not seen[name]:
                raise protoparse.ProtoSyntaxError("import cycle through %s" % name)
            return
        seen[name] = False
        path = os.path.join(PROTO_DIR, *name.split("/"))
        with open(path, encoding="utf-8") as source:
            parsed = protoparse.parse(source.read(), name)
        for dependency in parsed.dependency:
            visit(dependency)
        seen[name] = True
        ordered.append(parsed)

    for name in names:
        visit(name)
    return ordered


def _message_class(pool: descriptor_pool.DescriptorPool, descriptor: object) -> type:
    """``GetMessageClass`` (protobuf >= 4.22) or ``MessageFactory.GetPrototype`` (older)."""
    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is not None:
        return get_class(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)  # type: ignore[attr-defined]


@functools.cache
def protocol(names: Tuple[str, ...] = PROTO_FILES) -> Protocol:
    """Load the protocol once per process (a private pool: no clash with generated modules)."""
    files = _load_files(names)
    protoparse.resolve(files)
    pool = descriptor_pool.DescriptorPool()
    for file in files:
        pool.AddSerializedFile(file.SerializeToString())
    messages: Dict[str, type] = {}
    services: Dict[str, Dict[str, Method]] = {}
    for file in files:
        prefix = file.package + "." if file.package else ""
        for message in file.message_type:
            full = prefix + message.name
            messages[full] = _message_class(pool, pool.FindMessageTypeByName(full))
    for file in files:
        prefix = file.package + "." if file.package else ""
        for service in file.service:
            full = prefix + service.name
            services[full] = {
                method.name: Method("/%s/%s" % (full, method.name), method.name,
                                    messages[method.input_type.lstrip(".")],
                                    messages[method.output_type.lstrip(".")],
                                    bool(method.client_streaming), bool(method.server_streaming))
                for method in service.method}
    return Protocol(messages, services)


def message(full_name: str) -> type:
    """The class of message ``full_name``, e.g. ``message("aiges.Response")``."""
    return protocol().messages[full_name]


def service(full_name: str) -> Dict[str, Method]:
    """The rpcs of service ``full_name``, e.g. ``service("aiges.WrapperService")``."""
    return protocol().services[full_name]
