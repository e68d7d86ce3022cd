package main

// The host side: start the plugin with go-plugin exactly as AIservice does, open communicate once,
// route every streamed Response by tag, and offer the loader's calls.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// wrapperPlugin is the "wrapper_grpc" plugin: dispensing it yields the raw connection, on which we
// call methods by path with dynamic messages.
type wrapperPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (wrapperPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("gohost is a host only")
}

func (wrapperPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// --- routing of the communicate stream ------------------------------------------------------------

type arrival struct {
	at  time.Time
	msg *dynamicpb.Message
}

type tagQueue struct {
	items  []arrival
	notify chan struct{}
}

// router files each streamed Response under its tag; results may arrive before anyone waits.
type router struct {
	mu     sync.Mutex
	queues map[string]*tagQueue
	ended  chan struct{}
	endErr error
}

func newRouter() *router {
	return &router{queues: map[string]*tagQueue{}, ended: make(chan struct{})}
}

func (r *router) queue(tag string) *tagQueue {
	q := r.queues[tag]
	if q == nil {
		q = &tagQueue{notify: make(chan struct{}, 1)}
		r.queues[tag] = q
	}
	return q
}

func (r *router) put(tag string, a arrival) {
	r.mu.Lock()
	q := r.queue(tag)
	q.items = append(q.items, a)
	r.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (r *router) end(err error) {
	r.mu.Lock()
	r.endErr = err
	r.mu.Unlock()
	close(r.ended)
}

// endState is how communicate ended: "" while open, "EOF" when the server closed it normally.
func (r *router) endState() string {
	select {
	case <-r.ended:
	default:
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.endErr == io.EOF {
		return "EOF"
	}
	return r.endErr.Error()
}

// next is the next Response for tag (one waiter per tag), or an error at the deadline or when the
// stream has ended with nothing left for the tag.
func (r *router) next(tag string, deadline time.Time) (arrival, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		r.mu.Lock()
		q := r.queue(tag)
		if len(q.items) > 0 {
			a := q.items[0]
			q.items[0] = arrival{}
			q.items = q.items[1:]
			r.mu.Unlock()
			return a, nil
		}
		r.mu.Unlock()
		select {
		case <-q.notify:
		case <-timer.C:
			return arrival{}, fmt.Errorf("no result for tag %q in time", tag)
		case <-r.ended:
			r.mu.Lock()
			empty := len(q.items) == 0
			r.mu.Unlock()
			if empty {
				return arrival{}, fmt.Errorf("communicate ended (%s) with no result for tag %q", r.endState(), tag)
			}
		}
	}
}

func (r *router) forget(tag string) {
	r.mu.Lock()
	delete(r.queues, tag)
	r.mu.Unlock()
}

// --- what go-plugin says about the process --------------------------------------------------------

// events watches go-plugin's log (an hclog sink sees every level, whatever the printed level) for
// the two facts Kill() does not return: was the plugin SIGKILLed, and how did it exit.
type events struct {
	mu      sync.Mutex
	killed  bool
	exitErr string
}

func (e *events) Accept(_ string, _ hclog.Level, msg string, args ...interface{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch msg {
	case "plugin failed to exit gracefully":
		e.killed = true
	case "plugin process exited":
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "error" {
				e.exitErr = fmt.Sprint(args[i+1])
			}
		}
	}
}

func (e *events) snapshot() (bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.killed, e.exitErr
}

// --- the host -------------------------------------------------------------------------------------

type hostConfig struct {
	cmdline string
	dir     string
	verbose bool
	wire    *wire
	log     io.Writer // the loader's python-plugin log (-log FILE; default stderr)
	level   string    // its level (-log-level; default info, as the rendered [wrapper] "log.level")
}

// logLevel is the python-plugin logger's level: -log-level, or debug with -v.
func (c hostConfig) logLevel() hclog.Level {
	if c.verbose {
		return hclog.Debug
	}
	if level := hclog.LevelFromString(c.level); level != hclog.NoLevel {
		return level
	}
	return hclog.Info
}

func (c hostConfig) logOutput() io.Writer {
	if c.log != nil {
		return c.log
	}
	return os.Stderr
}

type host struct {
	cfg      hostConfig
	client   *plugin.Client
	conn     *grpc.ClientConn
	router   *router
	events   *events
	cancel   context.CancelFunc
	pid      int
	address  string
	startup  time.Duration // client.Start(): spawn to handshake line read
	dial     time.Duration // client.Client() + Dispense (grpc.Dial does not block)
	connect  time.Duration // opening communicate: the first real use of the connection
	stopOnce sync.Once
	stopped  chan struct{}
}

var (
	liveMu sync.Mutex
	live   = map[*host]bool{}
)

// startHost spawns the plugin (bash -c CMDLINE in DIR) and opens communicate, as AIservice does
// at start-up. It does not call health or wrapperInit.
func startHost(cfg hostConfig) (*host, error) {
	h := &host{cfg: cfg, router: newRouter(), events: &events{}, stopped: make(chan struct{})}
	logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "python-plugin", Level: cfg.logLevel(),
		Output: cfg.logOutput()})
	logger.RegisterSink(h.events)
	var stderr io.Writer = os.Stderr // the plugin's own stderr, line by line
	if cfg.verbose {
		stderr = io.Discard // go-plugin's debug log shows each line already
	}
	cmd := exec.Command("bash", "-c", cfg.cmdline)
	cmd.Dir = cfg.dir
	h.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          map[string]plugin.Plugin{pluginName: wrapperPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		Stderr:           stderr,
		// go-plugin's AutoMTLS (PLUGIN_CLIENT_CERT to the plugin, its certificate in the handshake)
		AutoMTLS: os.Getenv("GOHOST_AUTO_MTLS") == "1",
	})
	liveMu.Lock()
	live[h] = true
	liveMu.Unlock()

	started := time.Now()
	addr, err := h.client.Start()
	h.startup = time.Since(started)
	if err != nil {
		h.kill()
		return nil, fmt.Errorf("start: %v", err)
	}
	h.address = addr.String()
	if rc := h.client.ReattachConfig(); rc != nil {
		h.pid = rc.Pid
	}
	dialed := time.Now()
	protocol, err := h.client.Client()
	if err == nil {
		var raw interface{}
		raw, err = protocol.Dispense(pluginName)
		if err == nil {
			h.conn = raw.(*grpc.ClientConn)
		}
	}
	h.dial = time.Since(dialed)
	if err != nil {
		h.kill()
		return nil, fmt.Errorf("dispense: %v", err)
	}
	connecting := time.Now()
	if err := h.openCommunicate(); err != nil {
		h.kill()
		return nil, fmt.Errorf("communicate: %v", err)
	}
	h.connect = time.Since(connecting)
	return h, nil
}

// openCommunicate opens the bidi stream once and reads it on its own goroutine. Like the loader,
// the host never sends on it.
func (h *host) openCommunicate() error {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	desc := &grpc.StreamDesc{StreamName: "communicate", ServerStreams: true, ClientStreams: true}
	stream, err := h.conn.NewStream(ctx, desc, methodCommunicate, codecOption)
	if err != nil {
		return err
	}
	go func() {
		for {
			m := newMessage(h.cfg.wire.response)
			if err := stream.RecvMsg(m); err != nil {
				h.router.end(err)
				return
			}
			h.router.put(getString(m, "tag"), arrival{at: time.Now(), msg: m})
		}
	}()
	return nil
}

// killReport is what Kill() did: exited is true when the plugin exited by itself within go-plugin's
// 2 s grace after GRPCController.Shutdown (false: it was SIGKILLed).
type killReport struct {
	Exited  bool    `json:"exited"`
	Seconds float64 `json:"seconds"`
	Exit    string  `json:"exit"` // "" for status 0, else e.g. "exit status 3" or "signal: killed"
}

// kill stops the plugin with client.Kill() (Shutdown, up to 2 s, then SIGKILL); safe to call twice.
func (h *host) kill() killReport {
	var report killReport
	h.stopOnce.Do(func() {
		began := time.Now()
		h.client.Kill()
		report.Seconds = time.Since(began).Seconds()
		if h.cancel != nil {
			h.cancel()
		}
		killed, exitErr := h.events.snapshot()
		report.Exited, report.Exit = !killed, exitErr
		liveMu.Lock()
		delete(live, h)
		liveMu.Unlock()
		close(h.stopped)
	})
	return report
}

func (h *host) isStopped() bool {
	select {
	case <-h.stopped:
		return true
	default:
		return false
	}
}

// killAll is for signals: never leave a plugin behind.
func killAll() {
	liveMu.Lock()
	hosts := make([]*host, 0, len(live))
	for h := range live {
		hosts = append(hosts, h)
	}
	liveMu.Unlock()
	for _, h := range hosts {
		h.kill()
	}
}

// --- the loader's calls ---------------------------------------------------------------------------

func (h *host) invoke(method string, req, reply *dynamicpb.Message, timeout time.Duration) error {
	if h.isStopped() {
		return errors.New("the plugin was shut down")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return h.conn.Invoke(ctx, method, req, reply, codecOption)
}

func (h *host) health(service string, timeout time.Duration) (string, error) {
	req := newMessage(h.cfg.wire.healthRequest)
	setString(req, "service", service)
	reply := newMessage(h.cfg.wire.healthResponse)
	if err := h.invoke(methodHealth, req, reply, timeout); err != nil {
		return "", err
	}
	field := fd(reply, "status")
	number := reply.Get(field).Enum()
	if value := field.Enum().Values().ByNumber(number); value != nil {
		return string(value.Name()), nil
	}
	return fmt.Sprint(number), nil
}

func (h *host) init(config map[string]string, timeout time.Duration) (int64, error) {
	req := newMessage(h.cfg.wire.initRequest)
	setMap(req, "config", config)
	reply := newMessage(h.cfg.wire.ret)
	if err := h.invoke(methodInit, req, reply, timeout); err != nil {
		return 0, err
	}
	return getInt(reply, "ret"), nil
}

func (h *host) schema(serviceID string, timeout time.Duration) (string, error) {
	req := newMessage(h.cfg.wire.svcID)
	setString(req, "serviceId", serviceID)
	reply := newMessage(h.cfg.wire.schema)
	if err := h.invoke(methodSchema, req, reply, timeout); err != nil {
		return "", err
	}
	return getString(reply, "data"), nil
}

// onceResult is a once request's streamed result and its unary answer (which the loader ignores).
type onceResult struct {
	msg      *dynamicpb.Message
	latency  time.Duration // sending wrapperOnceExec -> the result read from communicate
	unaryRet int64
}

// once sends wrapperOnceExec and waits for the Response with its tag on communicate. A failed
// unary call is reported at once (the loader would only time out).
func (h *host) once(req *dynamicpb.Message, tag string, timeout time.Duration) (onceResult, error) {
	defer h.router.forget(tag)
	reply := newMessage(h.cfg.wire.response)
	sent := time.Now()
	if err := h.invoke(methodOnce, req, reply, timeout); err != nil {
		return onceResult{}, fmt.Errorf("wrapperOnceExec: %v", err)
	}
	unaryRet := getInt(reply, "ret")
	got, err := h.router.next(tag, sent.Add(timeout))
	if err != nil {
		return onceResult{unaryRet: unaryRet}, fmt.Errorf("%v (within %s; the unary answer had ret %d)", err, timeout, unaryRet)
	}
	return onceResult{msg: got.msg, latency: got.at.Sub(sent), unaryRet: unaryRet}, nil
}

func (h *host) create(params map[string]string, sid, tag string, timeout time.Duration) (string, int64, error) {
	req := newMessage(h.cfg.wire.createRequest)
	setMap(req, "params", params)
	setString(req, "sid", sid)
	setString(req, "tag", tag)
	reply := newMessage(h.cfg.wire.handle)
	if err := h.invoke(methodCreate, req, reply, timeout); err != nil {
		return "", 0, err
	}
	return getString(reply, "handle"), getInt(reply, "err_code"), nil
}

func (h *host) write(handle, sid, tag string, nodes []Node, timeout time.Duration) (int64, error) {
	req := newMessage(h.cfg.wire.writeMessage)
	setString(req, "handle", handle)
	setString(req, "sid", sid)
	inner := h.cfg.wire.newRequest(tag, nil, nodes)
	req.Set(fd(req, "req"), protoreflect.ValueOfMessage(inner))
	reply := newMessage(h.cfg.wire.ret)
	if err := h.invoke(methodWrite, req, reply, timeout); err != nil {
		return 0, err
	}
	return getInt(reply, "ret"), nil
}

func (h *host) destroy(handle string, timeout time.Duration) (int64, error) {
	req := newMessage(h.cfg.wire.handle)
	setString(req, "handle", handle)
	reply := newMessage(h.cfg.wire.ret)
	if err := h.invoke(methodDestroy, req, reply, timeout); err != nil {
		return 0, err
	}
	return getInt(reply, "ret"), nil
}

// collect gathers the Responses of tag until one ends the request (see ends) or max (> 0) arrived.
func (h *host) collect(tag string, max int, timeout time.Duration) ([]arrival, error) {
	deadline := time.Now().Add(timeout)
	var got []arrival
	for {
		a, err := h.router.next(tag, deadline)
		if err != nil {
			return got, fmt.Errorf("%v (within %s, after %d message(s))", err, timeout, len(got))
		}
		got = append(got, a)
		if ends(a.msg) || (max > 0 && len(got) >= max) {
			return got, nil
		}
	}
}
