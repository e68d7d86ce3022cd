"""A small ``.proto`` reader: proto3 text -> ``descriptor_pb2.FileDescriptorProto``.

Why: the ``.proto`` files beside this module are the single source of the wire format, and the
runtime must not depend on protoc, grpcio-tools or generated ``*_pb2.py`` files (which pin a
protobuf version). The subset understood is what plugin protocols use: ``syntax``, ``package``,
``import``, ``option`` (ignored), messages (nested), enums, scalar/message/enum/``repeated``/
``map<,>`` fields, ``reserved``, and services with (server/client) streaming rpcs. Anything else
(``oneof``, ``optional``, extensions, groups) is rejected with the file and line.
"""
import re
from typing import Dict, Iterator, List, NoReturn, Optional, Tuple

from google.protobuf import descriptor_pb2

_F = descriptor_pb2.FieldDescriptorProto
SCALARS: Dict[str, int] = {
    "double": _F.TYPE_DOUBLE, "float": _F.TYPE_FLOAT, "int64": _F.TYPE_INT64, "uint64": _F.TYPE_UINT64,
    "int32": _F.TYPE_INT32, "fixed64": _F.TYPE_FIXED64, "fixed32": _F.TYPE_FIXED32, "bool": _F.TYPE_BOOL,
    "string": _F.TYPE_STRING, "bytes": _F.TYPE_BYTES, "uint32": _F.TYPE_UINT32, "sfixed32": _F.TYPE_SFIXED32,
    "sfixed64": _F.TYPE_SFIXED64, "sint32": _F.TYPE_SINT32, "sint64": _F.TYPE_SINT64,
}
_TOKEN = re.compile(r"""
    (?P<space>\s+) | (?P<comment>//[^\n]*|/\*.*?\*/) |
    (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*') |
    (?P<number>-?(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)) |
    (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) |
    (?P<symbol>[{}\[\]()<>;=,:])
""", re.VERBOSE | re.DOTALL)


class ProtoSyntaxError(ValueError):
    """The file uses syntax outside the supported subset, or is malformed."""


class _Tokens:
    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.items: List[Tuple[str, str, int]] = list(_tokenize(text, filename))
        self.index = 0

    def peek(self) -> str:
        return self.items[self.index][1] if self.index < len(self.items) else ""

    def next(self) -> str:
        if self.index >= len(self.items):
            raise ProtoSyntaxError("%s: unexpected end of file" % self.filename)
        value = self.items[self.index][1]
        self.index += 1
        return value

    def expect(self, value: str) -> None:
        got = self.next()
        if got != value:
            self.fail("expected %r, found %r" % (value, got), back=1)

    def accept(self, value: str) -> bool:
        if self.peek() == value:
            self.index += 1
            return True
        return False

    def kind(self) -> str:
        return self.items[self.index][0] if self.index < len(self.items) else ""

    def fail(self, message: str, back: int = 0) -> NoReturn:
        position = max(0, min(self.index - back, len(self.items) - 1))
        line = self.items[position][2] if self.items else 1
        raise ProtoSyntaxError("%s:%d: %s" % (self.filename, line, message))


def _tokenize(text: str, filename: str) -> Iterator[Tuple[str, str, int]]:
    position, line = 0, 1
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ProtoSyntaxError("%s:%d: unexpected character %r" % (filename, line, text[position]))
        kind = match.lastgroup or ""
        value = match.group()
        if kind not in ("space", "comment"):
            yield kind, value, line
        line += value.count("\n")
        position = match.end()


def parse(text: str, filename: str) -> descriptor_pb2.FileDescriptorProto:
    """Parse one ``.proto`` file. Type names stay as written; :func:`resolve` qualifies them."""
    tokens = _Tokens(text, filename)
    result = descriptor_pb2.FileDescriptorProto(name=filename, syntax="proto3")
    while tokens.peek():
        word = tokens.next()
        if word == "syntax":
            tokens.expect("=")
            syntax = tokens.next().strip("\"'")
            if syntax != "proto3":
                tokens.fail("only proto3 files are supported, not %r" % syntax, back=1)
            tokens.expect(";")
        elif word == "package":
            result.package = tokens.next()
            tokens.expect(";")
        elif word == "import":
            if tokens.peek() in ("public", "weak"):
                tokens.next()
            result.dependency.append(tokens.next().strip("\"'"))
            tokens.expect(";")
        elif word == "option":
            _skip_statement(tokens)
        elif word == "message":
            result.message_type.add().CopyFrom(_message(tokens))
        elif word == "enum":
            result.enum_type.add().CopyFrom(_enum(tokens))
        elif word == "service":
            result.service.add().CopyFrom(_service(tokens))
        elif word == ";":
            continue
        else:
            tokens.fail("unsupported top-level statement %r" % word, back=1)
    return result


def _skip_statement(tokens: _Tokens) -> None:
    """Skip an option (or reserved) statement up to its ``;``, including ``{...}`` aggregate values."""
    depth = 0
    while True:
        token = tokens.next()
        if token == "{":  # noqa: S105 - proto punctuation, not a password
            depth += 1
        elif token == "}":  # noqa: S105
            depth -= 1
        elif token == ";" and depth == 0:  # noqa: S105
            return


def _skip_brackets(tokens: _Tokens) -> None:
    """Skip ``[ field options ]``."""
    depth = 1
    while depth:
        token = tokens.next()
        depth += {"[": 1, "]": -1}.get(token, 0)


def _message(tokens: _Tokens) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=tokens.next())
    tokens.expect("{")
    while not tokens.accept("}"):
        word = tokens.peek()
        if word == "message":
            tokens.next()
            message.nested_type.add().CopyFrom(_message(tokens))
        elif word == "enum":
            tokens.next()
            message.enum_type.add().CopyFrom(_enum(tokens))
        elif word in ("option", "reserved"):
            tokens.next()
            _skip_statement(tokens)
        elif word == ";":
            tokens.next()
        elif word == "map":
            _map_field(tokens, message)
        elif word in ("oneof", "extensions", "extend", "optional", "required", "group"):
            tokens.fail("%r is not supported by this reader" % word)
        else:
            _field(tokens, message)
    return message


def _field(tokens: _Tokens, message: descriptor_pb2.DescriptorProto) -> None:
    label = _F.LABEL_OPTIONAL
    if tokens.accept("repeated"):
        label = _F.LABEL_REPEATED
    if tokens.kind() != "ident":
        tokens.fail("expected a field type, found %r" % tokens.peek())
    type_name = tokens.next()
    field = message.field.add(name=tokens.next(), label=label)
    _set_type(field, type_name)
    tokens.expect("=")
    field.number = _integer(tokens)
    if tokens.accept("["):
        _skip_brackets(tokens)
    tokens.expect(";")


def _map_field(tokens: _Tokens, message: descriptor_pb2.DescriptorProto) -> None:
    tokens.expect("map")
    tokens.expect("<")
    key_type = tokens.next()
    tokens.expect(",")
    value_type = tokens.next()
    tokens.expect(">")
    name = tokens.next()
    tokens.expect("=")
    number = _integer(tokens)
    if tokens.accept("["):
        _skip_brackets(tokens)
    tokens.expect(";")
    if key_type not in SCALARS or key_type in ("double", "float", "bytes"):
        tokens.fail("map key type %r is not allowed" % key_type, back=1)
    entry = message.nested_type.add(name=_camel(name) + "Entry")
    entry.options.map_entry = True
    _set_type(entry.field.add(name="key", number=1, label=_F.LABEL_OPTIONAL), key_type)
    _set_type(entry.field.add(name="value", number=2, label=_F.LABEL_OPTIONAL), value_type)
    message.field.add(name=name, number=number, label=_F.LABEL_REPEATED, type=_F.TYPE_MESSAGE,
                      type_name=entry.name)


def _camel(name: str) -> str:
    """protoc's map entry naming: ``my_map`` -> ``MyMap``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _set_type(field: descriptor_pb2.FieldDescriptorProto, type_name: str) -> None:
    if type_name in SCALARS:
        field.type = SCALARS[type_name]  # type: ignore[assignment]
    else:
        field.type_name = type_name  # message or enum: decided by resolve()


def _integer(tokens: _Tokens) -> int:
    token = tokens.next()
    try:
        return int(token, 0)
    except ValueError:
        tokens.fail("expected a number, found %r" % token, back=1)


def _enum(tokens: _Tokens) -> descriptor_pb2.EnumDescriptorProto:
    enum = descriptor_pb2.EnumDescriptorProto(name=tokens.next())
    tokens.expect("{")
    while not tokens.accept("}"):
        word = tokens.next()
        if word in ("option", "reserved"):
            _skip_statement(tokens)
        elif word == ";":
            continue
        else:
            tokens.expect("=")
            enum.value.add(name=word, number=_integer(tokens))
            if tokens.accept("["):
                _skip_brackets(tokens)
            tokens.expect(";")
    return enum


def _service(tokens: _Tokens) -> descriptor_pb2.ServiceDescriptorProto:
    service = descriptor_pb2.ServiceDescriptorProto(name=tokens.next())
    tokens.expect("{")
    while not tokens.accept("}"):
        word = tokens.next()
        if word == "option":
            _skip_statement(tokens)
        elif word == ";":
            continue
        elif word == "rpc":
            method = service.method.add(name=tokens.next())
            tokens.expect("(")
            method.client_streaming = tokens.accept("stream")
            method.input_type = tokens.next()
            tokens.expect(")")
            tokens.expect("returns")
            tokens.expect("(")
            method.server_streaming = tokens.accept("stream")
            method.output_type = tokens.next()
            tokens.expect(")")
            if tokens.accept("{"):
                while not tokens.accept("}"):
                    if tokens.next() == "option":
                        _skip_statement(tokens)
            else:
                tokens.expect(";")
        else:
            tokens.fail("unsupported service statement %r" % word, back=1)
    return service


def resolve(files: List[descriptor_pb2.FileDescriptorProto]) -> None:
    """Qualify every type reference (``.pkg.Msg``) with protobuf's scoping rules, in place.

    ``files`` must contain each file's dependencies; an unknown name raises ProtoSyntaxError.
    """
    kinds: Dict[str, int] = {}
    for file in files:
        prefix = "." + file.package if file.package else ""
        for message in file.message_type:
            _collect(message, prefix, kinds)
        for enum in file.enum_type:
            kinds[prefix + "." + enum.name] = _F.TYPE_ENUM
    for file in files:
        scope = "." + file.package if file.package else ""
        for message in file.message_type:
            _resolve_message(message, scope, kinds, file.name)
        for service in file.service:
            for method in service.method:
                method.input_type = _lookup(method.input_type, scope, kinds, file.name, want_message=True)
                method.output_type = _lookup(method.output_type, scope, kinds, file.name, want_message=True)


def _collect(message: descriptor_pb2.DescriptorProto, prefix: str, kinds: Dict[str, int]) -> None:
    full = prefix + "." + message.name
    kinds[full] = _F.TYPE_MESSAGE
    for nested in message.nested_type:
        _collect(nested, full, kinds)
    for enum in message.enum_type:
        kinds[full + "." + enum.name] = _F.TYPE_ENUM


def _resolve_message(message: descriptor_pb2.DescriptorProto, scope: str, kinds: Dict[str, int],
                     filename: str) -> None:
    inner = scope + "." + message.name
    for field in message.field:
        if field.type_name:
            field.type_name = _lookup(field.type_name, inner, kinds, filename)
            field.type = kinds[field.type_name]  # type: ignore[assignment]
    for nested in message.nested_type:
        _resolve_message(nested, inner, kinds, filename)


def _lookup(name: str, scope: str, kinds: Dict[str, int], filename: str, want_message: bool = False) -> str:
    if name.startswith("."):
        candidates = [name]
    else:
        candidates = []
        parts = scope.split(".") if scope else [""]
        while parts:
            candidates.append(".".join(parts) + "." + name)
            parts = parts[:-1]
    for candidate in candidates:
        found: Optional[int] = kinds.get(candidate)
        if found is not None and (not want_message or found == _F.TYPE_MESSAGE):
            return candidate
    raise ProtoSyntaxError("%s: unknown type %r (looked for %s)" % (filename, name, ", ".join(candidates)))
