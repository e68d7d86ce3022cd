"""``--repeat N --concurrency C``: run the request many times, report latency percentiles and memory."""

import os
import threading
import time
from typing import Any, Dict, List

from aiges.tools.localrun import phases
from aiges.tools.localrun.report import Reporter, percentile


def rss_bytes() -> int:
    """Resident memory of this process now (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource  # Unix only

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(
    context: "phases.Context",
    collector: "phases.Collector",
    session: bool,
    repeat: int,
    concurrency: int,
    reporter: Reporter,
) -> Dict[str, Any]:
    """Run ``repeat`` requests, ``concurrency`` at a time; raises PhaseFailed on the first failure."""
    latencies: List[float] = []
    failures: List[BaseException] = []
    lock = threading.Lock()
    counter = iter(range(repeat))
    rss_before = rss_bytes()

    def worker() -> None:
        while True:
            with lock:
                index = next(counter, None)
            if index is None or failures:
                return
            sid = "load-%06d" % index
            started = time.perf_counter()
            try:
                if session:
                    phases.execute_session(context, collector, sid)
                else:
                    phases.execute_once(context, collector, sid)
            except phases.PhaseFailed as failure:
                failures.append(failure)
                return
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise failures[0]
    rss_after = rss_bytes()
    result = {
        "requests": len(latencies),
        "concurrency": concurrency,
        "seconds": wall,
        "per_second": len(latencies) / wall if wall else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else 0.0,
        "rss_before_mb": rss_before / 1e6,
        "rss_after_mb": rss_after / 1e6,
        "rss_growth_mb": (rss_after - rss_before) / 1e6,
    }
    reporter.always(
        "  load: %(requests)d requests, concurrency %(concurrency)d, %(per_second).1f req/s; latency "
        "p50 %(p50_ms).2f ms, p90 %(p90_ms).2f ms, p99 %(p99_ms).2f ms, max %(max_ms).2f ms; "
        "RSS %(rss_before_mb).1f -> %(rss_after_mb).1f MB (%(rss_growth_mb)+.1f MB)" % result
    )
    return result
