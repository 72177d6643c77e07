"""Shared set-up for benchmarks: start a fake upstream process and a govproxy process on loopback."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
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
def govproxy(upstream_url: str, database_url: str | None = None, workers: int = 1, tree: Path | None = None,
             **env_extra: str) -> Iterator[tuple[str, str]]:
    """Yields (proxy base url, caller key). `tree`: run the govproxy code of another checkout (its PYTHONPATH), e.g. a
    worktree of main for a before/after comparison with this bench."""
    if tree is not None:
        env_extra = {**env_extra, "PYTHONPATH": str(Path(tree).resolve())}
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
        RUNNING[proc.url] = proc
        try:
            yield proc.url, key
        finally:
            RUNNING.pop(proc.url, None)
            proc.stop()


RUNNING: dict[str, ProxyProcess] = {}  # proxy url -> its process, for the figures below


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def tree_pids(url: str) -> list[int]:
    """The proxy at `url` and its descendants (workers, detector processes)."""
    return _descendants(RUNNING[url].proc.pid)


def process_tree(pid: int) -> list[int]:
    """A process and its descendants."""
    return _descendants(pid)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (processes that ended are left out)."""
    return _stat_cpu_seconds(f"/proc/{pid}/stat" for pid in pids)


def main_thread_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes' main threads (a govproxy worker's event loop runs there; the
    detector, the audit store's connection and litellm's executor run in threads of their own)."""
    return _stat_cpu_seconds(f"/proc/{pid}/task/{pid}/stat" for pid in pids)


def _stat_cpu_seconds(stat_files: Iterable[str]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in stat_files:
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / tick


def memory_mib(pids: list[int]) -> dict[int, dict[str, float]]:
    """RSS, PSS and USS (private pages) in MiB per process, from /proc/PID/smaps_rollup. RSS counts pages shared
    between processes (the models a pre-fork parent shares with its workers) in each of them; PSS splits them
    evenly (the sum over processes is what they use together); USS is what only that process holds (what ending
    it would free)."""
    out: dict[int, dict[str, float]] = {}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        kib = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:] if line.endswith("kB")}
        out[pid] = {"rss": round(kib.get("Rss", 0) / 1024, 1), "pss": round(kib.get("Pss", 0) / 1024, 1),
                    "uss": round((kib.get("Private_Clean", 0) + kib.get("Private_Dirty", 0)) / 1024, 1)}
    return out


def rss_mib(url: str) -> dict[int, float]:
    """Resident memory (MiB) of the proxy at `url` and each of its child processes (workers), by pid."""
    out: dict[int, float] = {}
    for pid in _descendants(RUNNING[url].proc.pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kib = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        out[pid] = round(kib / 1024, 1)
    return out


def gc_pauses(url: str) -> tuple[int, float]:
    """(full collections, longest pause in ms) since the proxy started, from its /metrics."""
    text = httpx.get(url + "/metrics", timeout=10).text
    full = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('govproxy_gc_pause_seconds_count{generation="2"}'))
    longest = max((float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("govproxy_gc_pause_max_seconds")), default=0.0)
    return int(full), round(longest * 1000, 1)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def summary(values: list[float]) -> str:
    return (f"p50 {pct(values, 50):7.2f} ms  p99 {pct(values, 99):7.2f} ms  "
            f"mean {statistics.fmean(values):7.2f} ms  n={len(values)}")
