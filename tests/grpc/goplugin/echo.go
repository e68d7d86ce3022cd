package main

// aiges.WrapperService with the trivial echo wrapper (contract in main.go), and the outbox that
// delivers its results on communicate.

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Codes of our server's error results (aiges.errors).
const (
	initError     = 30001
	userExecError = 30003
)

const schema = `{"meta": {"serviceId": "bench", "version": "v1"}}`

// echoPlugin is the "wrapper_grpc" plugin: go-plugin calls GRPCServer once to register the service.
type echoPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	service *echo
}

func (p *echoPlugin) GRPCServer(_ *plugin.GRPCBroker, server *grpc.Server) error {
	server.RegisterService(p.service.desc(), p.service)
	return nil
}

func (*echoPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, errors.New("goplugin is a plugin only")
}

type echo struct {
	wire   *wire
	ready  int32 // 1 after wrapperInit
	outbox outbox
	sleep  protoreflect.MapKey
}

func newEcho(w *wire) *echo {
	return &echo{wire: w, sleep: protoreflect.ValueOfString("sleep_ms").MapKey()}
}

// unary is a method whose request is a dynamic message of type in (no interceptor is ever configured).
func unary(name string, in protoreflect.MessageDescriptor, handle func(*dynamicpb.Message) *dynamicpb.Message,
) grpc.MethodDesc {
	return grpc.MethodDesc{MethodName: name, Handler: func(_ interface{}, _ context.Context, decode func(interface{}) error,
		_ grpc.UnaryServerInterceptor) (interface{}, error) {
		request := newMessage(in)
		if err := decode(request); err != nil {
			return nil, err
		}
		return handle(request), nil
	}}
}

func (e *echo) desc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "aiges.WrapperService",
		HandlerType: (*interface{})(nil),
		Methods: []grpc.MethodDesc{
			unary("wrapperInit", e.wire.initRequest, e.init),
			unary("wrapperSchema", e.wire.svcID, e.schema),
			unary("wrapperOnceExec", e.wire.request, e.once),
		},
		Streams: []grpc.StreamDesc{{StreamName: "communicate", Handler: e.communicate, ServerStreams: true,
			ClientStreams: true}},
		Metadata: "aiges_inner.proto",
	}
}

func (e *echo) init(*dynamicpb.Message) *dynamicpb.Message {
	atomic.StoreInt32(&e.ready, 1)
	return newMessage(e.wire.ret) // ret 0
}

func (e *echo) schema(*dynamicpb.Message) *dynamicpb.Message {
	answer := newMessage(e.wire.schema)
	setString(answer, "data", schema)
	return answer
}

// once runs the echo, queues its result on communicate, then answers the empty unary Response.
func (e *echo) once(request *dynamicpb.Message) *dynamicpb.Message {
	params := request.Get(fd(request, "params")).Map()
	if delay := params.Get(e.sleep); delay.IsValid() {
		if ms, err := strconv.ParseFloat(delay.String(), 64); err == nil && ms > 0 {
			time.Sleep(time.Duration(ms * float64(time.Millisecond)))
		}
	}
	result := newMessage(e.wire.response)
	setString(result, "tag", getString(request, "tag"))
	switch {
	case atomic.LoadInt32(&e.ready) == 0:
		refuse(result, initError, "wrapperOnceExec: wrapperOnceExec called before a successful wrapperInit")
	case request.Get(fd(request, "list")).List().Len() == 0:
		refuse(result, userExecError, "wrapperOnceExec: raised IndexError: list index out of range")
	default:
		setNodes(result, []Node{{Key: "out", Data: firstData(request)}}) // len, type 0, status 3
	}
	e.outbox.put(result)
	return newMessage(e.wire.response)
}

// refuse makes result the error Response our server sends: ret code, one text node "error".
func refuse(result *dynamicpb.Message, code int64, text string) {
	result.Set(fd(result, "ret"), protoreflect.ValueOfInt32(int32(code)))
	setNodes(result, []Node{{Key: "error", Data: []byte(text), Desc: map[string]string{"code": strconv.FormatInt(code, 10)}}})
}

// communicate hands the results to the stream until its call ends (the loader never sends on it).
func (e *echo) communicate(_ interface{}, stream grpc.ServerStream) error {
	if !e.outbox.claim(stream) {
		return status.Error(codes.PermissionDenied,
			"communicate: another communicate stream owns the results (the loader opens exactly one)")
	}
	<-stream.Context().Done()
	e.outbox.release(stream)
	return nil
}

// outbox sends results on the owning stream from the goroutine that made them (grpc-go's SendMsg
// queues the message for the connection's writer); while no stream owns them they wait.
type outbox struct {
	mu      sync.Mutex
	stream  grpc.ServerStream
	backlog []*dynamicpb.Message
}

func (o *outbox) put(message *dynamicpb.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stream != nil && o.stream.SendMsg(message) == nil {
		return
	}
	o.stream = nil // gone (or none): the result waits for the next owner
	o.backlog = append(o.backlog, message)
}

// claim makes stream the owner (false when another one owns the results) and sends the backlog.
func (o *outbox) claim(stream grpc.ServerStream) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stream != nil && o.stream.Context().Err() == nil {
		return false
	}
	o.stream = stream
	for len(o.backlog) > 0 {
		if stream.SendMsg(o.backlog[0]) != nil {
			o.stream = nil
			return true
		}
		o.backlog = o.backlog[1:]
	}
	return true
}

func (o *outbox) release(stream grpc.ServerStream) {
	o.mu.Lock()
	if o.stream == stream {
		o.stream = nil
	}
	o.mu.Unlock()
}
