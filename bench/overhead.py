"""What govproxy adds to a request: direct to the fake upstream vs through govproxy, in the same run.

    python -m bench.overhead [--requests 300] [--concurrency 32] [--prompt-bytes 1024] [--fresh] [--workers 2]

Prints p50/p99 latency for each path, the added latency, the throughput ratio at the given concurrency, the
streaming time-to-first-byte overhead, then `/v1/responses` against `/v1/chat/completions` (both through govproxy)
for the same prompt, the garbage-collector pauses and the memory of each process. The prompt carries no sensitive
data: the pass-through path.

By default every request repeats the same prompt, so detection is answered from its cache (what a chat's resent
history costs). `--fresh` makes every prompt unique (a counter in front), so every request pays for full
detection of a new 1 KB text.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from bench.common import fake_upstream, gc_pauses, govproxy, pct, rss_mib, summary

PROMPT_WORDS = "The quarterly report covers revenue growth in the northern region and the plan for next year. "


def prompt(n_bytes: int) -> str:
    return (PROMPT_WORDS * (n_bytes // len(PROMPT_WORDS) + 1))[:n_bytes]


_COUNTER = iter(range(10**9))
FRESH = False


def _body(body: dict[str, object]) -> dict[str, object]:
    if not FRESH:
        return body
    if "input" in body:  # a Responses API body
        return {**body, "input": f"Request {next(_COUNTER)}. {body['input']}"}
    msgs = body["messages"]
    assert isinstance(msgs, list)
    n = next(_COUNTER)
    return {**body, "messages": [{"role": "user", "content": f"Request {n}. {msgs[0]['content']}"}]}


async def one(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, object]) -> float:
    body = _body(body)
    t0 = time.perf_counter()
    r = await client.post(url, json=body, headers=headers)
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000


async def ttfb(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, object]) -> float:
    body = _body(body)
    t0 = time.perf_counter()
    async with client.stream("POST", url, json=body, headers=headers) as r:
        r.raise_for_status()
        first = None
        async for _ in r.aiter_raw():
            if first is None:
                first = (time.perf_counter() - t0) * 1000
    assert first is not None
    return first


async def sequential(url: str, headers: dict[str, str], body: dict[str, object], n: int) -> list[float]:
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(10):
            await one(client, url, headers, body)  # warm-up
        return [await one(client, url, headers, body) for _ in range(n)]


async def concurrent(url: str, headers: dict[str, str], body: dict[str, object], n: int,
                     conc: int) -> tuple[float, list[float]]:
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*[one(client, url, headers, body) for _ in range(conc)])
        queue = list(range(n))
        lat: list[float] = []

        async def worker() -> None:
            while queue:
                queue.pop()
                lat.append(await one(client, url, headers, body))

        t0 = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(conc)])
        return n / (time.perf_counter() - t0), lat


async def streaming(url: str, headers: dict[str, str], body: dict[str, object], n: int) -> list[float]:
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(5):
            await ttfb(client, url, headers, body)
        return [await ttfb(client, url, headers, body) for _ in range(n)]


async def run(args: argparse.Namespace) -> None:
    with fake_upstream(args.upstream_delay_ms) as up, govproxy(up, workers=args.workers) as (proxy_url, key):
        text = prompt(args.prompt_bytes)
        direct = (up + "/v1/chat/completions", {}, {"model": "fake", "messages": [{"role": "user", "content": text}]})
        via = (proxy_url + "/v1/chat/completions", {"authorization": f"Bearer {key}"},
               {"model": "bench-onprem", "messages": [{"role": "user", "content": text}]})
        print(f"prompt {args.prompt_bytes} B ({'fresh every request' if FRESH else 'repeated: detection cache hits'}), "
              f"upstream delay {args.upstream_delay_ms} ms, "
              f"{args.requests} requests, concurrency {args.concurrency}")
        d_seq = await sequential(*direct, args.requests)
        p_seq = await sequential(*via, args.requests)
        print(f"sequential direct : {summary(d_seq)}")
        print(f"sequential govprox: {summary(p_seq)}")
        print(f"added latency     : p50 {pct(p_seq, 50) - pct(d_seq, 50):.2f} ms  "
              f"p99 {pct(p_seq, 99) - pct(d_seq, 99):.2f} ms")
        d_tp, d_lat = await concurrent(*direct, args.requests, args.concurrency)
        p_tp, p_lat = await concurrent(*via, args.requests, args.concurrency)
        print(f"concurrent direct : {d_tp:8.1f} req/s  {summary(d_lat)}")
        print(f"concurrent govprox: {p_tp:8.1f} req/s  {summary(p_lat)}")
        print(f"throughput ratio  : {p_tp / d_tp:.3f} (govproxy / direct)")
        sd = (direct[0], direct[1], {**direct[2], "stream": True})
        sp = (via[0], via[1], {**via[2], "stream": True})
        d_ttfb = await streaming(*sd, max(20, args.requests // 3))
        p_ttfb = await streaming(*sp, max(20, args.requests // 3))
        print(f"stream TTFB direct: {summary(d_ttfb)}")
        print(f"stream TTFB govpx : {summary(p_ttfb)}")
        print(f"TTFB overhead     : p50 {pct(p_ttfb, 50) - pct(d_ttfb, 50):.2f} ms  "
              f"p99 {pct(p_ttfb, 99) - pct(d_ttfb, 99):.2f} ms")
        # The Responses API, the same prompt, against chat completions in the same run (both through govproxy).
        resp = (proxy_url + "/v1/responses", via[1], {"model": "bench-onprem", "input": text})
        r_seq = await sequential(*resp, args.requests)
        c_seq = await sequential(*via, args.requests)
        print(f"sequential chat   : {summary(c_seq)}")
        print(f"sequential respons: {summary(r_seq)}")
        print(f"responses vs chat : p50 {pct(r_seq, 50) - pct(c_seq, 50):+.2f} ms  "
              f"p99 {pct(r_seq, 99) - pct(c_seq, 99):+.2f} ms")
        full, longest = gc_pauses(proxy_url)
        print(f"gc                : {full} full collections during the run, longest pause {longest} ms")
        print(f"memory            : RSS MiB by process {rss_mib(proxy_url)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--prompt-bytes", type=int, default=1024)
    ap.add_argument("--upstream-delay-ms", type=float, default=0.0)
    ap.add_argument("--fresh", action="store_true", help="a unique prompt per request (no detection cache hits)")
    ap.add_argument("--workers", type=int, default=1, help="govproxy worker processes")
    args = ap.parse_args()
    global FRESH
    FRESH = args.fresh
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
