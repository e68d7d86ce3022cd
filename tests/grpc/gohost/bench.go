package main

// bench and cold modes: load driving whose own cost per request is small next to the server's.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type benchOptions struct {
	count, size, warmup, concurrency int
	raw, anyResult                   bool // anyResult: the wrapper does not echo (only ret 0 is checked)
	profile                          string
	params, config                   map[string]string
	timeout                          time.Duration
}

// benchWorker sends its share of once requests one after the other, like one loader goroutine.
type benchWorker struct {
	h       *host
	id      int
	payload []byte
	params  map[string]string
	echo    bool // the result must be the request's bytes
	timeout time.Duration
	latency []time.Duration
	errors  int
	first   string
	seq     int // tags are never reused, even across warm-up and measurement
}

func (w *benchWorker) fail(message string) {
	w.errors++
	if w.first == "" {
		w.first = message
	}
}

// request sends the next request and checks that the echo wrapper answered the same bytes;
// false after a failure.
func (w *benchWorker) request(record bool) bool {
	w.seq++
	tag := "b" + strconv.Itoa(w.id) + "-" + strconv.Itoa(w.seq)
	if len(w.payload) >= 8 {
		binary.LittleEndian.PutUint64(w.payload, uint64(w.seq)) // every request distinct
	}
	params := make(map[string]string, len(w.params)+1)
	for k, v := range w.params {
		params[k] = v
	}
	params["sid"] = tag
	req := w.h.cfg.wire.newRequest(tag, params, []Node{{Key: "text", Data: w.payload}})
	result, err := w.h.once(req, tag, w.timeout)
	switch {
	case err != nil:
		w.fail(err.Error())
	case getInt(result.msg, "ret") != 0:
		w.fail(fmt.Sprintf("tag %s: ret %d", tag, getInt(result.msg, "ret")))
	case w.echo && !bytes.Equal(firstData(result.msg), w.payload):
		w.fail(fmt.Sprintf("tag %s: the echo differs from the request", tag))
	default:
		if record {
			w.latency = append(w.latency, result.latency)
		}
		return true
	}
	return false
}

// spread runs total requests over the workers at once; returns the wall time. A worker stops at its
// first failure: the numbers are void anyway, and a wedged server must not cost count x timeout.
func spread(workers []*benchWorker, total int, record bool) time.Duration {
	var wg sync.WaitGroup
	started := time.Now()
	for n, w := range workers {
		share := total / len(workers)
		if n < total%len(workers) {
			share++
		}
		wg.Add(1)
		go func(w *benchWorker, share int) {
			defer wg.Done()
			for i := 0; i < share && w.request(record); i++ {
			}
		}(w, share)
	}
	wg.Wait()
	return time.Since(started)
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	index := int(p*float64(len(sorted))+0.999999) - 1
	if index < 0 {
		index = 0
	}
	if index >= len(sorted) {
		index = len(sorted) - 1
	}
	return ms(sorted[index])
}

// ownCPU is gohost's own user+system CPU time (all threads): what driving the load costs.
func ownCPU() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func startProfile(path string) (func(), error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(file); err != nil {
		file.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); file.Close() }, nil
}

// prepare does what the loader does before the first request: health, then wrapperInit.
func prepare(h *host, config map[string]string) error {
	status, err := h.health("plugin", 30*time.Second)
	if err != nil {
		return fmt.Errorf("health: %v", err)
	}
	if status != "SERVING" {
		return fmt.Errorf("health: %s", status)
	}
	ret, err := h.init(config, 120*time.Second)
	if err != nil {
		return fmt.Errorf("wrapperInit: %v", err)
	}
	if ret != 0 {
		return fmt.Errorf("wrapperInit answered ret %d", ret)
	}
	return nil
}

func runBench(cfg hostConfig, o benchOptions) (answer, int) {
	h, err := startHost(cfg)
	if err != nil {
		return answer{"error": err.Error()}, 1
	}
	defer h.kill()
	if err := prepare(h, o.config); err != nil {
		return answer{"error": err.Error()}, 1
	}
	workers := make([]*benchWorker, o.concurrency)
	random := rand.New(rand.NewSource(1))
	for i := range workers {
		payload := make([]byte, o.size)
		random.Read(payload)
		workers[i] = &benchWorker{h: h, id: i, payload: payload, params: o.params, echo: !o.anyResult, timeout: o.timeout,
			latency: make([]time.Duration, 0, o.count/o.concurrency+1)}
	}
	spread(workers, o.warmup, false)
	for _, w := range workers {
		if w.errors > 0 {
			return answer{"error": "warm-up: " + w.first, "shutdown": h.kill()}, 1
		}
	}
	if o.profile != "" {
		stop, err := startProfile(o.profile)
		if err != nil {
			return answer{"error": err.Error()}, 1
		}
		defer stop()
	}
	server := pluginProcess(h.pid)
	serverBefore, serverOK := processCPU(server)
	rssBefore, rssBeforeOK := processMemory(server, "VmRSS:")
	cpuBefore := ownCPU()
	wall := spread(workers, o.count, true)
	cpu := ownCPU() - cpuBefore
	serverAfter, serverOK2 := processCPU(server)

	var all []time.Duration
	errors, first := 0, ""
	for _, w := range workers {
		all = append(all, w.latency...)
		errors += w.errors
		if first == "" {
			first = w.first
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	var total time.Duration
	for _, d := range all {
		total += d
	}
	out := answer{"count": o.count, "completed": len(all), "concurrency": o.concurrency, "size": o.size, "warmup": o.warmup,
		"seconds": wall.Seconds(), "rps": float64(len(all)) / wall.Seconds(),
		"p50_ms": percentile(all, 0.50), "p90_ms": percentile(all, 0.90), "p99_ms": percentile(all, 0.99),
		"min_ms": percentile(all, 0), "max_ms": percentile(all, 1), "errors": errors,
		"startup_ms": ms(h.startup), "host_cpu_seconds": cpu.Seconds(), "procs": runtime.GOMAXPROCS(0),
	}
	if len(all) > 0 {
		out["mean_ms"] = ms(total / time.Duration(len(all)))
		out["host_cpu_us_per_request"] = float64(cpu.Microseconds()) / float64(len(all))
		if serverOK && serverOK2 {
			out["server_cpu_us_per_request"] = float64((serverAfter - serverBefore).Microseconds()) / float64(len(all))
		}
	}
	if rss, ok := processMemory(server, "VmRSS:"); ok {
		out["server_rss_mb"] = rss
		out["server_requests"] = o.warmup + len(all)
	}
	if peak, ok := processMemory(server, "VmHWM:"); ok && rssBeforeOK {
		out["server_peak_mb"] = peak // the most resident memory the server ever had
		out["server_rss_before_mb"] = rssBefore
	}
	if first != "" {
		out["first_error"] = first
	}
	if o.raw {
		raw := make([]float64, len(all))
		for i, d := range all {
			raw[i] = ms(d)
		}
		out["latencies_ms"] = raw
	}
	out["shutdown"] = h.kill()
	if errors > 0 {
		return out, 1
	}
	return out, 0
}

// coldRun is one start: spawn to handshake, spawn to the first result, and the stop.
type coldRun struct {
	HandshakeMs   float64    `json:"handshake_ms"`
	FirstResultMs float64    `json:"first_result_ms"`
	Shutdown      killReport `json:"shutdown"`
	Error         string     `json:"error,omitempty"`
}

func coldOnce(cfg hostConfig, config map[string]string) coldRun {
	started := time.Now()
	h, err := startHost(cfg)
	if err != nil {
		return coldRun{Error: err.Error()}
	}
	run := coldRun{HandshakeMs: ms(h.startup)}
	err = prepare(h, config)
	if err == nil {
		req := cfg.wire.newRequest("cold", map[string]string{"sid": "cold"}, []Node{{Key: "text", Data: []byte("hello")}})
		var result onceResult
		result, err = h.once(req, "cold", 60*time.Second)
		if err == nil && getInt(result.msg, "ret") != 0 {
			err = fmt.Errorf("ret %d", getInt(result.msg, "ret"))
		}
	}
	run.FirstResultMs = ms(time.Since(started))
	if err != nil {
		run.Error = err.Error()
	}
	run.Shutdown = h.kill()
	return run
}

func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := append([]float64(nil), values...)
	sort.Float64s(sorted)
	middle := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[middle]
	}
	return (sorted[middle-1] + sorted[middle]) / 2
}

func runCold(cfg hostConfig, runs int, config map[string]string) (answer, int) {
	results := make([]coldRun, 0, runs)
	var handshakes, firsts []float64
	errors := 0
	for i := 0; i < runs; i++ {
		run := coldOnce(cfg, config)
		results = append(results, run)
		if run.Error != "" {
			errors++
			continue
		}
		handshakes = append(handshakes, run.HandshakeMs)
		firsts = append(firsts, run.FirstResultMs)
	}
	out := answer{"runs": results, "median_handshake_ms": median(handshakes),
		"median_first_result_ms": median(firsts), "errors": errors}
	if errors > 0 {
		return out, 1
	}
	return out, 0
}

// pluginProcess is the plugin's own process: bash -c usually execs the command, else it is bash's child.
func pluginProcess(pid int) int {
	if pid <= 0 {
		return pid
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err == nil && !strings.HasSuffix(exe, "/bash") && !strings.HasSuffix(exe, "/sh") {
		return pid
	}
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return pid
	}
	fields := strings.Fields(string(children))
	if len(fields) == 0 {
		return pid
	}
	child, err := strconv.Atoi(fields[0])
	if err != nil {
		return pid
	}
	return child
}

// processCPU is the user + system CPU time a process has used (all its threads), from /proc.
func processCPU(pid int) (time.Duration, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	text := string(stat)
	fields := strings.Fields(text[strings.LastIndex(text, ")")+1:])
	if len(fields) < 13 {
		return 0, false
	}
	user, err1 := strconv.ParseInt(fields[11], 10, 64)
	system, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(user+system) * time.Second / ticksPerSecond, true
}

// processMemory is one of a process's memory figures in MB ("VmRSS:", "VmHWM:"), from /proc.
func processMemory(pid int, field string) (float64, bool) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, field) {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				kb, err := strconv.ParseFloat(fields[1], 64)
				if err == nil {
					return kb / 1024, true
				}
			}
		}
	}
	return 0, false
}
