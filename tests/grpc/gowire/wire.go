package main

// The wire format, read at run time from a serialized FileDescriptorSet that the Python side makes
// from the runtime's .proto files (the single source): no generated Go code, no committed descriptors.
// Messages are dynamicpb messages, marshalled by a tiny codec over google.golang.org/protobuf.
//
// Shared by both Go programs: this folder's files are compiled into the loader stand-in (gohost/) and
// into the Go plugin (goplugin/) alike (tests/grpc/gohost.py copies them into each build).

import (
	"fmt"
	"os"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoimpl"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// handshake is AIservice's HandshakeConfig (grpc/shared/interface.go); pluginName its plugin set's one name.
var handshake = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}

const pluginName = "wrapper_grpc"

// Full method paths, as AIservice calls them.
const (
	methodInit        = "/aiges.WrapperService/wrapperInit"
	methodSchema      = "/aiges.WrapperService/wrapperSchema"
	methodOnce        = "/aiges.WrapperService/wrapperOnceExec"
	methodCreate      = "/aiges.WrapperService/wrapperCreate"
	methodWrite       = "/aiges.WrapperService/wrapperWrite"
	methodDestroy     = "/aiges.WrapperService/wrapperDestroy"
	methodCommunicate = "/aiges.WrapperService/communicate"
	methodHealth      = "/grpc.health.v1.Health/Check"
)

// Status values of RequestData/ResponseData (aiges.core.types).
const (
	statusEnd  = 2
	statusOnce = 3
)

// dynamicCodec marshals any proto.Message (dynamicpb included). grpc-go 1.33's default codec goes
// through github.com/golang/protobuf 1.3 (Debian), which cannot handle dynamicpb messages. Messages
// generated for that older API (go-plugin's own services, grpc's health) are adapted, so a server can
// use this codec for all of its services.
type dynamicCodec struct{}

func (dynamicCodec) Marshal(v interface{}) ([]byte, error) {
	return proto.Marshal(asMessage(v))
}

func (dynamicCodec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, asMessage(v))
}

func asMessage(v interface{}) proto.Message {
	if m, ok := v.(proto.Message); ok {
		return m
	}
	return protoimpl.X.ProtoMessageV2Of(v)
}

// Name stays "proto": ForceCodec does not change the content-type, which remains application/grpc.
func (dynamicCodec) Name() string { return "proto" }

var codecOption = grpc.ForceCodec(dynamicCodec{})

// wire holds the message descriptors the host uses.
type wire struct {
	initRequest, ret, svcID, schema, request, requestData, response    protoreflect.MessageDescriptor
	createRequest, writeMessage, handle, healthRequest, healthResponse protoreflect.MessageDescriptor
}

// fieldsUsed lists every field this program touches, checked once at load time so that a renamed
// field in a .proto fails loudly at start instead of panicking mid-run.
var fieldsUsed = map[string][]string{
	"aiges.InitRequest":                  {"config"},
	"aiges.Ret":                          {"ret"},
	"aiges.SvcId":                        {"serviceId"},
	"aiges.Schema":                       {"data"},
	"aiges.Request":                      {"tag", "params", "list"},
	"aiges.RequestData":                  {"key", "len", "type", "status", "desc", "data"},
	"aiges.Response":                     {"tag", "ret", "list"},
	"aiges.ResponseData":                 {"key", "len", "type", "status", "desc", "data"},
	"aiges.CreateRequest":                {"params", "sid", "tag"},
	"aiges.WriteMessage":                 {"req", "handle", "sid"},
	"aiges.Handle":                       {"handle", "err_code"},
	"grpc.health.v1.HealthCheckRequest":  {"service"},
	"grpc.health.v1.HealthCheckResponse": {"status"},
}

// loadWire reads the FileDescriptorSet at path and finds the messages of the loader protocol.
func loadWire(path string) (*wire, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("descriptors: %v", err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("descriptors %s: %v", path, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("descriptors %s: %v", path, err)
	}
	found := map[string]protoreflect.MessageDescriptor{}
	for name, fields := range fieldsUsed {
		d, err := files.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return nil, fmt.Errorf("descriptors %s: message %s: %v", path, name, err)
		}
		md, ok := d.(protoreflect.MessageDescriptor)
		if !ok {
			return nil, fmt.Errorf("descriptors %s: %s is not a message", path, name)
		}
		for _, field := range fields {
			if md.Fields().ByName(protoreflect.Name(field)) == nil {
				return nil, fmt.Errorf("descriptors %s: %s has no field %q", path, name, field)
			}
		}
		found[name] = md
	}
	return &wire{
		initRequest: found["aiges.InitRequest"], ret: found["aiges.Ret"], svcID: found["aiges.SvcId"],
		schema: found["aiges.Schema"], request: found["aiges.Request"], requestData: found["aiges.RequestData"],
		response: found["aiges.Response"], createRequest: found["aiges.CreateRequest"],
		writeMessage: found["aiges.WriteMessage"], handle: found["aiges.Handle"],
		healthRequest:  found["grpc.health.v1.HealthCheckRequest"],
		healthResponse: found["grpc.health.v1.HealthCheckResponse"],
	}, nil
}

// Node is one RequestData/ResponseData as JSON. On input, Len defaults to len(data) and Status to 3
// (DataOnce); on output both are what the server sent.
type Node struct {
	Key    string            `json:"key"`
	Data   []byte            `json:"data"` // base64 in JSON
	Len    *uint64           `json:"len,omitempty"`
	Type   uint32            `json:"type"`
	Status *uint32           `json:"status,omitempty"`
	Desc   map[string]string `json:"desc,omitempty"`
}

// --- building and reading dynamic messages --------------------------------------------------------

func newMessage(md protoreflect.MessageDescriptor) *dynamicpb.Message {
	return dynamicpb.NewMessage(md)
}

func fd(m protoreflect.Message, name string) protoreflect.FieldDescriptor {
	return m.Descriptor().Fields().ByName(protoreflect.Name(name))
}

func setString(m protoreflect.Message, name, value string) {
	m.Set(fd(m, name), protoreflect.ValueOfString(value))
}

func setMap(m protoreflect.Message, name string, values map[string]string) {
	if len(values) == 0 {
		return
	}
	target := m.Mutable(fd(m, name)).Map()
	for k, v := range values {
		target.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfString(v))
	}
}

func getString(m protoreflect.Message, name string) string { return m.Get(fd(m, name)).String() }

func getInt(m protoreflect.Message, name string) int64 { return m.Get(fd(m, name)).Int() }

func getMap(m protoreflect.Message, name string) map[string]string {
	source := m.Get(fd(m, name)).Map()
	if source.Len() == 0 {
		return nil
	}
	out := make(map[string]string, source.Len())
	source.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		out[k.String()] = v.String()
		return true
	})
	return out
}

// setNodes appends nodes to the repeated RequestData field "list" of m.
func setNodes(m protoreflect.Message, nodes []Node) {
	if len(nodes) == 0 {
		return
	}
	list := m.Mutable(fd(m, "list")).List()
	for _, n := range nodes {
		item := list.NewElement()
		data := item.Message()
		length := uint64(len(n.Data))
		if n.Len != nil {
			length = *n.Len
		}
		status := uint32(statusOnce)
		if n.Status != nil {
			status = *n.Status
		}
		setString(data, "key", n.Key)
		data.Set(fd(data, "data"), protoreflect.ValueOfBytes(n.Data))
		data.Set(fd(data, "len"), protoreflect.ValueOfUint64(length))
		data.Set(fd(data, "type"), protoreflect.ValueOfUint32(n.Type))
		data.Set(fd(data, "status"), protoreflect.ValueOfUint32(status))
		setMap(data, "desc", n.Desc)
		list.Append(item)
	}
}

// readNodes converts the repeated ResponseData field "list" of a Response.
func readNodes(m protoreflect.Message) []Node {
	list := m.Get(fd(m, "list")).List()
	out := make([]Node, list.Len())
	for i := range out {
		data := list.Get(i).Message()
		length := data.Get(fd(data, "len")).Uint()
		status := uint32(data.Get(fd(data, "status")).Uint())
		out[i] = Node{
			Key: getString(data, "key"), Data: data.Get(fd(data, "data")).Bytes(), Len: &length,
			Type: uint32(data.Get(fd(data, "type")).Uint()), Status: &status, Desc: getMap(data, "desc"),
		}
	}
	return out
}

// firstData is the data of the first ResponseData (the echo check of the benchmark), without copying.
func firstData(m protoreflect.Message) []byte {
	list := m.Get(fd(m, "list")).List()
	if list.Len() == 0 {
		return nil
	}
	data := list.Get(0).Message()
	return data.Get(fd(data, "data")).Bytes()
}

// ends tells whether a streamed Response is the last of its request, as the loader decides:
// an error (ret != 0), or every ResponseData has status End (2) or Once (3).
func ends(m protoreflect.Message) bool {
	if getInt(m, "ret") != 0 {
		return true
	}
	list := m.Get(fd(m, "list")).List()
	if list.Len() == 0 {
		return false
	}
	for i := 0; i < list.Len(); i++ {
		data := list.Get(i).Message()
		status := data.Get(fd(data, "status")).Uint()
		if status != statusEnd && status != statusOnce {
			return false
		}
	}
	return true
}

func (w *wire) newRequest(tag string, params map[string]string, nodes []Node) *dynamicpb.Message {
	m := newMessage(w.request)
	setString(m, "tag", tag)
	setMap(m, "params", params)
	setNodes(m, nodes)
	return m
}
