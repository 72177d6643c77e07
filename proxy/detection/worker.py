"""The detector's worker processes: each builds one `TextAnalyzer` in its initializer and reuses it.

The analyzer lives in a process-local slot that only pool workers set (in `init_worker`); the main process never
does. That is the one place module state holds a service: a process pool hands work to plain functions, and the
model must load once per process, not once per task.
"""

from __future__ import annotations

import gc
import os
import resource
import time
from multiprocessing.synchronize import Barrier

from proxy.detection.findings import Finding
from proxy.detection.text_analyzer import DetectorConfig, TextAnalyzer

_analyzer: TextAnalyzer | None = None
_startup_s: float = 0.0
_peers: Barrier | None = None


def init_worker(config: DetectorConfig, peers: Barrier) -> None:
    """Pool initializer: load the model and recognizers once for this process; `peers` is the pool's barrier, one
    party per worker."""
    global _analyzer, _startup_s, _peers
    started = time.perf_counter()
    _analyzer = TextAnalyzer(config)
    gc.collect()
    gc.freeze()  # the model and recognizers live as long as the worker: keep full collections off them
    _startup_s = time.perf_counter() - started
    _peers = peers


def analyze_batch(texts: list[str], language: str | None) -> list[tuple[Finding, ...]]:
    """Analyze texts in this worker (the pool's task function)."""
    if _analyzer is None:
        raise RuntimeError("detector worker used before its initializer ran")
    return _analyzer.analyze_many(texts, language)


def worker_info(timeout_s: float) -> dict[str, float | int]:
    """pid, start-up seconds and peak resident memory (MiB) of this worker.

    Waits at the pool's barrier until every worker has taken one of these calls, so a batch of as many calls as
    workers lands on distinct workers whatever their start-up times (`threading.BrokenBarrierError` after
    `timeout_s`)."""
    if _peers is None:
        raise RuntimeError("detector worker used before its initializer ran")
    _peers.wait(timeout_s)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"pid": os.getpid(), "startup_s": round(_startup_s, 3), "max_rss_mib": round(peak_mib, 1)}
