"""Prometheus metrics, correct across uvicorn workers (prometheus-client multiprocess mode).

`govproxy serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts; each process
writes its samples there and `/metrics` merges them. The metric objects are built in the lifespan and passed
around (registry=None: nothing is registered globally).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proxy.request.context import RequestContext

ENV = "PROMETHEUS_MULTIPROC_DIR"
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120)
# Label values per label that one process reports before folding the rest into "other" (see docs/operations.md).
LABEL_CAPS = {"team": 100, "rule": 200, "target": 100}
OTHER = "other"
_LANGUAGE_MEMO = 1024  # texts whose language label is remembered (the detection cache's hits ask again)


class BoundedLabel:
    """Keeps a label's cardinality bounded: the first `cap` distinct values pass, later ones become "other"."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._seen: set[str] = set()

    def __call__(self, value: str | None, none: str = "none") -> str:
        if value is None:
            return none
        if value in self._seen:
            return value
        if len(self._seen) >= self.cap:
            return OTHER
        self._seen.add(value)
        return value


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
    def __init__(self, *, languages: tuple[str, ...] = ("en", "de"), default_language: str = "en") -> None:
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
        self.target_requests = Counter("govproxy_target_requests", "Requests by routed target, location and outcome",
                                       ["target", "location", "outcome"], registry=None)
        self.rule_matches = Counter("govproxy_rule_matches", "Matched policy rules by rule and mode "
                                    "(enforce = the rule that decided, shadow = a shadow rule that would have)",
                                    ["rule", "mode"], registry=None)
        self.upstream_seconds = Histogram("govproxy_upstream_seconds", "Upstream call time by target (plain: the "
                                          "whole answer; streams: until the first chunk)", ["target"],
                                          buckets=UPSTREAM_BUCKETS, registry=None)
        self.upstream_errors = Counter("govproxy_upstream_errors", "Failed upstream attempts by target "
                                       "(down, timed out or an error answer)", ["target"], registry=None)
        self.tokens = Counter("govproxy_tokens", "Tokens by team, served model (catalogue alias) and kind",
                              ["team", "model", "kind"], registry=None)
        self.detection_seconds = Histogram("govproxy_detection_seconds", "Detection stage time by the request's "
                                           "language", ["language"], buckets=STAGE_BUCKETS, registry=None)
        self._team, self._rule, self._target = (BoundedLabel(LABEL_CAPS[k]) for k in ("team", "rule", "target"))
        self._languages, self._default_language = languages, default_language
        self._picker: Any = None
        # digest of a text -> its language label (a digest: no prompt text is kept), bounded by _LANGUAGE_MEMO
        self._language_seen: dict[bytes, str] = {}

    def language_of(self, ctx: RequestContext) -> str:
        """The language of the request's longest text (one of the configured languages, or the default)."""
        texts = [t.text for t in ctx.request.texts] if ctx.request is not None else []
        longest = max(texts, key=len, default="")
        if not longest.strip():
            return self._default_language
        sample = longest[:2000]
        digest = hashlib.blake2b(sample.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        known = self._language_seen.get(digest)
        if known is not None:  # a text seen before (a chat's resent history): no second language detection
            return known
        if self._picker is None:
            from proxy.detection.language import LanguagePicker

            self._picker = LanguagePicker(self._languages, self._default_language)
        language = str(self._picker.pick(sample))
        if len(self._language_seen) >= _LANGUAGE_MEMO:
            self._language_seen.clear()
        self._language_seen[digest] = language
        return language

    def observe_request(self, ctx: RequestContext) -> None:
        """Every per-request metric, once, when the request is finished (labels bounded: no user ids, no
        caller-chosen model names; teams, rules and targets capped per process)."""
        status = ctx.error_status or 200
        outcome = ctx.outcome.value if ctx.outcome else "unknown"
        location = ctx.target.location.value if ctx.target else "none"
        self.requests.labels(ctx.endpoint.value, outcome, location, str(status)).inc()
        target = self._target(ctx.target.alias if ctx.target else None)
        self.target_requests.labels(target, location, outcome).inc()
        for finding in ctx.findings:
            self.detections.labels(finding.entity_type).inc()
        if ctx.decision is not None:
            self.rule_matches.labels(self._rule(ctx.decision.rule), "enforce").inc()
            for match in ctx.decision.shadow_matches:
                self.rule_matches.labels(self._rule(match.rule), "shadow").inc()
        served = ctx.upstream_status == 200 and ctx.target is not None and ctx.outcome is not None \
            and ctx.outcome.value in ("allowed", "redacted")
        failed = ctx.attempted_targets[:-1] if served else ctx.attempted_targets
        for alias in failed:
            self.upstream_errors.labels(self._target(alias)).inc()
        if "route" in ctx.timings and ctx.target is not None:
            self.upstream_seconds.labels(target).observe(ctx.timings["route"] / 1000.0)
        if "detect" in ctx.timings:
            self.detection_seconds.labels(self.language_of(ctx)).observe(ctx.timings["detect"] / 1000.0)
        if ctx.target is not None and ctx.caller is not None:
            team = self._team(ctx.caller.team)
            for kind, n in (("prompt", ctx.usage.prompt_tokens), ("completion", ctx.usage.completion_tokens)):
                if n:
                    self.tokens.labels(team, target, kind).inc(n)

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
