"""gRPC plugin benchmark: our ``aiges.serve`` vs the vendor's vs a bare grpcio floor vs a Go plugin.

All four are driven by the same fake loader, the tests' Go host (``tests/grpc/gohost``: a hashicorp
go-plugin host on grpc-go, the libraries AIservice itself uses), over loopback, with the same trivial
echo wrapper for ours and the vendor's (``benchmarks/wrappers/trivial``) and its Go twin in the Go
plugin (``tests/grpc/goplugin``: go-plugin's own gRPC server, the least a plugin can cost), which ours
is also compared with over TCP and over a unix socket. The vendor SDK is installed into
``benchmarks/.venv-vendor`` on first use (Python 3.9 when available).

    python benchmarks/grpc_bench.py            # full run (a few minutes on 2 cores)
    python benchmarks/grpc_bench.py --quick    # smaller counts, for a smoke check

Writes ``benchmarks/results/grpc.json`` and ``grpc.md``; numbers are never asserted anywhere.
"""

import argparse
import functools
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
RUNTIME_PARENT = ROOT / "{{cookiecutter.project_name}}" / "wrapper"
sys.path[:0] = [str(RUNTIME_PARENT), str(ROOT / "tests" / "grpc"), str(BENCH)]

import fakehost  # noqa: E402
import gohost  # noqa: E402
import goplugin  # noqa: E402
import vendor_env  # noqa: E402

FULL = {
    "cold": 9,
    "rounds": 3,
    "sequential": 10000,
    "warmup": 300,
    "big_runs": 10,
    "huge_runs": 3,
    "clients": 32,
    "per_client": 20,
    "throughput": 10000,
}
QUICK = {
    "cold": 3,
    "rounds": 2,
    "sequential": 2000,
    "warmup": 100,
    "big_runs": 3,
    "huge_runs": 1,
    "clients": 32,
    "per_client": 5,
    "throughput": 2000,
}
MB = 1024 * 1024
# Payloads the size inference carries: (results key, label, request bytes, trivial-wrapper params, runs count).
PAYLOADS = [
    ("payload_1mb", "1 MB echo", MB, {}, "big_runs"),
    ("payload_10mb", "10 MB echo", 10 * MB, {}, "big_runs"),
    ("result_10mb", "1 KB request, 10 MB result", 1024, {"reply_bytes": str(10 * MB)}, "big_runs"),
    ("request_100mb", "100 MB request, small result", 100 * MB, {"reply": "size"}, "huge_runs"),
]
SLEEP_MS = 5
SCALED_WORKERS = 16  # ours, concurrency raised with --workers (the vendor's is fixed at CPU count - 1)
# What the generated project's aiges.toml tells the loader to run (aiges.tools.render.options.PLUGIN_CMD).
RENDERED_ARGS = ["-c", "from aiges.serve import run; run()"]
IDLE_CONNECTIONS = 300
IDLE_SETTLE = 5.0  # seconds the idle connections sit before the count (ours parks a quiet one after 2 s)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # + an empty SETTINGS
OTHERS = ("vendor", "floor", "go")  # what ours is compared with, in the table's order
NETWORKS = ("tcp", "unix")  # ours vs the Go plugin: over each (AIGES_LISTEN, which both read)
THROUGHPUT_CLIENTS = (4, 32)
# The throughput ceilings, a third table: what else serves these clients, on its default network.
CEILINGS = ("ours", "floor", "go1", "go")
CEILING_COLUMNS = {"ours": "ours", "floor": "floor (bare grpcio)", "go1": "Go plugin, one core", "go": "Go plugin"}
THROUGHPUT_GOAL = 0.9  # ours/Go, the goal of the 4 and 32 client rows
# Ours vs the Go plugin: (metric, path in the results, better, goal for ours/Go: "<=" or ">=" and a bound).
VERSUS_GO = [
    ("sequential 1 KB once, p50 latency (ms)", ("sequential_1kb", "p50_ms"), "lower", ("<=", 1.3)),
    ("sequential 1 KB once, p99 latency (ms)", ("sequential_1kb", "p99_ms"), "lower", None),
    ("sequential 1 KB once, requests/s", ("sequential_1kb", "rps"), "higher", None),
    (
        "sequential 1 KB once, server CPU per request (\u00b5s)",
        ("sequential_1kb", "server_cpu_us_per_request"),
        "lower",
        ("<=", 1.5),
    ),
    *[
        (
            "%d concurrent clients, 1 KB once, requests/s" % clients,
            ("clients_%d" % clients, "rps"),
            "higher",
            (">=", 0.9),
        )
        for clients in THROUGHPUT_CLIENTS
    ],
]


def _env(with_runtime: bool) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("AIGES_LOG_LEVEL", None)
    env.pop("AIGES_TRANSPORT", None)
    env.pop("AIGES_LISTEN", None)  # each server's own default network (ours and the Go plugin: a unix socket)
    if with_runtime:
        env["PYTHONPATH"] = str(RUNTIME_PARENT)
    return env


def _command(python: str, *args: str) -> str:
    return " ".join(shlex.quote(part) for part in (python, *args))


def targets(python: str, vendor_python: Optional[str]) -> List[Dict[str, Any]]:
    """Ours and the floor run on ``python`` (by default the vendor venv's: same interpreter and protobuf
    for the three Python servers; our runtime comes first on PYTHONPATH, ahead of the installed vendor SDK).
    Ours is started with the command the generated aiges.toml gives the loader."""
    found = [
        {"name": "ours", "command": _command(python, *RENDERED_ARGS), "env": _env(True)},
        {
            "name": "floor",
            "command": _command(python, str(BENCH / "floor_server.py")),
            "env": _env(True),
            "wrapper_free": True,
        },
        {"name": "go", "command": goplugin.command(), "env": _env(False)},
    ]
    if vendor_python:
        found.insert(1, {"name": "vendor", "command": _command(vendor_python, "-m", "aiges.serve"), "env": _env(False)})
    return found


def _round_robin(
    chosen: List[Dict[str, Any]], rounds: int, measure: Callable[[Dict[str, Any]], Any]
) -> Dict[str, List[Any]]:
    """``measure(target)`` for every target in turn, ``rounds`` times, so machine noise hits all alike."""
    samples: Dict[str, List[Any]] = {target["name"]: [] for target in chosen}
    for _ in range(rounds):
        for target in chosen:
            samples[target["name"]].append(measure(target))
    return samples


def bench(chosen: List[Dict[str, Any]], wrapper_dir: str, counts: Dict[str, int], python: str) -> Dict[str, Any]:
    results: Dict[str, Dict[str, Any]] = {t["name"]: {"command": t["command"]} for t in chosen}
    module_form = {
        "name": "ours (python -m aiges.serve)",
        "command": _command(python, "-m", "aiges.serve"),
        "env": _env(True),
    }

    print("bench: cold starts", file=sys.stderr)
    cold_targets = [*chosen, module_form]
    _round_robin(cold_targets, 1, lambda t: gohost.cold(t["command"], wrapper_dir, t["env"], runs=1))  # warm caches
    colds = _round_robin(
        cold_targets, counts["cold"], lambda t: gohost.cold(t["command"], wrapper_dir, t["env"], runs=1)["runs"][0]
    )
    for name, runs in colds.items():
        summary = {
            "median_ms": statistics.median(r["handshake_ms"] for r in runs),
            "min_ms": min(r["handshake_ms"] for r in runs),
            "ready_median_ms": statistics.median(r["first_result_ms"] for r in runs),
            "runs": len(runs),
        }
        if name == module_form["name"]:
            results["ours"]["cold_start_module"] = summary
        else:
            results[name]["cold_start"] = summary

    print("bench: sequential 1 KB", file=sys.stderr)
    runs = _round_robin(chosen, counts["rounds"], functools.partial(_one_at_a_time, wrapper_dir, counts))
    for name, found in runs.items():
        results[name]["sequential_1kb"] = _sequential(found)
        results[name]["rss_mb_after"] = found[-1].get("server_rss_mb")
        results[name]["rss_after_requests"] = found[-1].get("server_requests")

    for key, label, size, params, runs in PAYLOADS:
        print("bench: %s" % label, file=sys.stderr)
        for target in chosen:
            if params and target["name"] == "go":  # the Go plugin only echoes
                continue
            results[target["name"]][key] = _payload(target, wrapper_dir, size, params, max(1, counts[runs]))

    for target in chosen:
        if target.get("wrapper_free"):  # the floor runs no wrapper: nothing to wait for
            continue
        print("bench: concurrent %s" % target["name"], file=sys.stderr)
        results[target["name"]]["concurrent"] = _concurrent(target["command"], wrapper_dir, target["env"], counts)
    for target in chosen:
        print("bench: %d idle connections, %s" % (IDLE_CONNECTIONS, target["name"]), file=sys.stderr)
        results[target["name"]]["idle_connections"] = _idle(target, wrapper_dir)
    ours = next(target for target in chosen if target["name"] == "ours")
    results["ours"]["concurrent_scaled"] = _concurrent(
        ours["command"] + " --workers %d" % SCALED_WORKERS, wrapper_dir, ours["env"], counts
    )
    results["ours"]["concurrent_scaled"]["workers"] = SCALED_WORKERS
    if any(target["name"] == "go" for target in chosen):
        go = next(t for t in chosen if t["name"] == "go")
        results["versus_go"] = versus_go(ours, go, wrapper_dir, counts)
        floor = next((t for t in chosen if t["name"] == "floor"), None)
        results["ceilings"] = ceilings(ours, floor, go, wrapper_dir, counts)
    return results


def ceilings(
    ours: Dict[str, Any], floor: Optional[Dict[str, Any]], go: Dict[str, Any], wrapper_dir: str, counts: Dict[str, int]
) -> Dict[str, Dict[str, Any]]:
    """How far concurrent throughput can go on this machine: the 4 and 32 client rows for ours, the bare
    grpcio floor (a Python server whose HTTP/2 is grpcio's C core) and the Go plugin on one core
    (GOMAXPROCS=1: what one core does for a server that needs no interpreter) beside the Go plugin, with
    each one's server CPU per request. One core at 0.9x the Go plugin's rate leaves at most
    1e6 / (0.9 x Go's requests/s) microseconds of CPU per request. ``{"clients_N": {name: {...}}}``."""
    variants = [dict(ours)]
    if floor is not None:
        variants.append(dict(floor))
    variants += [dict(go, name="go1", command="GOMAXPROCS=1 " + go["command"]), dict(go)]
    found: Dict[str, Dict[str, Any]] = {}
    for clients in THROUGHPUT_CLIENTS:
        print("bench: throughput ceilings, %d clients" % clients, file=sys.stderr)
        samples = _round_robin(variants, counts["rounds"], functools.partial(_clients, wrapper_dir, counts, clients))
        found["clients_%d" % clients] = {name: _throughput(runs) for name, runs in samples.items()}
    return found


def _payload(target: Dict[str, Any], wrapper_dir: str, size: int, params: Dict[str, str], runs: int) -> Dict[str, Any]:
    """Once requests of ``size`` bytes on a fresh server: p50 latency, and the server's peak resident memory
    above what it held before the first of them, per request byte (how many copies of a payload it keeps
    at once); an error's status when the server refuses the size."""
    big = gohost.bench(
        target["command"],
        wrapper_dir,
        target["env"],
        count=runs,
        size=size,
        warmup=0,
        params=params,
        check=False,
        echo=not params,
    )
    if big.get("errors"):
        return {"error": _status_name(big.get("first_error", "")), "detail": big.get("first_error", "")}
    found = {"p50_ms": big["p50_ms"], "runs": big["completed"]}
    if big.get("server_peak_mb") is not None:
        above = big["server_peak_mb"] - big["server_rss_before_mb"]
        found.update(peak_above_mb=above, copies=above * 1024 * 1024 / max(size, 1))
    return found


def _sequential(found: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The rounds of one server's sequential runs (``gohost.bench(..., raw=True)``) as one sample."""
    latencies = sorted(value for run in found for value in run["latencies_ms"])
    seconds = sum(run["seconds"] for run in found)
    cpu = [run["server_cpu_us_per_request"] for run in found if "server_cpu_us_per_request" in run]
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        "mean_ms": statistics.mean(latencies),
        "rps_per_round": [run["rps"] for run in found],
        "server_cpu_us_per_request": statistics.mean(cpu) if cpu else None,
        "driver_cpu_us_per_request": statistics.mean(run["host_cpu_us_per_request"] for run in found),
    }


def versus_go(
    ours: Dict[str, Any], go: Dict[str, Any], wrapper_dir: str, counts: Dict[str, int]
) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """Ours and the Go plugin over TCP and over a unix socket, the four in one round robin: sequential
    1 KB once requests, and the throughput of 4 and 32 clients sharing the one connection (no wait in
    the wrapper). ``{network: {"ours": {...}, "go": {...}}}``."""
    variants = [
        {
            "name": "%s %s" % (target["name"], network),
            "command": target["command"],
            "env": dict(target["env"], AIGES_LISTEN=network),
            "target": target["name"],
            "network": network,
        }
        for network in NETWORKS
        for target in (ours, go)
    ]
    found = {network: {"ours": {"command": ours["command"]}, "go": {"command": go["command"]}} for network in NETWORKS}

    def store(key: str, samples: Dict[str, List[Any]], summary: Callable[[List[Any]], Any]) -> None:
        for variant in variants:
            found[variant["network"]][variant["target"]][key] = summary(samples[variant["name"]])

    print("bench: ours vs the Go plugin, sequential 1 KB over %s" % " and ".join(NETWORKS), file=sys.stderr)
    store(
        "sequential_1kb",
        _round_robin(variants, counts["rounds"], functools.partial(_one_at_a_time, wrapper_dir, counts)),
        _sequential,
    )
    for clients in THROUGHPUT_CLIENTS:
        print("bench: ours vs the Go plugin, %d clients" % clients, file=sys.stderr)
        store(
            "clients_%d" % clients,
            _round_robin(variants, counts["rounds"], functools.partial(_clients, wrapper_dir, counts, clients)),
            _throughput,
        )
    return found


def _one_at_a_time(wrapper_dir: str, counts: Dict[str, int], target: Dict[str, Any]) -> Dict[str, Any]:
    """Sequential 1 KB once requests, one at a time as the loader sends them, every latency kept."""
    return gohost.bench(
        target["command"],
        wrapper_dir,
        target["env"],
        count=counts["sequential"],
        size=1024,
        warmup=counts["warmup"],
        raw=True,
    )


def _clients(wrapper_dir: str, counts: Dict[str, int], clients: int, variant: Dict[str, Any]) -> Dict[str, Any]:
    """``clients`` goroutines sharing the loader's one connection, 1 KB once requests, no wait."""
    return gohost.bench(
        variant["command"],
        wrapper_dir,
        variant["env"],
        count=counts["throughput"],
        size=1024,
        warmup=counts["warmup"],
        concurrency=clients,
        check=False,
    )


def _throughput(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Concurrent runs of one server: all requests over all the time (None when any request failed)."""
    errors = sum(run.get("errors", 0) for run in runs)
    completed = sum(run.get("completed", 0) for run in runs)
    seconds = sum(run.get("seconds", 0.0) for run in runs)
    summary: Dict[str, Any] = {
        "requests": completed,
        "errors": errors,
        "rps": completed / seconds if seconds and not errors else None,
        "rps_per_round": [run.get("rps") for run in runs],
    }
    cpu = [run["server_cpu_us_per_request"] for run in runs if run.get("server_cpu_us_per_request")]
    summary["server_cpu_us_per_request"] = statistics.mean(cpu) if cpu else None
    if errors:
        summary["first_error"] = next(run.get("first_error") for run in runs if run.get("errors"))
    return summary


def _concurrent(command: str, wrapper_dir: str, env: Dict[str, str], counts: Dict[str, int]) -> Dict[str, Any]:
    """``clients`` goroutines sharing the loader's one connection, the wrapper waiting ``SLEEP_MS``."""
    found = gohost.bench(
        command,
        wrapper_dir,
        env,
        count=counts["clients"] * counts["per_client"],
        size=1024,
        warmup=counts["clients"],
        concurrency=counts["clients"],
        params={"sleep_ms": str(SLEEP_MS)},
        check=False,
    )
    return {"rps": found["rps"], "errors": found["errors"], "clients": counts["clients"], "sleep_ms": SLEEP_MS}


def _idle(target: Dict[str, Any], wrapper_dir: str) -> Dict[str, Any]:
    """Threads and resident memory of the server with ``IDLE_CONNECTIONS`` open HTTP/2 connections that
    sent their preface and then nothing (ours with its connection limit raised above that number)."""
    command = target["command"]
    if target["name"] == "ours":
        command += " --max-connections %d" % (IDLE_CONNECTIONS + 10)
    plugin = fakehost.Plugin(command, wrapper_dir, env=target["env"])
    plugin.start()
    sockets: List[socket.socket] = []
    try:
        pid = _server_pid(plugin.pid)
        time.sleep(1.0)
        before = _threads(pid), _rss_mb(pid)
        for _ in range(IDLE_CONNECTIONS):
            sock = _connect(plugin.network, plugin.address)
            sock.sendall(PREFACE)
            sockets.append(sock)
        time.sleep(IDLE_SETTLE)
        after = _threads(pid), _rss_mb(pid)
        served = plugin.connect().health() == "SERVING"  # and a newcomer is still served
    finally:
        for sock in sockets:
            sock.close()
        plugin.close()
    return {
        "connections": IDLE_CONNECTIONS,
        "threads": after[0],
        "threads_before": before[0],
        "rss_mb": after[1],
        "rss_mb_before": before[1],
        "still_served": served,
    }


def _connect(network: str, address: str) -> socket.socket:
    """A connection to the handshake's address: a unix socket's path, or "127.0.0.1:port"."""
    if network == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
        return sock
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)))


def _server_pid(pid: int) -> int:
    """The server process itself (``bash -c`` may not have exec'd it)."""
    with open("/proc/%d/comm" % pid) as comm:
        if comm.read().strip() == "bash":
            with open("/proc/%d/task/%d/children" % (pid, pid)) as children:
                return int(children.read().split()[0])
    return pid


def _threads(pid: int) -> int:
    return len(os.listdir("/proc/%d/task" % pid))


def _rss_mb(pid: int) -> float:
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(ordered: List[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _status_name(error: str) -> str:
    for name in ("RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "UNAVAILABLE", "INTERNAL", "UNKNOWN"):
        if name in error or name.title().replace("_", "") in error:
            return name
    return "error"


def _versions(python: str, prefix: str) -> Dict[str, str]:
    probe = (
        "import platform, google.protobuf as p\ntry:\n import grpc; g = grpc.__version__\nexcept ImportError:\n"
        " g = '-'\nprint(platform.python_version(), g, p.__version__)"
    )
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False).stdout.split()
    return dict(zip((prefix + "python", prefix + "grpcio", prefix + "protobuf"), found)) if len(found) == 3 else {}


def _driver() -> str:
    """The Go host's toolchain and libraries, as the Debian packages it is built from say."""

    def package(name: str) -> str:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", name], capture_output=True, text=True, check=False
        )
        return done.stdout.split("-")[0] if done.returncode == 0 else "?"

    go = subprocess.run(["go", "version"], capture_output=True, text=True, check=False).stdout.split()
    return "go-plugin %s, grpc-go %s, %s" % (
        package("golang-github-hashicorp-go-plugin-dev"),
        package("golang-google-grpc-dev"),
        go[2] if len(go) > 2 else "go ?",
    )


def _ratio(ours: Optional[float], other: Optional[float]) -> Optional[float]:
    if ours is None or other is None or other == 0:
        return None
    return ours / other


def _number(tree: Any, *path: str) -> Optional[float]:
    """The number at ``path`` in nested dicts (None when absent or not a number)."""
    for key in path:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree if isinstance(tree, (int, float)) and not isinstance(tree, bool) else None


def rows(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    """(metric, better, value per target, ratios) for the table."""
    requests = results.get("ours", {}).get("rss_after_requests") or 0
    specs = [
        ("sequential 1 KB once, requests/s", "higher", ("sequential_1kb", "rps")),
        ("sequential 1 KB once, p50 latency (ms)", "lower", ("sequential_1kb", "p50_ms")),
        ("sequential 1 KB once, p99 latency (ms)", "lower", ("sequential_1kb", "p99_ms")),
        (
            "sequential 1 KB once, server CPU per request (\u00b5s)",
            "lower",
            ("sequential_1kb", "server_cpu_us_per_request"),
        ),
        ("1 MB echo, p50 latency (ms)", "lower", ("payload_1mb", "p50_ms")),
        ("10 MB echo, p50 latency (ms)", "lower", ("payload_10mb", "p50_ms")),
        ("1 KB request, 10 MB result, p50 latency (ms)", "lower", ("result_10mb", "p50_ms")),
        ("100 MB request, small result, p50 latency (ms)", "lower", ("request_100mb", "p50_ms")),
        ("100 MB request: peak memory above idle, in payloads", "lower", ("request_100mb", "copies")),
        ("cold start to handshake, median (ms)", "lower", ("cold_start", "median_ms")),
        ("cold start to first result (init + 1 request), median (ms)", "lower", ("cold_start", "ready_median_ms")),
        ("RSS after %d requests (MB)" % requests, "lower", ("rss_mb_after",)),
        ("32 concurrent requests, wrapper waits %d ms, requests/s" % SLEEP_MS, "higher", ("concurrent", "rps")),
        ("%d idle connections: server threads" % IDLE_CONNECTIONS, "lower", ("idle_connections", "threads")),
        ("%d idle connections: RSS (MB)" % IDLE_CONNECTIONS, "lower", ("idle_connections", "rss_mb")),
    ]
    table = []
    for label, better, path in specs:
        values = {name: _number(results.get(name), *path) for name in ("ours", *OTHERS)}
        notes = {
            name: results[name][path[0]].get("error")
            for name in ("ours", *OTHERS)
            if isinstance(results.get(name, {}).get(path[0]), dict) and results[name][path[0]].get("error")
        }
        table.append(_row(label, better, values, notes))
        extra = None
        if path == ("cold_start", "median_ms"):
            extra = (
                "same, started as `python -m aiges.serve`",
                _number(results.get("ours"), "cold_start_module", "median_ms"),
            )
        elif path == ("concurrent", "rps"):
            extra = (
                "same, ours with --workers %d (vendor: fixed)" % SCALED_WORKERS,
                _number(results.get("ours"), "concurrent_scaled", "rps"),
            )
        if extra is not None and extra[1] is not None:
            table.append(_row(extra[0], better, dict(values, ours=extra[1]), {}))
    return table


def _row(label: str, better: str, values: Dict[str, Optional[float]], notes: Dict[str, str]) -> Dict[str, Any]:
    row = {"metric": label, "better": better, "values": values, "notes": notes}
    row.update(("ours/%s" % other, _ratio(values["ours"], values[other])) for other in OTHERS)
    return row


def go_rows(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Ours vs the Go plugin over each network: values, ours/Go and its goal (shown, never asserted)."""
    table = []
    for label, path, better, goal in VERSUS_GO:
        for network, found in results.get("versus_go", {}).items():
            ours, go = _number(found.get("ours"), *path), _number(found.get("go"), *path)
            ratio = _ratio(ours, go)
            met = None if goal is None or ratio is None else (ratio <= goal[1] if goal[0] == "<=" else ratio >= goal[1])
            shown = None if goal is None else "%s %.1f\u00d7" % ("\u2264" if goal[0] == "<=" else "\u2265", goal[1])
            table.append(
                {
                    "metric": label,
                    "network": network,
                    "better": better,
                    "values": {"ours": ours, "go": go},
                    "ours/go": ratio,
                    "goal": shown,
                    "met": met,
                }
            )
    return table


def ceiling_rows(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The ceilings table: per client count, each server's requests/s and CPU per request, ours/Go, and
    the CPU per request one core may spend to reach the throughput goal."""
    table = []
    for clients in THROUGHPUT_CLIENTS:
        found = results.get("ceilings", {}).get("clients_%d" % clients)
        if not found:
            continue
        go_rps = _number(found.get("go"), "rps")
        table.append(
            {
                "clients": clients,
                "rps": {name: _number(found.get(name), "rps") for name in CEILINGS},
                "cpu": {name: _number(found.get(name), "server_cpu_us_per_request") for name in CEILINGS},
                "of_go": {name: _ratio(_number(found.get(name), "rps"), go_rps) for name in CEILINGS},
                "one_core_budget_us": 1e6 / (THROUGHPUT_GOAL * go_rps) if go_rps else None,
            }
        )
    return table


def _cell(value: Optional[float], note: Optional[str] = None) -> str:
    if note:
        return "fails (%s)" % note
    if value is None:
        return "n/a"
    return "%.2f" % value if value < 100 else "%.0f" % value


def _times(ratio: Optional[float]) -> str:
    return "n/a" if ratio is None else "%.2f\u00d7" % ratio


COLUMNS = {"ours": "ours", "vendor": "vendor 0.16.0", "floor": "floor (bare grpcio)", "go": "Go plugin"}


def markdown(
    table: List[Dict[str, Any]],
    meta: Dict[str, Any],
    versus: List[Dict[str, Any]],
    ceiling: Optional[List[Dict[str, Any]]] = None,
) -> str:
    names = ("ours", *OTHERS)
    lines = [
        "| metric | %s | %s |"
        % (
            " | ".join(COLUMNS[name] for name in names),
            " | ".join("ours/%s" % ("Go" if o == "go" else o) for o in OTHERS),
        ),
        "|%s" % " --- |" + " ---: |" * (len(names) + len(OTHERS)),
    ]
    for row in table:
        values, notes = row["values"], row["notes"]
        lines.append(
            "| %s (%s is better) | %s | %s |"
            % (
                row["metric"],
                row["better"],
                " | ".join(_cell(values[name], notes.get(name)) for name in names),
                " | ".join(_times(row["ours/%s" % other]) for other in OTHERS),
            )
        )
    lines.append("")
    lines.append(
        "Measured %s on %s, %d CPU(s); the three Python servers on Python %s, protobuf %s (grpcio %s for "
        "the vendor's and the floor); ours started with the command the generated aiges.toml gives the "
        "loader; each server on its default network (ours and the Go plugin: a unix socket; the vendor's "
        "and the floor: TCP). Driven by the tests' Go loader stand-in (%s; the Go plugin is built with "
        "the same) over loopback; %s run, %.0f s, load average %.1f at the start and %.1f at the end. "
        "Latency = sending wrapperOnceExec to the result arriving on communicate."
        % (
            meta["date"],
            meta["machine"],
            meta["cpus"],
            meta.get("servers_python", "?"),
            meta.get("servers_protobuf", "?"),
            meta.get("servers_grpcio", "?"),
            meta["driver"],
            "quick" if meta["quick"] else "full",
            meta["seconds"],
            meta["load_average"][0],
            meta["load_average"][1],
        )
    )
    if versus:
        lines += [
            "",
            "Ours vs the Go plugin (go-plugin's own gRPC server with the same echo, the least a python-mode "
            "plugin can cost), both over TCP and over a unix socket in one round robin; the goals are "
            "targets for ours, not assertions.",
            "",
            "| metric | network | ours | Go plugin | ours/Go | goal | met |",
            "| --- | --- | ---: | ---: | ---: | --- | --- |",
        ]
        for row in versus:
            met = "n/a" if row["met"] is None else ("yes" if row["met"] else "**no**")
            lines.append(
                "| %s (%s is better) | %s | %s | %s | %s | %s | %s |"
                % (
                    row["metric"],
                    row["better"],
                    row["network"],
                    _cell(row["values"]["ours"]),
                    _cell(row["values"]["go"]),
                    _times(row["ours/go"]),
                    row["goal"] or "",
                    met if row["goal"] else "",
                )
            )
    if ceiling:
        lines += [
            "",
            "Throughput ceilings: the same 1 KB once requests from 4 and 32 clients on the one connection, "
            "each server on its default network, in one round robin; requests/s with its fraction of the Go "
            'plugin\'s, and server CPU per request. "Go plugin, one core" runs it with GOMAXPROCS=1. The '
            "last column is the CPU a request may cost in a server that runs on one core (as a Python "
            "server does: one interpreter, one GIL) for %.1f\u00d7 the Go plugin's requests/s." % THROUGHPUT_GOAL,
            "",
            "| clients | %s | one-core budget for %.1f\u00d7 Go (\u00b5s/request) |"
            % (" | ".join(CEILING_COLUMNS[name] for name in CEILINGS), THROUGHPUT_GOAL),
            "| ---: |%s ---: |" % (" ---: |" * len(CEILINGS)),
        ]
        for row in ceiling:
            cells = [
                "%.0f/s (%s), %s \u00b5s"
                % (
                    row["rps"][name],
                    _times(row["of_go"][name]),
                    "n/a" if row["cpu"][name] is None else "%.0f" % row["cpu"][name],
                )
                if row["rps"][name] is not None
                else "n/a"
                for name in CEILINGS
            ]
            budget = row["one_core_budget_us"]
            lines.append(
                "| %d | %s | %s |" % (row["clients"], " | ".join(cells), "n/a" if budget is None else "%.0f" % budget)
            )
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (about a minute)")
    parser.add_argument("--no-vendor", action="store_true", help="skip the vendor SDK (no venv is created)")
    parser.add_argument("--vendor-venv", default=str(BENCH / ".venv-vendor"))
    parser.add_argument(
        "--python", default=None, help="interpreter for ours and the floor (default: the vendor venv's, else this one)"
    )
    parser.add_argument("--output", default=str(BENCH / "results"))
    args = parser.parse_args(argv)
    counts = QUICK if args.quick else FULL
    try:
        gohost.ensure_binary()
        goplugin.ensure_binary()
    except gohost.GoHostUnavailable as missing:
        print(
            "bench: the Go loader stand-in and Go plugin are needed (bash .ci/go-setup.sh): %s" % missing,
            file=sys.stderr,
        )
        return 2
    problems: List[str] = []
    vendor_python = None if args.no_vendor else vendor_env.ensure(Path(args.vendor_venv), problems)
    started = time.time()
    load_before = os.getloadavg()[0]
    python = args.python or vendor_python or sys.executable
    with tempfile.TemporaryDirectory(prefix="aiges-bench-") as scratch:
        wrapper_dir = os.path.join(scratch, "wrapper")
        shutil.copytree(str(BENCH / "wrappers" / "trivial"), wrapper_dir)
        # As in the image (its Dockerfile runs compileall): no server spends its start compiling our
        # sources (the vendor's were compiled by pip when it was installed).
        for server_python in {python, vendor_python or python}:
            subprocess.run(
                [
                    server_python,
                    "-m",
                    "compileall",
                    "-q",
                    str(RUNTIME_PARENT / "aiges"),
                    str(BENCH / "floor_server.py"),
                    wrapper_dir,
                ],
                check=True,
            )
        results = bench(targets(python, vendor_python), wrapper_dir, counts, python)
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.platform(),
        "cpus": os.cpu_count() or 1,
        "driver": _driver(),
        "quick": args.quick,
        "seconds": round(time.time() - started, 1),
        "counts": counts,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    meta.update(_versions(python, "servers_"))
    table, versus, ceiling = rows(results), go_rows(results), ceiling_rows(results)
    text = markdown(table, meta, versus, ceiling)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "grpc.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "results": results,
                "table": table,
                "versus_go": versus,
                "ceilings": ceiling,
                "problems": problems,
            },
            indent=2,
        )
        + "\n"
    )
    (output / "grpc.md").write_text(text)
    print(text)
    for problem in problems:
        print("problem: " + problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
