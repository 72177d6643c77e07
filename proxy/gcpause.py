"""Garbage-collector pauses as metrics: every collection's duration by generation, and the longest one.

A full collection walks every tracked object and holds the GIL meanwhile, so it stalls every request in the
process; `gc.freeze()` after start-up (app.py) keeps the models out of it. These metrics show what is left:
`govproxy_gc_pause_seconds{generation}` (a histogram) and `govproxy_gc_pause_max_seconds` (the longest, per
process). bench/overhead.py reads them.

The collector's callback only appends to a deque: it runs wherever a collection starts, also inside
prometheus-client while it holds its own lock, so it must take none. `flush()` (a task in the lifespan, once a
second) moves the pauses into the metrics.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
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
        self._seen: deque[tuple[int, float]] = deque(maxlen=10_000)  # (generation, seconds), lock-free appends

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._seen.append((int(info.get("generation", -1)), time.perf_counter() - self._started))

    def flush(self) -> None:
        """Move the pauses seen so far into the metrics."""
        while self._seen:
            generation, seconds = self._seen.popleft()
            self.pauses.labels(str(generation)).observe(seconds)
            if seconds > self._max:
                self._max = seconds
                self.longest.set(seconds)

    async def run(self, every_s: float = 1.0) -> None:
        """Record pauses until cancelled."""
        gc.callbacks.append(self._callback)
        try:
            while True:
                await asyncio.sleep(every_s)
                self.flush()
        finally:
            gc.callbacks.remove(self._callback)
