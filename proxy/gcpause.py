"""Garbage-collector pauses as metrics: every collection's duration by generation, and the longest full one.

A full collection walks every tracked object and holds the GIL meanwhile, so it stalls every request in the
process; `gc.freeze()` after start-up (app.py) keeps the models out of it. These metrics show what is left:
`govproxy_gc_pause_seconds{generation}` (a histogram) and `govproxy_gc_pause_max_seconds` (the longest, per
process). bench/overhead.py reads them.
"""

from __future__ import annotations

import gc
import time
from typing import Any

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class GcPauses:
    """Records collector pauses while started. One per process, built in the lifespan."""

    def __init__(self) -> None:
        from prometheus_client import Gauge, Histogram

        self.pauses = Histogram("govproxy_gc_pause_seconds", "Garbage-collector pauses by generation",
                                ["generation"], buckets=BUCKETS, registry=None)
        self.longest = Gauge("govproxy_gc_pause_max_seconds", "The longest garbage-collector pause",
                             multiprocess_mode="max", registry=None)
        self._started = 0.0
        self._max = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        seconds = time.perf_counter() - self._started
        self.pauses.labels(str(info.get("generation", "?"))).observe(seconds)
        if seconds > self._max:
            self._max = seconds
            self.longest.set(seconds)

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
