"""Prometheus metrics, correct across uvicorn workers (prometheus-client multiprocess mode).

`govproxy serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts; each process
writes its samples there and `/metrics` merges them. The metric objects are built in the lifespan and passed
around (registry=None: nothing is registered globally).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def prepare_multiprocess_dir() -> Path:
    """Called once by the parent before workers start: a clean directory for this server's samples."""
    configured = os.environ.get(ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="govproxy-metrics-"))
        os.environ[ENV] = str(path)
    return path


def cleanup_multiprocess_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class Metrics:
    def __init__(self) -> None:
        if ENV not in os.environ:
            # An app built outside `govproxy serve` (e.g. embedded): give it a private directory.
            prepare_multiprocess_dir()
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("govproxy_requests", "Requests by endpoint, outcome, route location and status",
                                ["endpoint", "outcome", "location", "status"], registry=None)
        self.detections = Counter("govproxy_detections", "Detected entities by type", ["entity_type"],
                                  registry=None)
        self.stage_seconds = Histogram("govproxy_stage_seconds", "Time per pipeline stage", ["stage"],
                                       buckets=STAGE_BUCKETS, registry=None)
        self.policy_reloads = Counter("govproxy_policy_reloads", "Policy reloads by result", ["result"],
                                      registry=None)
        self.policy_version = Gauge("govproxy_policy_version_info",
                                    "Policy versions seen: 1 = serving now, 0 = replaced", ["version"],
                                    multiprocess_mode="liveall", registry=None)
        self.redis_up = Gauge("govproxy_redis_up", "1 while the shared Redis answers, 0 while this replica falls back",
                              multiprocess_mode="liveall", registry=None)
        self.redis_errors = Counter("govproxy_redis_errors", "Redis calls that failed, by operation", ["operation"],
                                    registry=None)
        self.redis_fallbacks = Counter("govproxy_redis_fallbacks",
                                       "Operations served by the per-replica fallback because Redis was down",
                                       ["operation"], registry=None)
        self.budget_rejections = Counter("govproxy_budget_rejections", "Requests refused by a budget", ["budget"],
                                         registry=None)
        self.audit_write_failures = Counter("govproxy_audit_write_failures", "Audit writes that failed",
                                            registry=None)

    @staticmethod
    def exposition() -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST

    @staticmethod
    def process_exited(pid: int) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
