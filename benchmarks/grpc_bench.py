"""gRPC plugin benchmark: our ``aiges.serve`` vs the vendor's vs a bare grpcio floor.

All three are driven by the same fake loader (``tests/grpc/fakehost.py``) over loopback, with the
same trivial echo wrapper for ours and the vendor's (``benchmarks/wrappers/trivial``). The vendor
SDK is installed into ``benchmarks/.venv-vendor`` on first use (Python 3.9 when available).

    python benchmarks/grpc_bench.py            # full run (a few minutes on 2 cores)
    python benchmarks/grpc_bench.py --quick    # smaller counts, for a smoke check

Writes ``benchmarks/results/grpc.json`` and ``grpc.md``; numbers are never asserted anywhere.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
RUNTIME_PARENT = ROOT / "{{cookiecutter.project_name}}" / "wrapper"
sys.path[:0] = [str(RUNTIME_PARENT), str(ROOT / "tests" / "grpc"), str(BENCH)]

import fakehost  # noqa: E402
import measure  # noqa: E402
import vendor_env  # noqa: E402

FULL = {"cold": 9, "sequential": 10000, "warmup": 300, "big_runs": 10, "clients": 32, "per_client": 20}
QUICK = {"cold": 5, "sequential": 1500, "warmup": 100, "big_runs": 3, "clients": 32, "per_client": 5}
BIG = 10 * 1024 * 1024
SLEEP_MS = 5
SCALED_WORKERS = 16  # ours, concurrency raised with --workers (the vendor's is fixed at CPU count - 1)


def _env(with_runtime: bool) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("AIGES_LOG_LEVEL", None)
    if with_runtime:
        env["PYTHONPATH"] = str(RUNTIME_PARENT)
    return env


def targets(python: str, vendor_python: Optional[str]) -> List[Dict[str, Any]]:
    """Ours and the floor run on ``python`` (by default the vendor venv's: same interpreter, grpcio and
    protobuf for all three; our runtime comes first on PYTHONPATH, ahead of the installed vendor SDK)."""
    found = [
        {"name": "ours", "command": fakehost.python_command(python), "env": _env(True)},
        {"name": "floor", "command": "%s %s" % (fakehost.shlex.quote(python),
                                                fakehost.shlex.quote(str(BENCH / "floor_server.py"))),
         "env": _env(True), "wrapper_free": True},
    ]
    if vendor_python:
        found.insert(1, {"name": "vendor", "command": fakehost.python_command(vendor_python), "env": _env(False)})
    return found


def bench(chosen: List[Dict[str, Any]], wrapper_dir: str, counts: Dict[str, int]) -> Dict[str, Any]:
    """Every measurement, round robin over the targets so that machine noise hits them alike."""
    results: Dict[str, Dict[str, Any]] = {t["name"]: {"command": t["command"]} for t in chosen}
    handshake: Dict[str, List[float]] = {t["name"]: [] for t in chosen}
    ready: Dict[str, List[float]] = {t["name"]: [] for t in chosen}
    print("bench: cold starts", file=sys.stderr)
    for round_ in range(counts["cold"] + 1):  # round 0 warms caches (.pyc files, page cache) and is dropped
        for target in chosen:
            first, whole = measure.cold_start_once(target["command"], wrapper_dir, target["env"], "cold%d" % round_)
            if round_:
                handshake[target["name"]].append(first)
                ready[target["name"]].append(whole)
    for name in results:
        results[name]["cold_start"] = {"median_ms": statistics.median(handshake[name]), "min_ms": min(handshake[name]),
                                       "ready_median_ms": statistics.median(ready[name]), "runs": counts["cold"]}
    plugins: Dict[str, fakehost.Plugin] = {}
    try:
        for target in chosen:
            plugin = plugins[target["name"]] = fakehost.launch(target["command"], wrapper_dir, env=target["env"])
            if plugin.health() != "SERVING" or plugin.init({"log.level": "error"}) != 0:
                raise RuntimeError("%s did not start: %s" % (target["name"], plugin.stderr()[-2000:]))
            plugin.schema()
            measure.sequential(plugin, counts["warmup"], 1024, "warm")
        _sequential(plugins, results, counts)
        _big(plugins, results, counts)
        for target in chosen:
            if not target.get("wrapper_free"):  # the floor runs no wrapper: nothing to wait for
                print("bench: concurrent %s" % target["name"], file=sys.stderr)
                results[target["name"]]["concurrent"] = measure.concurrent(
                    plugins[target["name"]], counts["clients"], counts["per_client"], SLEEP_MS)
        ours = next(target for target in chosen if target["name"] == "ours")
        scaled = plugins["ours-scaled"] = fakehost.launch(ours["command"] + " --workers %d" % SCALED_WORKERS,
                                                          wrapper_dir, env=ours["env"])
        if scaled.init({"log.level": "error"}) != 0:
            raise RuntimeError("ours --workers did not start: " + scaled.stderr()[-2000:])
        results["ours"]["concurrent_scaled"] = measure.concurrent(scaled, counts["clients"], counts["per_client"],
                                                                  SLEEP_MS)
        results["ours"]["concurrent_scaled"]["workers"] = SCALED_WORKERS
    finally:
        for plugin in plugins.values():
            plugin.shutdown()
            plugin.close()
    return results


def _sequential(plugins: Dict[str, fakehost.Plugin], results: Dict[str, Dict[str, Any]],
                counts: Dict[str, int]) -> None:
    print("bench: sequential 1 KB", file=sys.stderr)
    latencies: Dict[str, List[float]] = {name: [] for name in plugins}
    walls = dict.fromkeys(plugins, 0.0)
    cpu = dict.fromkeys(plugins, 0.0)
    batches = 10
    for batch in range(batches):
        for name, plugin in plugins.items():
            before = measure.cpu_seconds(plugin.pid)
            found, wall = measure.sequential(plugin, counts["sequential"] // batches, 1024, "s%d-" % batch)
            cpu[name] += measure.cpu_seconds(plugin.pid) - before
            latencies[name] += found
            walls[name] += wall
    for name, plugin in plugins.items():
        results[name]["sequential_1kb"] = measure.summary(latencies[name], walls[name])
        results[name]["sequential_1kb"]["server_cpu_us_per_request"] = cpu[name] / len(latencies[name]) * 1e6
        results[name]["rss_mb_after"] = measure.rss_mb(plugin.pid)
        results[name]["rss_after_requests"] = counts["warmup"] + len(latencies[name])


def _big(plugins: Dict[str, fakehost.Plugin], results: Dict[str, Dict[str, Any]], counts: Dict[str, int]) -> None:
    print("bench: 10 MB payloads", file=sys.stderr)
    samples: Dict[str, List[float]] = {name: [] for name in plugins}
    refused: Dict[str, str] = {}
    for round_ in range(counts["big_runs"] + 1):  # round 0 is a warm-up
        for name, plugin in plugins.items():
            if name in refused:
                continue
            found, error = measure.try_sequential(plugin, 1, BIG, "big%d-" % round_)
            if error:
                refused[name] = error
            elif round_:
                samples[name] += found
    for name in plugins:
        results[name]["payload_10mb"] = ({"error": refused[name]} if name in refused else
                                         {"p50_ms": measure.percentile(samples[name], 0.5) * 1000,
                                          "runs": len(samples[name])})


def _versions(python: str, prefix: str) -> Dict[str, str]:
    import subprocess

    probe = ("import platform, grpc, google.protobuf as p; "
             "print(platform.python_version(), grpc.__version__, p.__version__)")
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True).stdout.split()
    return dict(zip((prefix + "python", prefix + "grpcio", prefix + "protobuf"), found)) if len(found) == 3 else {}


def _ratio(ours: Optional[float], other: Optional[float]) -> Optional[float]:
    if ours is None or other is None or other == 0:
        return None
    return ours / other


def rows(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    """(metric, unit, better, value per target) for the table."""
    def get(name: str, *path: str) -> Optional[float]:
        value: Any = results.get(name)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, (int, float)) else None

    requests = results.get("ours", {}).get("rss_after_requests", 0)
    specs = [
        ("sequential 1 KB once, requests/s", "higher", ("sequential_1kb", "rps")),
        ("sequential 1 KB once, p50 latency (ms)", "lower", ("sequential_1kb", "p50_ms")),
        ("sequential 1 KB once, p99 latency (ms)", "lower", ("sequential_1kb", "p99_ms")),
        ("sequential 1 KB once, server CPU per request (\u00b5s)", "lower",
         ("sequential_1kb", "server_cpu_us_per_request")),
        ("10 MB payload, p50 latency (ms)", "lower", ("payload_10mb", "p50_ms")),
        ("cold start to handshake, median (ms)", "lower", ("cold_start", "median_ms")),
        ("cold start to first result (init + 1 request), median (ms)", "lower", ("cold_start", "ready_median_ms")),
        ("RSS after %d requests (MB)" % requests, "lower", ("rss_mb_after",)),
        ("32 clients, wrapper waits %d ms, requests/s" % SLEEP_MS, "higher", ("concurrent", "rps")),
    ]
    table = []
    scaled = results.get("ours", {}).get("concurrent_scaled", {}).get("rps")
    for label, better, path in specs:
        values = {name: get(name, *path) for name in ("ours", "vendor", "floor")}
        notes = {name: results[name][path[0]].get("error") for name in ("ours", "vendor", "floor")
                 if isinstance(results.get(name, {}).get(path[0]), dict) and results[name][path[0]].get("error")}
        table.append({"metric": label, "better": better, "values": values, "notes": notes,
                      "ours/vendor": _ratio(values["ours"], values["vendor"]),
                      "ours/floor": _ratio(values["ours"], values["floor"])})
        if path == ("concurrent", "rps") and scaled is not None:
            values = {"ours": scaled, "vendor": table[-1]["values"]["vendor"], "floor": None}
            table.append({"metric": "same, ours with --workers %d (vendor: fixed)" % SCALED_WORKERS, "better": better,
                          "values": values, "notes": {}, "ours/vendor": _ratio(scaled, values["vendor"]),
                          "ours/floor": None})
    return table


def _cell(value: Optional[float], note: Optional[str] = None) -> str:
    if note:
        return "fails (%s)" % note
    if value is None:
        return "n/a"
    return "%.2f" % value if value < 100 else "%.0f" % value


def _times(ratio: Optional[float]) -> str:
    return "n/a" if ratio is None else "%.2f\u00d7" % ratio


def markdown(table: List[Dict[str, Any]], meta: Dict[str, Any]) -> str:
    lines = ["| metric | ours | vendor 0.16.0 | floor (bare grpcio) | ours/vendor | ours/floor |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in table:
        values, notes = row["values"], row["notes"]
        lines.append("| %s (%s is better) | %s | %s | %s | %s | %s |" % (
            row["metric"], row["better"], _cell(values["ours"], notes.get("ours")),
            _cell(values["vendor"], notes.get("vendor")), _cell(values["floor"], notes.get("floor")),
            _times(row["ours/vendor"]), _times(row["ours/floor"])))
    lines.append("")
    lines.append("Measured %s on %s, %d CPU(s); all three servers on Python %s, grpcio %s, protobuf %s; driven by "
                 "the tests' fake loader (Python %s, grpcio %s) over loopback; %s run, %.0f s, load average %.1f "
                 "at the start and %.1f at the end. Latency = sending wrapperOnceExec to the result arriving on "
                 "communicate."
                 % (meta["date"], meta["machine"], meta["cpus"], meta.get("servers_python", "?"),
                    meta.get("servers_grpcio", "?"), meta.get("servers_protobuf", "?"), meta["driver_python"],
                    meta["driver_grpcio"], "quick" if meta["quick"] else "full", meta["seconds"],
                    meta["load_average"][0], meta["load_average"][1]))
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (about a minute)")
    parser.add_argument("--no-vendor", action="store_true", help="skip the vendor SDK (no venv is created)")
    parser.add_argument("--vendor-venv", default=str(BENCH / ".venv-vendor"))
    parser.add_argument("--python", default=None,
                        help="interpreter for ours and the floor (default: the vendor venv's, else this one)")
    parser.add_argument("--output", default=str(BENCH / "results"))
    args = parser.parse_args(argv)
    counts = QUICK if args.quick else FULL
    problems: List[str] = []
    vendor_python = None if args.no_vendor else vendor_env.ensure(Path(args.vendor_venv), problems)
    started = time.time()
    load_before = os.getloadavg()[0]
    python = args.python or vendor_python or sys.executable
    with tempfile.TemporaryDirectory(prefix="aiges-bench-") as scratch:
        wrapper_dir = os.path.join(scratch, "wrapper")
        shutil.copytree(str(BENCH / "wrappers" / "trivial"), wrapper_dir)
        results = bench(targets(python, vendor_python), wrapper_dir, counts)
    import grpc

    meta = {"date": time.strftime("%Y-%m-%d"), "machine": platform.platform(), "cpus": os.cpu_count() or 1,
            "driver_python": platform.python_version(), "driver_grpcio": grpc.__version__,
            "quick": args.quick, "seconds": round(time.time() - started, 1), "counts": counts,
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    meta.update(_versions(python, "servers_"))
    table = rows(results)
    text = markdown(table, meta)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "grpc.json").write_text(json.dumps({"meta": meta, "results": results, "table": table,
                                                  "problems": problems}, indent=2) + "\n")
    (output / "grpc.md").write_text(text)
    print(text)
    for problem in problems:
        print("problem: " + problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
