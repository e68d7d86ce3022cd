package main

// script mode: one JSON operation per stdin line, one JSON answer per stdout line (contract in main.go).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// operation is one stdin line. Unknown fields are refused, so a typo is an error, not a default.
type operation struct {
	Op        string            `json:"op"`
	ID        json.RawMessage   `json:"id,omitempty"`
	Service   *string           `json:"service,omitempty"`
	Config    map[string]string `json:"config,omitempty"`
	ServiceID *string           `json:"service_id,omitempty"`
	Tag       string            `json:"tag,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	List      []Node            `json:"list,omitempty"`
	Sid       string            `json:"sid,omitempty"`
	Handle    string            `json:"handle,omitempty"`
	Max       int               `json:"max,omitempty"`
	TimeoutS  float64           `json:"timeout_s,omitempty"`
	Ops       []json.RawMessage `json:"ops,omitempty"`
}

type answer map[string]interface{}

// message is a streamed Response as JSON.
type message struct {
	Tag  string `json:"tag"`
	Ret  int64  `json:"ret"`
	List []Node `json:"list"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (o *operation) timeout(fallback time.Duration) time.Duration {
	if o.TimeoutS > 0 {
		return time.Duration(o.TimeoutS * float64(time.Second))
	}
	return fallback
}

func toMessage(a arrival) message {
	return message{Tag: getString(a.msg, "tag"), Ret: getInt(a.msg, "ret"), List: readNodes(a.msg)}
}

func copyParams(params map[string]string) map[string]string {
	out := make(map[string]string, len(params)+1)
	for k, v := range params {
		out[k] = v
	}
	return out
}

// unlessFailed drops the zero values of a failed call: its answer is just the error.
func unlessFailed(a answer, err error) (answer, error) {
	if err != nil {
		return nil, err
	}
	return a, nil
}

func decodeOperation(line []byte) (*operation, error) {
	decoder := json.NewDecoder(bytes.NewReader(line))
	decoder.DisallowUnknownFields()
	var op operation
	if err := decoder.Decode(&op); err != nil {
		return nil, fmt.Errorf("bad operation: %v", err)
	}
	return &op, nil
}

// run performs one operation; every failure becomes {"error": ...} in the answer.
func (h *host) run(op *operation) answer {
	out, err := h.dispatch(op)
	if out == nil {
		out = answer{}
	}
	if err != nil {
		out["error"] = err.Error()
	}
	out["op"] = op.Op
	if len(op.ID) > 0 {
		out["id"] = op.ID
	}
	return out
}

func (h *host) dispatch(op *operation) (answer, error) {
	const unary = 30 * time.Second
	switch op.Op {
	case "health":
		service := "plugin"
		if op.Service != nil {
			service = *op.Service
		}
		status, err := h.health(service, op.timeout(unary))
		return unlessFailed(answer{"status": status}, err)
	case "init":
		ret, err := h.init(op.Config, op.timeout(120*time.Second))
		return unlessFailed(answer{"ret": ret}, err)
	case "schema":
		serviceID := "svcName"
		if op.ServiceID != nil {
			serviceID = *op.ServiceID
		}
		schema, err := h.schema(serviceID, op.timeout(unary))
		return unlessFailed(answer{"schema": schema}, err)
	case "once":
		return h.runOnce(op)
	case "create":
		return h.runCreate(op)
	case "write":
		ret, err := h.write(op.Handle, op.Sid, op.Tag, op.List, op.timeout(unary))
		return unlessFailed(answer{"ret": ret}, err)
	case "collect":
		return h.runCollect(op)
	case "destroy":
		ret, err := h.destroy(op.Handle, op.timeout(unary))
		return unlessFailed(answer{"ret": ret}, err)
	case "shutdown":
		report := h.kill()
		return answer{"exited": report.Exited, "seconds": report.Seconds, "exit": report.Exit,
			"communicate": h.router.endState()}, nil
	case "parallel":
		return h.runParallel(op)
	default:
		return nil, fmt.Errorf("unknown op %q", op.Op)
	}
}

func (h *host) runOnce(op *operation) (answer, error) {
	params := copyParams(op.Params)
	if _, ok := params["sid"]; !ok {
		params["sid"] = op.Tag // the loader's sid is the request's tag
	}
	result, err := h.once(h.cfg.wire.newRequest(op.Tag, params, op.List), op.Tag, op.timeout(30*time.Second))
	if err != nil {
		return answer{"tag": op.Tag, "unary_ret": result.unaryRet}, err
	}
	got := toMessage(arrival{msg: result.msg})
	return answer{"tag": got.Tag, "ret": got.Ret, "list": got.List, "elapsed_ms": ms(result.latency),
		"unary_ret": result.unaryRet}, nil
}

func (h *host) runCreate(op *operation) (answer, error) {
	params := copyParams(op.Params)
	sid := op.Sid
	if sid == "" {
		sid = params["sid"]
	}
	if _, ok := params["sid"]; !ok {
		params["sid"] = sid
	}
	tag := op.Tag
	if tag == "" {
		tag = sid
	}
	handle, code, err := h.create(params, sid, tag, op.timeout(30*time.Second))
	return unlessFailed(answer{"handle": handle, "err_code": code}, err)
}

func (h *host) runCollect(op *operation) (answer, error) {
	started := time.Now()
	got, err := h.collect(op.Tag, op.Max, op.timeout(30*time.Second))
	messages := make([]message, len(got))
	for i, a := range got {
		messages[i] = toMessage(a)
	}
	if err == nil && op.Max <= 0 {
		h.router.forget(op.Tag)
	}
	return answer{"tag": op.Tag, "messages": messages, "elapsed_ms": ms(time.Since(started))}, err
}

// runParallel runs "ops" at the same time on the one connection; answers come back in order.
func (h *host) runParallel(op *operation) (answer, error) {
	results := make([]answer, len(op.Ops))
	var wg sync.WaitGroup
	for i, raw := range op.Ops {
		inner, err := decodeOperation(raw)
		if err != nil {
			results[i] = answer{"error": err.Error()}
			continue
		}
		wg.Add(1)
		go func(i int, inner *operation) {
			defer wg.Done()
			results[i] = h.run(inner)
		}(i, inner)
	}
	wg.Wait()
	return answer{"results": results}, nil
}

// runScript answers stdin line by line until EOF, then stops the plugin (Kill, as the loader does).
func runScript(cfg hostConfig, in io.Reader, out io.Writer) int {
	writer := bufio.NewWriter(out)
	encoder := json.NewEncoder(writer)
	encoder.SetEscapeHTML(false)
	emit := func(a answer) {
		_ = encoder.Encode(a)
		_ = writer.Flush()
	}
	h, err := startHost(cfg)
	if err != nil {
		emit(answer{"ready": false, "error": err.Error()})
		return 1
	}
	defer h.kill()
	emit(answer{"ready": true, "startup_ms": ms(h.startup), "dial_ms": ms(h.dial), "connect_ms": ms(h.connect),
		"address": h.address, "pid": h.pid})
	reader := bufio.NewReaderSize(in, 1<<20)
	for {
		line, err := reader.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			op, problem := decodeOperation(line)
			if problem != nil {
				emit(answer{"error": problem.Error()})
			} else {
				emit(h.run(op))
			}
		}
		if err != nil {
			if err != io.EOF {
				fmt.Fprintln(os.Stderr, "gohost: reading stdin:", err)
			}
			return 0
		}
	}
}
