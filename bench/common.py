"""Shared set-up for benchmarks: start a fake upstream process and a govproxy process on loopback."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.harness import ProxyProcess, base_env, create_key, free_port, write_policies  # noqa: E402


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def fake_upstream(delay_ms: float = 0.0, **options: float) -> Iterator[str]:
    """The recording fake upstream (tests/fakes/serve.py) on a free port; `options` are its other flags
    (`jitter_ms=50` -> `--jitter-ms 50`)."""
    port = free_port()
    flags = [arg for name, value in options.items() for arg in ("--" + name.replace("_", "-"), str(value))]
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.serve", "--port", str(port),
                             "--delay-ms", str(delay_ms), *flags], cwd=str(REPO))
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def govproxy(upstream_url: str, database_url: str | None = None, workers: int = 1,
             **env_extra: str) -> Iterator[tuple[str, str]]:
    """Yields (proxy base url, caller key)."""
    with tempfile.TemporaryDirectory(prefix="govproxy-bench-") as tmp:
        work = Path(tmp)
        models = [{"alias": "bench-onprem", "model": "openai/fake", "api_base": upstream_url + "/v1",
                   "location": "onprem", "clearance": "restricted",
                   "capabilities": ["chat", "completions", "embeddings"]},
                  {"alias": "bench-external", "model": "openai/fake", "api_base": upstream_url + "/v1",
                   "location": "external", "clearance": "internal",
                   "capabilities": ["chat", "completions", "embeddings"]}]
        policies = write_policies(work / "policies", models)
        env = base_env(GOVPROXY_DATABASE_URL=database_url or f"sqlite:///{work}/govproxy.db",
                       GOVPROXY_POLICIES_DIR=str(policies), GOVPROXY_TEST_CWD=str(work),
                       GOVPROXY_LOG_LEVEL="warning", **env_extra)
        key = create_key(env, "bench", "bench")
        proc = ProxyProcess(work, env, workers=workers).start()
        try:
            yield proc.url, key
        finally:
            proc.stop()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def summary(values: list[float]) -> str:
    return (f"p50 {pct(values, 50):7.2f} ms  p99 {pct(values, 99):7.2f} ms  "
            f"mean {statistics.fmean(values):7.2f} ms  n={len(values)}")
