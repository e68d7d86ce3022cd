"""The built-in HTTP/2 transport alone, for a before/after comparison of a change to ``aiges.grpc.h2``.

Two parts, both printed as one JSON line:

- ``server``: our ``aiges.serve`` (the trivial echo wrapper) driven by the tests' Go loader stand-in
  over loopback, ``--count`` sequential 1 KB once requests and ``--big`` 10 MB ones: requests/s,
  p50, and the server's CPU per request (``/proc``);
- ``protocol``: when the runtime has ``aiges.grpc.h2.protocol``, the sans-IO protocol object fed a
  recorded request stream in memory (no sockets, no threads): microseconds per request.

``--runtime`` picks the runtime folder (the one holding ``aiges/``), so the same script measures an
older checkout: ``python benchmarks/h2_bench.py --runtime /path/to/old/{{cookiecutter.project_name}}/wrapper``.
Numbers are never asserted anywhere.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
DEFAULT_RUNTIME = ROOT / "{{cookiecutter.project_name}}" / "wrapper"
RENDERED_ARGS = ["-c", "from aiges.serve import run; run()"]
BIG = 10 * 1024 * 1024


def server(runtime: Path, python: str, count: int, big: int) -> Dict[str, Any]:
    sys.path[:0] = [str(runtime), str(ROOT / "tests" / "grpc")]
    import gohost  # the tests' Go host (tests/grpc/gohost)

    env = dict(os.environ)
    for name in ("PYTHONPATH", "AIGES_LOG_LEVEL", "AIGES_TRANSPORT"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(runtime)
    command = " ".join([python, *("'%s'" % arg for arg in RENDERED_ARGS)])
    with tempfile.TemporaryDirectory(prefix="aiges-h2-bench-") as scratch:
        wrapper_dir = os.path.join(scratch, "wrapper")
        shutil.copytree(str(BENCH / "wrappers" / "trivial"), wrapper_dir)
        small = gohost.bench(command, wrapper_dir, env, count=count, size=1024, warmup=min(300, count // 10))
        result = {
            "rps": round(small["rps"], 1),
            "p50_ms": small["p50_ms"],
            "p99_ms": small["p99_ms"],
            "server_cpu_us_per_request": small.get("server_cpu_us_per_request"),
        }
        if big:
            large = gohost.bench(command, wrapper_dir, env, count=big, size=BIG, warmup=0)
            result["p50_ms_10mb"] = large["p50_ms"]
    return result


def protocol(runtime: Path, requests: int) -> Optional[Dict[str, Any]]:
    """The protocol object alone: a client's preface, then ``requests`` unary gRPC requests (HEADERS +
    DATA each, as python-hyper h2 writes them), fed in 64 KB chunks; each answered with headers,
    a message and trailers."""
    sys.path.insert(0, str(runtime))
    try:
        from aiges.grpc.h2 import hpack
        from aiges.grpc.h2 import protocol as h2protocol
    except ImportError:
        return None
    import h2.config
    import h2.connection
    import h2.settings

    headers = [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/aiges.WrapperService/wrapperOnceExec"),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ]
    body = b"\0" + (1024).to_bytes(4, "big") + b"x" * 1024
    response = hpack.encode([(":status", "200"), ("content-type", "application/grpc")])
    trailers = hpack.encode([("grpc-status", "0")])

    def serve(server_side: Any, data: bytes) -> bytes:
        """What the server side answers to ``data``: each complete request gets its response."""
        for event in server_side.receive(data):
            if isinstance(event, h2protocol.DataReceived) and event.end_stream:
                server_side.send(event.stream, response, body, trailers)
        return server_side.data_to_send()

    # Record what a client sends, answered as it goes (so its streams close) by a first protocol object.
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    client.local_settings = h2.settings.Settings(client=True, initial_values={4: 2**31 - 1})
    client.initiate_connection()
    client.increment_flow_control_window(2**31 - 1 - 65535)  # the answers need no WINDOW_UPDATE
    recorder = h2protocol.ServerProtocol()
    recorder.initiate()
    client.receive_data(recorder.data_to_send())  # our SETTINGS and window: the requests fit
    wire = []
    for batch in range(0, requests, 500):
        for _ in range(min(500, requests - batch)):
            stream_id = client.get_next_available_stream_id()
            client.send_headers(stream_id, headers)
            client.send_data(stream_id, body, end_stream=True)
        sent = client.data_to_send()
        wire.append(sent)
        client.receive_data(serve(recorder, sent))
    recorded = b"".join(wire)
    chunks = [recorded[start : start + 65536] for start in range(0, len(recorded), 65536)]
    started = time.process_time()
    server_side = h2protocol.ServerProtocol()
    server_side.initiate()
    sent = 0
    for chunk in chunks:
        sent += len(serve(server_side, chunk))
    seconds = time.process_time() - started
    return {"requests": requests, "us_per_request": round(seconds / requests * 1e6, 2), "bytes_out": sent}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", default=str(DEFAULT_RUNTIME), help="the folder holding aiges/")
    parser.add_argument("--python", default=sys.executable, help="the server's interpreter")
    parser.add_argument("--count", type=int, default=3000, help="sequential 1 KB requests (0: skip the server)")
    parser.add_argument("--big", type=int, default=3, help="10 MB requests")
    parser.add_argument("--protocol", type=int, default=20000, help="requests fed to the protocol object (0: skip)")
    args = parser.parse_args(argv)
    runtime = Path(args.runtime).resolve()
    out: Dict[str, Any] = {"runtime": str(runtime)}
    if args.count:
        out["server"] = server(runtime, args.python, args.count, args.big)
    if args.protocol:
        out["protocol"] = protocol(runtime, args.protocol)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
