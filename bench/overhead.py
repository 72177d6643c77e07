"""What govproxy adds to a request, against the same zero-latency fake upstream, all in one run.

    python -m bench.overhead [--requests 300] [--concurrency 32] [--prompt-bytes 1024] [--workers 1,2]
                             [--modes cached,fresh] [--litellm PATH] [--govproxy-tree PATH] [--streaming]
                             [--postgres]

For each number of govproxy workers (`--workers 1,2`: one `govproxy serve` each) and each kind of prompt:
- `cached`: every request repeats one prompt, so detection answers from its cache (what a chat's resent history
  costs: the HTTP layer, policy, the audit write and the litellm call are what is left);
- `fresh`: every prompt is new (a counter in front), so every request pays for full detection of a 1 KB text;
it prints the added latency (p50/p99 of one client sending one request at a time, minus the same straight to the
fake upstream), requests per second and p50/p99 at `--concurrency` clients, the CPU time the proxy's processes
spent per request in that concurrent phase, the full garbage collections during the phase and the longest
collector pause since start, and the memory of each process (RSS, PSS, USS: see bench/common.py) after the run.

`--litellm PATH`: the `litellm` executable of a venv with LiteLLM's proxy server installed (docs/benchmarks.md says
how to make one). It runs beside govproxy in the same run, against the same fake upstream, with the same workers
(`litellm --config cfg.yaml --num_workers N`, no database, a master key: pass-through as light as it gets), and is
measured the same way. Without the option (or when PATH does not exist) the LiteLLM rows say it was not run.

`--govproxy-tree PATH`: run the govproxy code of another checkout (e.g. a worktree of main), for before/after
tables measured by this same bench. `--streaming`: also time-to-first-byte of streamed chat and /v1/responses
against chat completions (one worker). `--postgres`: the audit store is a new PostgreSQL database on
127.0.0.1:5432 for each govproxy (dropped afterwards) instead of a new SQLite file. The prompt carries no sensitive
data: the pass-through path.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    cpu_seconds,
    fake_upstream,
    gc_pauses,
    govproxy,
    main_thread_cpu_seconds,
    memory_mib,
    pct,
    process_tree,
    summary,
    tree_pids,
    wait_http,
)
from proxy.migrate import upgrade
from tests.audit_db import create_pg_database, drop_pg_database
from tests.harness import base_env, free_port

PROMPT_WORDS = "The quarterly report covers revenue growth in the northern region and the plan for next year. "


def prompt(n_bytes: int) -> str:
    return (PROMPT_WORDS * (n_bytes // len(PROMPT_WORDS) + 1))[:n_bytes]


_COUNTER = iter(range(10**9))
LITELLM_KEY = "sk-bench-0123456789abcdef"


@dataclass(frozen=True)
class Target:
    """Where requests go and how each body is made."""

    name: str
    url: str
    headers: dict[str, str]
    body: dict[str, object]
    fresh: bool = False
    pids: tuple[int, ...] = ()  # the serving processes, for CPU time

    def make_body(self) -> dict[str, object]:
        if not self.fresh:
            return self.body
        n = next(_COUNTER)
        if "input" in self.body:  # a Responses API body
            return {**self.body, "input": f"Request {n}. {self.body['input']}"}
        msgs = self.body["messages"]
        assert isinstance(msgs, list)
        return {**self.body, "messages": [{"role": "user", "content": f"Request {n}. {msgs[0]['content']}"}]}


@dataclass
class Figures:
    seq: list[float]
    rps: float
    conc: list[float]
    cpu_ms: float  # CPU time of the serving processes per request (concurrent phase); nan when unknown
    full_gcs: int | None = None
    # One client: CPU time per request of the serving processes, and of their main threads (the event loops)
    seq_cpu_ms: float = float("nan")
    seq_loop_ms: float = float("nan")
    # At 32 clients: CPU time per request of this bench's client and the fake upstream (they share the cores)
    rest_cpu_ms: float = float("nan")


async def one(client: httpx.AsyncClient, t: Target) -> float:
    body = t.make_body()
    t0 = time.perf_counter()
    r = await client.post(t.url, json=body, headers=t.headers)
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000


async def stream_times(client: httpx.AsyncClient, t: Target) -> tuple[float, float, int]:
    """A streamed request: ms to the first byte of the body, ms to its last, and the number of events."""
    body = {**t.make_body(), "stream": True}
    t0 = time.perf_counter()
    first, events = None, 0
    async with client.stream("POST", t.url, json=body, headers=t.headers) as r:
        r.raise_for_status()
        async for piece in r.aiter_raw():
            if first is None:
                first = (time.perf_counter() - t0) * 1000
            events += piece.count(b"data: ")
    assert first is not None
    return first, (time.perf_counter() - t0) * 1000, events


async def sequential(t: Target, n: int) -> list[float]:
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(10):
            await one(client, t)  # warm-up
        return [await one(client, t) for _ in range(n)]


async def concurrent(t: Target, n: int, conc: int) -> tuple[float, list[float], float, float]:
    """(requests per second, latencies, CPU seconds the target's processes spent, CPU seconds the rest spent: this
    bench's client and the fake upstream, which share the machine's cores with the target) at `conc` clients."""
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(*[one(client, t) for _ in range(conc)])  # open the connections, warm up
        queue = list(range(n))
        lat: list[float] = []

        async def worker() -> None:
            while queue:
                queue.pop()
                lat.append(await one(client, t))

        rest = [pid for pid in process_tree(os.getpid()) if pid not in t.pids]
        cpu0, rest0 = cpu_seconds(list(t.pids)), cpu_seconds(rest)
        t0 = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(conc)])
        elapsed = time.perf_counter() - t0
        return n / elapsed, lat, cpu_seconds(list(t.pids)) - cpu0, cpu_seconds(rest) - rest0


async def measure(t: Target, args: argparse.Namespace, gc_url: str | None = None) -> Figures:
    pids = list(t.pids)
    cpu0, loop0 = cpu_seconds(pids), main_thread_cpu_seconds(pids)
    seq = await sequential(t, args.requests)
    n_seq = args.requests + 10  # with the warm-up
    seq_cpu = (cpu_seconds(pids) - cpu0) * 1000 / n_seq if pids else float("nan")
    seq_loop = (main_thread_cpu_seconds(pids) - loop0) * 1000 / n_seq if pids else float("nan")
    before = gc_pauses(gc_url)[0] if gc_url else 0
    rps, lat, cpu, rest = await concurrent(t, args.requests, args.concurrency)
    full = gc_pauses(gc_url)[0] - before if gc_url else None
    cpu_ms = cpu * 1000 / args.requests if t.pids else float("nan")
    return Figures(seq, rps, lat, cpu_ms, full, seq_cpu, seq_loop, rest * 1000 / args.requests)


def row(name: str, f: Figures, direct: Figures) -> str:
    gcs = "" if f.full_gcs is None else f"  full GCs {f.full_gcs}"
    one_client = "" if f.seq_cpu_ms != f.seq_cpu_ms else (  # nan: not measured
        f" | one client: CPU {f.seq_cpu_ms:5.1f} ms/req, event loops {f.seq_loop_ms:5.1f}")
    return (f"{name:<26} added p50 {pct(f.seq, 50) - pct(direct.seq, 50):6.2f} ms  "
            f"p99 {pct(f.seq, 99) - pct(direct.seq, 99):6.2f} ms | {f.rps:6.1f} req/s at 32: "
            f"p50 {pct(f.conc, 50):7.1f} ms p99 {pct(f.conc, 99):7.1f} ms | CPU {f.cpu_ms:5.1f} ms/req{gcs}"
            f"{one_client}")


@contextmanager
def litellm_proxy(binary: str, upstream: str, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """LiteLLM's own proxy server on a free port, one model pointing at the fake upstream."""
    with tempfile.TemporaryDirectory(prefix="litellm-bench-") as tmp:
        cfg = Path(tmp) / "cfg.yaml"
        cfg.write_text("model_list:\n  - model_name: bench\n    litellm_params:\n      model: openai/fake\n"
                       f"      api_base: {upstream}/v1\n      api_key: none\n"
                       "litellm_settings:\n  telemetry: false\n  drop_params: true\n")
        port = free_port()
        log = open(Path(tmp) / "litellm.log", "wb")
        env = {k: v for k, v in base_env().items() if k not in ("PYTHONPATH", "DATABASE_URL")}
        env["LITELLM_MASTER_KEY"] = LITELLM_KEY  # it refuses to start without one
        proc = subprocess.Popen([binary, "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port),
                                 "--num_workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                cwd=tmp)
        try:
            wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180)
            yield f"http://127.0.0.1:{port}", proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def print_memory(label: str, pids: list[int]) -> float:
    """Print RSS, PSS and USS of each process; return the PSS total."""
    mem = memory_mib(pids)
    per = "  ".join(f"{pid}: RSS {m['rss']:.0f} PSS {m['pss']:.0f} USS {m['uss']:.0f}" for pid, m in mem.items())
    total_pss = sum(m["pss"] for m in mem.values())
    total_uss = sum(m["uss"] for m in mem.values())
    print(f"memory {label:<19}: PSS total {total_pss:.0f} MiB, USS total {total_uss:.0f} MiB | {per}")
    return total_pss


@contextmanager
def audit_store(postgres: bool) -> Iterator[str | None]:
    """None (govproxy's SQLite file in its work directory), or a new migrated PostgreSQL database, dropped after."""
    if not postgres:
        yield None
        return
    url = create_pg_database("govproxy_bench_")
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


async def run_govproxy(up: str, workers: int, args: argparse.Namespace, direct: Figures,
                       results: dict[str, Figures]) -> float:
    """Measure govproxy with `workers` workers; return the PSS total of its processes after the run."""
    with audit_store(args.postgres) as database_url, \
            govproxy(up, database_url=database_url, workers=workers, tree=args.govproxy_tree) as (proxy_url, key):
        pids = tuple(tree_pids(proxy_url))
        text = prompt(args.prompt_bytes)
        for mode in args.modes:
            t = Target(f"govproxy {workers}w {mode}", proxy_url + "/v1/chat/completions",
                       {"authorization": f"Bearer {key}"},
                       {"model": "bench-onprem", "messages": [{"role": "user", "content": text}]},
                       fresh=mode == "fresh", pids=pids)
            f = results[t.name] = await measure(t, args, proxy_url)
            print(row(t.name, f, direct), flush=True)
        _, longest = gc_pauses(proxy_url)
        print(f"gc {workers}w                    : longest collector pause since start {longest} ms")
        pss = print_memory(f"govproxy {workers}w", tree_pids(proxy_url))
        if args.streaming and workers == min(args.workers):
            await streaming_figures(up, proxy_url, key, args)
    return pss


async def streaming_figures(up: str, proxy_url: str, key: str, args: argparse.Namespace) -> None:
    text = prompt(args.prompt_bytes)
    n = max(20, args.requests // 3)
    auth = {"authorization": f"Bearer {key}"}
    direct = Target("direct", up + "/v1/chat/completions", {}, {"model": "fake", "messages": [
        {"role": "user", "content": text}]})
    via = Target("via", proxy_url + "/v1/chat/completions", auth, {"model": "bench-onprem", "messages": [
        {"role": "user", "content": text}]})
    pids = tree_pids(proxy_url)
    # Streamed and plain requests in turn, to the fake and through govproxy, so that the streamed first byte and the
    # non-streamed answer are compared at the same moment (separate phases drift apart with the machine's load).
    d, p, d_plain, p_plain = [], [], [], []
    cpu_ms = 0.0
    async with httpx.AsyncClient(timeout=60) as client:
        await stream_times(client, via)  # the prompt is scanned once; the rest are cached, as in `cached`
        await one(client, via)
        for i in range(n):
            d.append(await stream_times(client, direct))
            d_plain.append(await one(client, direct))
            # In ABBA order: a request's audit outcome is written just after its answer, while the next one runs.
            if i % 2:
                p_plain.append(await one(client, via))
            cpu0 = cpu_seconds(pids)
            p.append(await stream_times(client, via))
            cpu_ms += (cpu_seconds(pids) - cpu0) * 1000 / n
            if not i % 2:
                p_plain.append(await one(client, via))
    first_d, first_p = [x[0] for x in d], [x[0] for x in p]
    last_d, last_p = [x[1] for x in d], [x[1] for x in p]
    added_first = pct(first_p, 50) - pct(first_d, 50)
    added_plain = pct(p_plain, 50) - pct(d_plain, 50)
    print(f"stream TTFB direct: {summary(first_d)}")
    print(f"stream TTFB govpx : {summary(first_p)}")
    print(f"TTFB overhead     : p50 {added_first:.2f} ms  p99 {pct(first_p, 99) - pct(first_d, 99):.2f} ms; "
          f"non-streamed added in turn with it: p50 {added_plain:.2f} ms  "
          f"p99 {pct(p_plain, 99) - pct(d_plain, 99):.2f} ms")
    # The fake sends the answer a few characters an event, all at once: what the whole stream adds beyond its first
    # byte, over its events, is what the proxy spends on each streamed token.
    events = p[-1][2]
    added_last = pct(last_p, 50) - pct(last_d, 50)
    print(f"stream whole      : {events} events, added p50 {added_last:.2f} ms, "
          f"{(added_last - added_first) / max(events - 1, 1) * 1000:.0f} us an event after the first; "
          f"CPU {cpu_ms:.1f} ms per streamed response")
    resp = Target("responses", proxy_url + "/v1/responses", auth, {"model": "bench-onprem", "input": text})
    r_seq = await sequential(resp, args.requests)
    c_seq = await sequential(via, args.requests)
    print(f"responses vs chat : p50 {pct(r_seq, 50) - pct(c_seq, 50):+.2f} ms  "
          f"p99 {pct(r_seq, 99) - pct(c_seq, 99):+.2f} ms")


async def run(args: argparse.Namespace) -> None:
    litellm_bin = args.litellm
    if litellm_bin and not Path(litellm_bin).exists():
        print(f"LiteLLM proxy: {litellm_bin} does not exist: not run (docs/benchmarks.md: how to install it)")
        litellm_bin = None
    elif not litellm_bin:
        print("LiteLLM proxy: not run (give --litellm PATH to its venv's `litellm`; docs/benchmarks.md)")
    tree = f", govproxy from {args.govproxy_tree}" if args.govproxy_tree else ""
    print(f"prompt {args.prompt_bytes} B, zero-latency fake upstream, {args.requests} requests per phase, "
          f"{args.concurrency} clients, workers {args.workers}, modes {args.modes}{tree}", flush=True)
    results: dict[str, Figures] = {}
    pss: dict[int, float] = {}
    with fake_upstream(0.0) as up:
        text = prompt(args.prompt_bytes)
        direct_t = Target("direct", up + "/v1/chat/completions", {},
                          {"model": "fake", "messages": [{"role": "user", "content": text}]})
        direct = await measure(direct_t, args)
        print(f"{'direct (the fake itself)':<26} p50 {pct(direct.seq, 50):.2f} ms p99 {pct(direct.seq, 99):.2f} ms"
              f" | {direct.rps:6.1f} req/s at 32", flush=True)
        for workers in args.workers:
            if litellm_bin:
                with litellm_proxy(litellm_bin, up, workers) as (url, proc):
                    t = Target(f"litellm proxy {workers}w", url + "/v1/chat/completions",
                               {"authorization": f"Bearer {LITELLM_KEY}"},
                               {"model": "bench", "messages": [{"role": "user", "content": text}]},
                               pids=tuple(process_tree(proc.pid)))
                    f = results[t.name] = await measure(t, args)
                    print(row(t.name, f, direct), flush=True)
                    print_memory(f"litellm {workers}w", list(process_tree(proc.pid)))
            pss[workers] = await run_govproxy(up, workers, args, direct, results)
    # From 1 worker to 2 the parent that holds the shared models joins too (1 worker is one process); from 2 on, each
    # step adds one worker and nothing else.
    counts = sorted(pss)
    for lo, hi in itertools.pairwise(counts):
        print(f"memory {lo}w -> {hi}w : +{pss[hi] - pss[lo]:.0f} MiB PSS, {(pss[hi] - pss[lo]) / (hi - lo):.0f} MiB "
              f"per added worker")
    lo = min(args.workers)
    for hi in sorted(set(args.workers) - {lo}):
        for mode in args.modes:
            a, b = results.get(f"govproxy {lo}w {mode}"), results.get(f"govproxy {hi}w {mode}")
            if a and b:
                # With every core busy, throughput is at most cores / (CPU per request of govproxy + of the client
                # and the fake): the ceiling this machine puts on the ratio, whatever govproxy does.
                cores = os.cpu_count() or 1
                ceiling = min(hi, cores) * 1000 / (b.cpu_ms + b.rest_cpu_ms) / a.rps
                print(f"scaling {mode:<6} {lo}w -> {hi}w : {b.rps / a.rps:.2f}x req/s at {args.concurrency} clients "
                      f"(client and fake upstream {b.rest_cpu_ms:.1f} ms CPU per request beside govproxy's "
                      f"{b.cpu_ms:.1f}: on {cores} cores at most {ceiling:.2f}x here)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300, help="requests per phase (sequential, concurrent)")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--prompt-bytes", type=int, default=1024)
    ap.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2],
                    help="govproxy worker counts to measure, comma-separated (default 1,2; 1,2,3 also prints what "
                         "a worker adds once the parent is there)")
    ap.add_argument("--modes", type=lambda s: s.split(","), default=["cached", "fresh"],
                    help="cached (one prompt repeated), fresh (a new prompt every request), comma-separated")
    ap.add_argument("--litellm", default=None, help="path of LiteLLM's `litellm` executable (its proxy server)")
    ap.add_argument("--govproxy-tree", type=Path, default=None, help="run govproxy from this checkout")
    ap.add_argument("--streaming", action="store_true", help="also streaming TTFB and /v1/responses vs chat")
    ap.add_argument("--postgres", action="store_true", help="audit store on PostgreSQL (default: a SQLite file)")
    args = ap.parse_args()
    asyncio.run(run(args))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
