"""Message classes and rpc tables, built at run time from the descriptor set compiled from ``protos/``.

Why not generated ``*_pb2.py`` modules: they are tied to the protobuf version that generated them,
while a plugin image may carry any protobuf from 3.20 to today. The ``.proto`` files stay the single
source of the wire format; ``helpers/sync_descriptors.py`` compiles them with protoc into
``protos/descriptor_set.py`` (a drift test keeps it current), and this module loads that set into a
private descriptor pool with protobuf's own API, which every supported version has.
"""

import binascii
import functools
import typing
from typing import Any, Dict, NamedTuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from aiges.grpc.protos import descriptor_set


class MessageClass(typing.Protocol):
    """A message class made at run time from the descriptor set, so its fields are unknown to a type checker:
    built with keyword fields, parsed and serialized by the transports, its enum values read by name."""

    def __call__(self, **fields: Any) -> Any: ...

    def FromString(self, data: bytes) -> Any: ...  # noqa: N802 (protobuf's name)

    def SerializeToString(self, message: Any) -> bytes: ...  # noqa: N802 (unbound: the class's own method)

    def __getattr__(self, name: str) -> Any: ...  # enum values, e.g. HealthCheckResponse.SERVING


class Method(NamedTuple):
    """One rpc: its full path and the message classes on each side."""

    path: str  # "/aiges.WrapperService/wrapperInit"
    name: str
    request: MessageClass
    response: MessageClass
    client_streaming: bool
    server_streaming: bool


class Protocol(NamedTuple):
    """Everything loaded from the protos: message classes by full name, rpcs by service."""

    messages: Dict[str, MessageClass]  # "aiges.Response" -> class
    services: Dict[str, Dict[str, Method]]  # "aiges.WrapperService" -> {"wrapperInit": Method}


def serialized_set() -> bytes:
    """The compiled ``FileDescriptorSet`` (imports included), as protoc wrote it."""
    return binascii.a2b_base64("".join(descriptor_set.DATA))


def _message_class(pool: descriptor_pool.DescriptorPool, descriptor: object) -> MessageClass:
    """``GetMessageClass`` (protobuf >= 4.21) or ``MessageFactory.GetPrototype`` (3.20)."""
    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is not None:
        return get_class(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


@functools.cache
def protocol() -> Protocol:
    """Load the protocol once per process (a private pool: no clash with generated modules)."""
    files = descriptor_pb2.FileDescriptorSet.FromString(serialized_set()).file
    pool = descriptor_pool.DescriptorPool()
    for file in files:  # protoc writes dependencies first
        pool.Add(file)
    messages: Dict[str, MessageClass] = {}
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
                method.name: Method(
                    "/%s/%s" % (full, method.name),
                    method.name,
                    messages[method.input_type.lstrip(".")],
                    messages[method.output_type.lstrip(".")],
                    bool(method.client_streaming),
                    bool(method.server_streaming),
                )
                for method in service.method
            }
    return Protocol(messages, services)


def message(full_name: str) -> MessageClass:
    """The class of message ``full_name``, e.g. ``message("aiges.Response")``."""
    return protocol().messages[full_name]


def service(full_name: str) -> Dict[str, Method]:
    """The rpcs of service ``full_name``, e.g. ``service("aiges.WrapperService")``."""
    return protocol().services[full_name]
