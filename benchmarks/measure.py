"""Measurements, each driven through the tests' fake loader (``tests/grpc/fakehost.py``).

Latency is what the loader experiences: from sending ``wrapperOnceExec`` to the result arriving on
``communicate`` (the arrival time is taken by the stream's reader thread). Functions return raw
samples so the caller can interleave targets (round robin) and share the machine's noise fairly.
"""
import os
import statistics
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import fakehost


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cold_start_once(command: str, cwd: str, env: Dict[str, str], tag: str) -> Tuple[float, float]:
    """(spawn -> handshake line, spawn -> first once result) in ms. The second is the loader's whole
    start-up: handshake, health, communicate, wrapperInit (imports wrapper.py), one request."""
    plugin = fakehost.Plugin(command, cwd, env=env)
    try:
        started = time.perf_counter()
        plugin.start(timeout=60)
        plugin.connect()
        plugin.open_communicate()
        if plugin.health() != "SERVING" or plugin.init({}) != 0:
            raise RuntimeError("plugin did not start: " + plugin.stderr()[-1000:])
        plugin.exec_once(tag, [fakehost.node("text", b"x")])
        return plugin.startup_seconds * 1000, (time.perf_counter() - started) * 1000
    finally:
        plugin.close()


def sequential(plugin: fakehost.Plugin, count: int, size: int, prefix: str) -> Tuple[List[float], float]:
    """``count`` once requests one after the other: (latencies in s, wall time in s)."""
    assert plugin.router is not None
    once = plugin.unary("aiges.WrapperService", "wrapperOnceExec")
    payload = os.urandom(size)
    latencies: List[float] = []
    wall = 0.0
    for index in range(count):
        tag = "%s%d" % (prefix, index)
        request = fakehost.Request(tag=tag, params={"sid": tag}, list=[fakehost.node("text", payload)])
        started = time.perf_counter()
        once(request, timeout=60)
        arrived, message = plugin.router.next(tag, timeout=60)
        wall += time.perf_counter() - started
        plugin.router.forget(tag)
        if message.ret != 0 or message.list[0].data != payload:
            raise RuntimeError("wrong answer for %s: ret %d" % (tag, message.ret))
        latencies.append(arrived - started)
    return latencies, wall


def summary(latencies: List[float], wall: float) -> Dict[str, Any]:
    return {"requests": len(latencies), "rps": len(latencies) / wall, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "mean_ms": statistics.mean(latencies) * 1000}


def try_sequential(plugin: fakehost.Plugin, count: int, size: int, prefix: str) -> Tuple[List[float], str]:
    """Like :func:`sequential`; ([], error code name) when the server refuses (e.g. the vendor's 4 MB
    receive limit) instead of raising."""
    try:
        return sequential(plugin, count, size, prefix)[0], ""
    except fakehost.grpc.RpcError as error:
        return [], error.code().name


def concurrent(plugin: fakehost.Plugin, clients: int, per_client: int, sleep_ms: int) -> Dict[str, Any]:
    """``clients`` threads with their own channels, the wrapper waiting ``sleep_ms`` per request."""
    assert plugin.router is not None
    errors: List[str] = []
    barrier = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        channel = fakehost.grpc.insecure_channel(plugin.address)
        once = plugin.unary("aiges.WrapperService", "wrapperOnceExec", channel=channel)
        barrier.wait()
        try:
            for index in range(per_client):
                tag = "c%d-%d" % (number, index)
                once(fakehost.Request(tag=tag, params={"sid": tag, "sleep_ms": str(sleep_ms)},
                                      list=[fakehost.node("text", b"x" * 1024)]), timeout=120)
                _, message = plugin.router.next(tag, timeout=120)
                plugin.router.forget(tag)
                if message.ret != 0:
                    errors.append(tag)
        finally:
            channel.close()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rps": clients * per_client / elapsed, "errors": len(errors), "clients": clients, "sleep_ms": sleep_ms}


def server_pid(pid: int) -> int:
    """The plugin's python process: ``bash -c`` usually execs it, else it is bash's child."""
    try:
        if "python" in os.path.basename(os.readlink("/proc/%d/exe" % pid)):
            return pid
        with open("/proc/%d/task/%d/children" % (pid, pid)) as listing:
            children = listing.read().split()
        return int(children[0]) if children else pid
    except (OSError, ValueError):
        return pid


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server process has used so far (all its threads)."""
    try:
        with open("/proc/%d/stat" % server_pid(pid)) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> Optional[float]:
    try:
        with open("/proc/%d/status" % server_pid(pid)) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None
