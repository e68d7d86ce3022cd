// Command gohost plays AIservice (the AIGES loader) in python mode: a hashicorp/go-plugin host on
// grpc-go that drives `python -m aiges.serve` exactly as the loader does (spec section 7): the same
// HandshakeConfig{1, BASIC_PLUGIN, hello}, plugin set {"wrapper_grpc"}, AllowedProtocols grpc,
// exec.Command("bash", "-c", CMDLINE); communicate opened once at start; wrapperOnceExec's unary
// answer ignored in favour of the Response with the same tag on communicate; client.Kill() to stop
// (GRPCController.Shutdown, up to 2 s, then SIGKILL). Messages are built at run time from a
// serialized FileDescriptorSet made from the runtime's .proto files (tests/grpc/gohost.py makes it).
//
// Build (no modules, no network; Debian packages golang-go golang-google-grpc-dev
// golang-github-hashicorp-go-plugin-dev golang-google-protobuf-dev):
//
//	GO111MODULE=off GOPATH=<scratch>:/usr/share/gocode GOFLAGS= go build -o gohost gohost
//	(with these files and ../gowire/*.go, the wire format it shares with the Go plugin, in
//	<scratch>/src/gohost/; tests/grpc/gohost.py does it and caches the binary)
//
// Usage:
//
//	gohost -descriptors FILE -cmd CMDLINE [-dir DIR] [-env K=V]... [-v] [-log FILE] [-log-level L] MODE [mode flags]
//
// -env entries are set in gohost's own environment, which the plugin inherits (go-plugin 1.0.1
// puts the host's environment after Cmd.Env, so Cmd.Env could not override it). The plugin's stdin
// is /dev/null (go-plugin 1.0.1 would hand it os.Stdin: the script). go-plugin's log is the
// python-plugin logger below; the plugin's raw stderr is copied to gohost's stderr. On SIGINT/SIGTERM/SIGHUP
// gohost stops its plugins with client.Kill() before exiting (status 130).
//
// The python-plugin hclog logger is the loader's: named python-plugin, at -log-level (default info,
// the rendered [wrapper] "log.level"; -v: debug), writing to -log FILE (default stderr). It logs the
// plugin's stderr lines by go-plugin's rules (JSON entries at their @level, [LEVEL]-prefixed lines at
// that level, anything else at debug), so the file holds what a user of the loader sees.
//
// # Mode "script": one JSON operation per stdin line, one JSON answer per stdout line
//
// The first line printed is the start-up report:
//
//	{"ready": true, "startup_ms": client.Start() (spawn to handshake read), "dial_ms": Client()+Dispense,
//	 "connect_ms": opening communicate (the first real use of the connection), "address", "pid"}
//	{"ready": false, "error": "..."}  then exit status 1
//
// Every answer carries "op" (and "id" when the operation had one). A failed operation (rpc error,
// timeout, bad line) answers {"error": "..."} (with whatever fields it has) and the script goes on.
// "timeout_s" (optional on every operation) bounds it: 30 s by default, 120 s for init.
// A node ("list" items) is {"key", "data": base64, "type", "status", "len", "desc": {}}; on input
// len defaults to len(data) and status to 3 (DataOnce).
//
//	{"op":"health", "service":"plugin"}             -> {"status":"SERVING"}         grpc.health.v1 Check
//	{"op":"init", "config":{k:v}}                   -> {"ret":0}                    wrapperInit
//	{"op":"schema", "service_id":"svcName"}         -> {"schema":"<json text>"}     wrapperSchema
//	{"op":"once", "tag", "params":{}, "list":[nodes]}
//	    -> {"tag","ret","list":[nodes],"elapsed_ms","unary_ret"}
//	    wrapperOnceExec(Request{tag, params (+ sid=tag unless given), list}), then the Response with
//	    that tag from communicate; elapsed_ms = sending to its arrival. A failed unary call is
//	    reported at once; unary_ret is the ret of the unary answer (which the loader ignores). A
//	    failed once still answers "tag" and "unary_ret" beside "error".
//	{"op":"create", "params":{}, "sid", "tag"}      -> {"handle","err_code"}        wrapperCreate
//	    sid defaults to params.sid, params.sid to sid, tag to sid (the loader's choices).
//	{"op":"write", "handle", "list":[nodes], "sid":"", "tag":""} -> {"ret"}   wrapperWrite(WriteMessage{req, handle, sid})
//	    (the loader never fills sid)
//	{"op":"collect", "tag", "max":0}                -> {"tag","messages":[{"tag","ret","list"}],"elapsed_ms"}
//	    every Response for tag until one ends the request (ret != 0, or every item has status 2
//	    DataEnd or 3 DataOnce), or until "max" (> 0) messages arrived. Results that arrive before
//	    anyone collects them are kept for their tag.
//	{"op":"destroy", "handle"}                      -> {"ret"}                      wrapperDestroy
//	{"op":"shutdown"}                               -> {"exited","seconds","exit","communicate"}
//	    client.Kill(). exited: the plugin exited by itself within the 2 s grace (false: SIGKILLed);
//	    exit: "" (status 0), "exit status N" or "signal: killed"; communicate: how the stream ended.
//	{"op":"parallel", "ops":[operations]}           -> {"results":[answers in order]}
//	    the operations run at the same time on the one connection (as the loader's goroutines do).
//
// At stdin EOF the plugin is stopped with client.Kill() and gohost exits 0.
//
// # Mode "bench": sequential (or -concurrency C) once requests against an echo wrapper
//
//	bench [-count 1000] [-size 1024] [-warmup 100] [-concurrency 1] [-raw] [-param K=V]... [-config K=V]...
//	      [-timeout_s 30] [-cpuprofile FILE] [-procs N]
//
// Starts the plugin, health, wrapperInit(config), -warmup requests, then -count requests with a
// random -size byte payload (key "text"), each checked to come back identical. Latency: sending
// wrapperOnceExec to its result's arrival on communicate (stamped by the reader goroutine).
// Each goroutine stops at its first failure (errors make the numbers void; a wedged server must not
// cost count x timeout). Prints
// {"count","completed","concurrency","size","warmup","seconds","rps","p50_ms","p90_ms","p99_ms","mean_ms","min_ms",
// "max_ms","errors","first_error"?,"startup_ms","host_cpu_seconds","host_cpu_us_per_request" (gohost's own
// CPU while measuring),"procs" (GOMAXPROCS: 1 for sequential runs unless -procs),"shutdown":{...},
// "latencies_ms"? (-raw)}; exit 1 on errors.
//
// # Mode "cold": -runs N starts
//
//	cold [-runs 5] [-config K=V]...
//
// Each run: spawn to handshake (client.Start), spawn to the first result (health, wrapperInit, one
// once request), then Kill. Prints {"runs":[{"handshake_ms","first_result_ms","shutdown","error"?}],
// "median_handshake_ms","median_first_result_ms","errors"}; exit 1 on errors.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// pairs is a repeatable K=V flag.
type pairs map[string]string

func (p pairs) String() string { return fmt.Sprint(map[string]string(p)) }

func (p pairs) Set(value string) error {
	key, val, ok := strings.Cut(value, "=")
	if !ok || key == "" {
		return fmt.Errorf("want K=V, got %q", value)
	}
	p[key] = val
	return nil
}

func usage(message string) int {
	fmt.Fprintln(os.Stderr, "gohost:", message)
	fmt.Fprintln(os.Stderr, "usage: gohost -descriptors FILE -cmd CMDLINE [-dir DIR] [-env K=V]... [-v] script|bench|cold [flags]")
	return 2
}

func printJSON(a answer) {
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetEscapeHTML(false)
	_ = encoder.Encode(a)
}

// detachStdin hands the plugin /dev/null: go-plugin 1.0.1 sets Cmd.Stdin = os.Stdin, and the
// script's stdin must stay ours. Returns the real stdin.
func detachStdin() *os.File {
	real := os.Stdin
	if null, err := os.Open(os.DevNull); err == nil {
		os.Stdin = null
	}
	return real
}

// stopOnSignals kills every started plugin on SIGINT/SIGTERM, so none is left behind.
func stopOnSignals() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		got := <-signals
		killAll()
		fmt.Fprintln(os.Stderr, "gohost: stopped by", got)
		os.Exit(130)
	}()
}

func main() { os.Exit(run()) }

func run() int {
	global := flag.NewFlagSet("gohost", flag.ContinueOnError)
	descriptors := global.String("descriptors", "", "serialized FileDescriptorSet of the runtime's protos")
	cmdline := global.String("cmd", "", "the plugin command line, run with bash -c (pythonPluginCmd)")
	dir := global.String("dir", "", "working folder of the plugin (the wrapper's folder)")
	verbose := global.Bool("v", false, "go-plugin debug log on stderr")
	logPath := global.String("log", "", "write the python-plugin log (what the loader prints) to this file, not stderr")
	logLevel := global.String("log-level", "info", "level of the python-plugin log (the loader's [wrapper] log.level)")
	env := pairs{}
	global.Var(env, "env", "K=V added to the environment the plugin inherits (repeatable)")
	if err := global.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if *descriptors == "" || *cmdline == "" || global.NArg() == 0 {
		return usage("-descriptors, -cmd and a mode are required")
	}
	w, err := loadWire(*descriptors)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gohost:", err)
		return 1
	}
	for k, v := range env {
		os.Setenv(k, v)
	}
	stdin := detachStdin()
	stopOnSignals()
	cfg := hostConfig{cmdline: *cmdline, dir: *dir, verbose: *verbose, wire: w, level: *logLevel}
	if *logPath != "" {
		file, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gohost:", err)
			return 1
		}
		defer file.Close()
		cfg.log = file
	}
	mode, rest := global.Arg(0), global.Args()[1:]
	switch mode {
	case "script":
		return runScript(cfg, stdin, os.Stdout)
	case "bench":
		return benchMain(cfg, rest)
	case "cold":
		return coldMain(cfg, rest)
	default:
		return usage("unknown mode " + mode)
	}
}

func benchMain(cfg hostConfig, args []string) int {
	flags := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := benchOptions{params: pairs{}, config: pairs{}}
	flags.IntVar(&o.count, "count", 1000, "measured requests")
	flags.IntVar(&o.size, "size", 1024, "payload bytes")
	flags.IntVar(&o.warmup, "warmup", 100, "requests before measuring")
	flags.IntVar(&o.concurrency, "concurrency", 1, "goroutines sharing the one connection")
	flags.BoolVar(&o.raw, "raw", false, "print every latency too")
	flags.BoolVar(&o.anyResult, "any-result", false, "accept any successful result (params make the wrapper answer other bytes)")
	timeout := flags.Float64("timeout_s", 30, "per request")
	profile := flags.String("cpuprofile", "", "write gohost's own CPU profile of the measured requests here")
	procs := flags.Int("procs", 0, "GOMAXPROCS for the driver (0: 1 when -concurrency is 1, else Go's default)")
	flags.Var(pairs(o.params), "param", "K=V request param (repeatable)")
	flags.Var(pairs(o.config), "config", "K=V wrapperInit config (repeatable)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if o.count < 1 || o.size < 0 || o.warmup < 0 || o.concurrency < 1 {
		return usage("bench: -count and -concurrency must be >= 1, -size and -warmup >= 0")
	}
	o.timeout = time.Duration(*timeout * float64(time.Second))
	o.profile = *profile
	switch {
	case *procs > 0:
		runtime.GOMAXPROCS(*procs)
	case o.concurrency == 1:
		runtime.GOMAXPROCS(1) // sequential: no idle Ps spinning on every wake-up, about half the CPU per request
	}
	out, status := runBench(cfg, o)
	printJSON(out)
	return status
}

func coldMain(cfg hostConfig, args []string) int {
	flags := flag.NewFlagSet("cold", flag.ContinueOnError)
	runs := flags.Int("runs", 5, "starts")
	config := pairs{}
	flags.Var(config, "config", "K=V wrapperInit config (repeatable)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 {
		return usage("cold: -runs must be >= 1")
	}
	out, status := runCold(cfg, *runs, config)
	printJSON(out)
	return status
}
