// Command goplugin is the fastest python-mode plugin there can be: a Go program serving the loader
// protocol our Python plugin server serves, so the benchmark can tell how far ours is from the least a
// plugin costs (benchmarks/grpc_bench.py, target "go"). It is hashicorp go-plugin's gRPC server
// (plugin.Serve with AIservice's HandshakeConfig{1, BASIC_PLUGIN, hello} and plugin set
// {"wrapper_grpc"}: go-plugin registers grpc.health.v1.Health and plugin.GRPCController/GRPCBroker)
// with aiges.WrapperService added, messages read at run time from the same serialized
// FileDescriptorSet as gohost (../gowire/wire.go).
//
// The wrapper is an echo with the behaviour of benchmarks/wrappers/trivial: wrapperInit answers 0;
// wrapperOnceExec waits params["sleep_ms"] when given and answers, on communicate, the Response
// {tag, ret 0, list [{key "out", data = the first input's data, len, type 0, status 3 (Once)}]} that
// our server sends for that wrapper. The result is queued on the communicate stream (grpc-go's
// SendMsg) before the unary wrapperOnceExec returns its empty Response, as the loader expects.
// Before wrapperInit, or with no input, the result is the error Response our server sends (ret
// 30001/30003, one "error" node). wrapperSchema answers a minimal schema of service "bench"; the
// session calls are not served (Unimplemented). As in our server, the first communicate stream owns
// the results until it ends (a second one is refused with PERMISSION_DENIED); results made while no
// stream is open wait for the next one.
//
// Network: a unix socket (plugin.Serve itself: go-plugin 1.0.1 always listens on one on Unix, in
// $TMPDIR), or with -listen tcp (default: $AIGES_LISTEN, as our server reads it) 127.0.0.1 on the first
// free port of PLUGIN_MIN_PORT..PLUGIN_MAX_PORT, served by the same go-plugin GRPCServer with the
// handshake line plugin.Serve prints (go-plugin has no TCP option on Unix: it listens on TCP on Windows
// only, with that port range).
//
// Build: like gohost (see its main.go), with these files and ../gowire/*.go in <scratch>/src/goplugin/;
// tests/grpc/goplugin.py does it and caches the binary.
//
// Usage (as the loader's pythonPluginCmd): goplugin -descriptors FILE [-listen unix|tcp]
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// maxMessage is our server's default --max-message-mb (256 MB), for requests and results alike.
const maxMessage = 256 << 20

func main() { os.Exit(run()) }

func run() int {
	flags := flag.NewFlagSet("goplugin", flag.ContinueOnError)
	descriptors := flags.String("descriptors", "", "serialized FileDescriptorSet of the runtime's protos")
	network := flags.String("listen", strings.ToLower(strings.TrimSpace(os.Getenv("AIGES_LISTEN"))),
		"unix (default) or tcp")
	if err := flags.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if *descriptors == "" {
		fmt.Fprintln(os.Stderr, "goplugin: -descriptors is required")
		return 2
	}
	w, err := loadWire(*descriptors)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goplugin:", err)
		return 1
	}
	encoding.RegisterCodec(dynamicCodec{}) // the servers' "proto" codec: dynamicpb and generated messages alike
	config := &plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         map[string]plugin.Plugin{pluginName: &echoPlugin{service: newEcho(w)}},
		GRPCServer: func(options []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(options, grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))...)
		},
	}
	switch *network {
	case "", "unix":
		plugin.Serve(config)
		return 0
	case "tcp":
		return serveTCP(config)
	default:
		fmt.Fprintf(os.Stderr, "goplugin: -listen %q: want unix or tcp\n", *network)
		return 2
	}
}

// serveTCP is what plugin.Serve does for a gRPC plugin, on 127.0.0.1 instead of a unix socket.
func serveTCP(config *plugin.ServeConfig) int {
	if os.Getenv(handshake.MagicCookieKey) != handshake.MagicCookieValue {
		fmt.Fprintln(os.Stderr, "goplugin: this binary is a plugin, started by a go-plugin host")
		return 1
	}
	listener, err := listenTCP()
	if err != nil {
		fmt.Fprintln(os.Stderr, "goplugin:", err)
		return 1
	}
	defer listener.Close()
	server := &plugin.GRPCServer{Plugins: config.Plugins, Server: config.GRPCServer, DoneCh: make(chan struct{})}
	if err := server.Init(); err != nil {
		fmt.Fprintln(os.Stderr, "goplugin:", err)
		return 1
	}
	fmt.Printf("%d|%d|tcp|%s|%s|\n", plugin.CoreProtocolVersion, handshake.ProtocolVersion, listener.Addr(),
		plugin.ProtocolGRPC)
	os.Stdout.Sync()
	go server.Serve(listener)
	<-server.DoneCh // GRPCController.Shutdown stops the server
	return 0
}

// listenTCP listens on the first free port of PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (unset: any), as
// go-plugin's own TCP listener does.
func listenTCP() (net.Listener, error) {
	low, err1 := portFromEnv("PLUGIN_MIN_PORT")
	high, err2 := portFromEnv("PLUGIN_MAX_PORT")
	if err1 != nil || err2 != nil || low > high {
		return nil, fmt.Errorf("bad PLUGIN_MIN_PORT..PLUGIN_MAX_PORT %q..%q", os.Getenv("PLUGIN_MIN_PORT"),
			os.Getenv("PLUGIN_MAX_PORT"))
	}
	for port := low; port <= high; port++ {
		if listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			return listener, nil
		}
	}
	return nil, fmt.Errorf("no free port on 127.0.0.1 in %d..%d", low, high)
}

func portFromEnv(name string) (int, error) {
	value := os.Getenv(name)
	if value == "" {
		return 0, nil
	}
	return strconv.Atoi(value)
}
