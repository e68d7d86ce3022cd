"""The wire format comes from the runtime's .proto files (through the descriptor set compiled from them and
checked in); conversions never let a bad wrapper answer through (unit level: no network)."""

import subprocess
import sys
from pathlib import Path

import pytest
from aiges.grpc import convert, wire
from aiges.grpc.callplans import plan
from conftest import plugin_env
from google.protobuf import descriptor_pb2


def test_every_loader_rpc_is_declared_with_the_loader_paths_and_streaming_kinds():
    methods = wire.service("aiges.WrapperService")
    assert {name: (m.path, m.client_streaming, m.server_streaming) for name, m in methods.items()} == {
        "wrapperInit": ("/aiges.WrapperService/wrapperInit", False, False),
        "wrapperOnceExec": ("/aiges.WrapperService/wrapperOnceExec", False, False),
        "wrapperSchema": ("/aiges.WrapperService/wrapperSchema", False, False),
        "wrapperCreate": ("/aiges.WrapperService/wrapperCreate", False, False),
        "wrapperWrite": ("/aiges.WrapperService/wrapperWrite", False, False),
        "wrapperDestroy": ("/aiges.WrapperService/wrapperDestroy", False, False),
        "testStream": ("/aiges.WrapperService/testStream", True, True),
        "communicate": ("/aiges.WrapperService/communicate", True, True),
    }
    assert wire.service("grpc.health.v1.Health")["Check"].path == "/grpc.health.v1.Health/Check"
    assert wire.service("plugin.GRPCController")["Shutdown"].path == "/plugin.GRPCController/Shutdown"
    assert wire.service("plugin.GRPCStdio")["StreamStdio"].server_streaming
    assert wire.service("plugin.GRPCBroker")["StartStream"].client_streaming


def test_messages_encode_byte_for_byte_as_the_loader_expects():
    # Hand-encoded protobuf: Response{tag="t" (1), ret=3 (2), list=[ResponseData{key="k" (1), len=2 (2),
    # type=1 (3), status=3 (4), desc={"a": "b"} (5), data="xy" (6)}]}
    item = b"\n\x01k\x10\x02\x18\x01\x20\x03*\x06\n\x01a\x12\x01b2\x02xy"
    expected = b"\n\x01t\x10\x03\x1a" + bytes([len(item)]) + item
    response = wire.message("aiges.Response")(
        tag="t",
        ret=3,
        list=[wire.message("aiges.ResponseData")(key="k", len=2, type=1, status=3, desc={"a": "b"}, data=b"xy")],
    )
    assert response.SerializeToString() == expected
    request = wire.message("aiges.Request").FromString(b"\n\x02s1\x12\x06\n\x01p\x12\x011")
    assert (request.tag, dict(request.params)) == ("s1", {"p": "1"})
    write = wire.message("aiges.WriteMessage")(handle="h", sid="s", req=request)
    assert wire.message("aiges.WriteMessage").FromString(write.SerializeToString()).req.tag == "s1"
    health = wire.message("grpc.health.v1.HealthCheckResponse")
    assert health(status=health.SERVING).SerializeToString() == b"\x08\x01"


def test_the_set_holds_every_proto_file_with_its_imports_dependencies_first():
    files = descriptor_pb2.FileDescriptorSet.FromString(wire.serialized_set()).file
    names = [f.name for f in files]
    protos = Path(wire.__file__).parent / "protos"
    assert set(names) == {p.name for p in protos.glob("*.proto")} | {"google/protobuf/empty.proto"}
    for position, file in enumerate(files):
        assert set(file.dependency) <= set(names[:position]), file.name
    assert {f.syntax for f in files} == {"proto3"}


def test_maps_nested_messages_and_enums_come_through_the_set():
    request = wire.message("aiges.Request")
    params = request.DESCRIPTOR.fields_by_name["params"]
    assert params.message_type.GetOptions().map_entry
    assert dict(request(params={"a": "1"}).params) == {"a": "1"}
    health = wire.message("grpc.health.v1.HealthCheckResponse")
    assert health.DESCRIPTOR.enum_types_by_name["ServingStatus"].values_by_name["SERVING"].number == 1


def test_loading_the_wire_format_reads_no_proto_file_and_needs_no_compiler():
    probe = (
        "import sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == 'open' else None)\n"
        "sys.modules['grpc_tools'] = None\n"
        "from aiges.grpc import wire\n"
        "wire.service('aiges.WrapperService')\n"
        "print([p for p in opened if p.endswith('.proto')])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=plugin_env(), capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


class Item:
    def __init__(self, data, key="out", type_=0, status=3):
        self.key, self.data, self.len, self.type, self.status = key, data, 999, type_, status


class Answer:
    def __init__(self, *items, error_code=0):
        self.list = list(items)
        self.error_code = error_code


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"raw", b"raw"),
        ("h\u00e9", "h\u00e9".encode()),
        (memoryview(b"mv"), b"mv"),
        (bytearray(b"ba"), b"ba"),
        (None, b""),
    ],
)
def test_result_data_becomes_bytes_and_len_is_recomputed(data, expected):
    message = convert.response("tag-1", Answer(Item(data)), once=True)
    assert (message.tag, message.ret, message.list[0].data, message.list[0].len) == (
        "tag-1",
        0,
        expected,
        len(expected),
    )


@pytest.mark.parametrize(
    "result, problem",
    [
        (None, "returned None"),
        (Answer(), "empty list"),
        (object(), "not a Response"),
        (Answer(Item(12345)), "data is int"),
        (Answer(Item(b"x", status=-1)), "status is -1"),
        (Answer(Item(b"x", type_="image")), "type is 'image'"),
    ],
)
def test_unusable_results_are_refused_with_a_reason(result, problem):
    with pytest.raises(convert.Refusal, match=problem) as refused:
        convert.response("t", result, once=True)
    assert refused.value.code == 30003


def test_a_once_answer_always_ends_the_request_and_a_session_answer_keeps_its_status():
    assert [i.status for i in convert.response("t", Answer(Item(b"a", status=1), Item(b"b", status=0)), True).list] == [
        3,
        3,
    ]
    assert [i.status for i in convert.response("t", Answer(Item(b"a", status=1), Item(b"b", status=2)), True).list] == [
        1,
        2,
    ]
    assert [i.status for i in convert.response("t", Answer(Item(b"a", status=1)), once=False).list] == [1]
    assert convert.response("t", Answer(Item(b"a", type_=2)), once=False).list[0].type == 2


def test_an_error_answer_carries_the_code_in_ret_and_the_message_in_an_error_node():
    message = convert.error_response("t", 1234, "wrapperOnceExec: echo error 1234")
    assert (message.tag, message.ret) == ("t", 1234)
    assert [(i.key, i.data, i.type, dict(i.desc)) for i in message.list] == [
        ("error", b"wrapperOnceExec: echo error 1234", 0, {"code": "1234"})
    ]
    assert convert.error_code(Answer(error_code=2**40)) == 30003
    assert convert.error_code(Answer(error_code=-1)) == -1


def test_a_request_becomes_a_data_list_of_nodes_with_bytes():
    request = wire.message("aiges.Request")(
        tag="t", list=[wire.message("aiges.RequestData")(key="img", data=b"\x89PNG", len=99, type=2, status=0)]
    )
    nodes = convert.data_list(request.list)
    node = nodes.get("img")
    assert (type(nodes).__name__, type(node).__name__) == ("DataListCls", "DataListNode")
    assert (node.data, node.len, node.type, node.status) == (b"\x89PNG", 4, 2, 0)


class Signatures:
    def four(self, params, reqData, usrTag="", persId=0):
        return (params, reqData, usrTag, persId)

    def two(self, params, reqData):
        return (params, reqData)

    def user_tag_keyword(self, params, sid, *, userTag=""):
        return (params, sid, userTag)

    def pers_third(self, params, reqData, persId=0):
        return (params, reqData, persId)

    def impossible(self, params, reqData, model):
        return None


def test_planned_calls_pass_each_signature_what_call_flexibly_would():
    s = Signatures()
    assert plan(s.four, ("params", "reqData", "usrTag", "persId"))("p", "r", "t", 0) == ("p", "r", "t", 0)
    assert plan(s.two, ("params", "reqData", "usrTag", "persId"))("p", "r", "t", 0) == ("p", "r")
    assert plan(s.user_tag_keyword, ("params", "sid", "persId", "usrTag"))("p", "s", 0, "t") == ("p", "s", "t")
    assert plan(s.pers_third, ("params", "reqData", "usrTag", "persId"))("p", "r", "t", 7) == ("p", "r", 7)
    with pytest.raises(TypeError, match="model"):  # as call_flexibly: never invent an argument
        plan(s.impossible, ("params", "reqData"))("p", "r")
