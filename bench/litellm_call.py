"""What one upstream call costs the proxy's event loop: litellm (as govproxy calls it) against the OpenAI SDK alone.

    python -m bench.litellm_call [--calls 300] [--rounds 2] [--prompt-bytes 1024]

A request whose prompt was scanned before (a detection cache hit) still pays for the audit write, the HTTP layer
and the upstream call; this bench isolates the last. Against the recording fake upstream on loopback (zero delay), in
one process and one event loop, it times one call after another, in turn (ABAB... per round):
- `litellm`: govproxy's own `Upstream.chat` (proxy/routing/upstream.py: `litellm.acompletion` and the answer as a
  dict), for a catalogue target on the fake;
- `litellm stream`: `Upstream.chat_stream`, which opens the stream and reads its first chunk (what the proxy waits
  for before its first byte), then the stream closed;
- `openai sdk`: `AsyncOpenAI.chat.completions.create` with the same body (the HTTP client litellm drives).

It prints, per kind, the CPU time of the calling thread (the event loop's: what other requests wait for) and the
wall time per call, p50 over all calls, and the ratios against the SDK measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench.common import fake_upstream  # noqa: E402
from bench.overhead import prompt  # noqa: E402


async def _measure(kinds: dict[str, Callable[[], Awaitable[None]]], calls: int, rounds: int
                   ) -> dict[str, tuple[list[float], list[float]]]:
    out: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in kinds}
    for call in kinds.values():  # warm-up: imports and connection pools
        for _ in range(20):
            await call()
    for _ in range(rounds):
        for _ in range(calls):
            for name, call in kinds.items():
                c0, t0 = time.thread_time(), time.perf_counter()
                await call()
                out[name][0].append((time.thread_time() - c0) * 1000)
                out[name][1].append((time.perf_counter() - t0) * 1000)
    return out


async def run(up: str, args: argparse.Namespace) -> None:
    import openai

    from proxy.policy.decision import Location
    from proxy.routing.catalogue import Target
    from proxy.routing.upstream import Upstream

    messages = [{"role": "user", "content": prompt(args.prompt_bytes)}]
    upstream = Upstream(timeout_s=60, retries=1)
    target = Target(alias="bench", model="openai/fake", location=Location.ONPREM, api_base=up + "/v1")
    client = openai.AsyncOpenAI(base_url=up + "/v1", api_key="none", max_retries=1, timeout=60)

    async def via_litellm() -> None:
        await upstream.chat(target, {"model": "fake", "messages": messages})

    async def via_litellm_stream() -> None:
        chunks = await upstream.chat_stream(target, {"model": "fake", "messages": messages})
        await chunks.__anext__()  # the first chunk, read already by chat_stream
        await chunks.aclose()

    async def via_sdk() -> None:
        await client.chat.completions.create(model="fake", messages=messages)  # type: ignore[arg-type]

    kinds = {"litellm": via_litellm, "litellm stream": via_litellm_stream, "openai sdk": via_sdk}
    results = await _measure(kinds, args.calls, args.rounds)
    base_cpu = statistics.median(results["openai sdk"][0])
    base_wall = statistics.median(results["openai sdk"][1])
    print(f"{args.calls} x {args.rounds} calls per kind, in turn; prompt {args.prompt_bytes} B; zero-latency fake")
    for name, (cpu, wall) in results.items():
        c, w = statistics.median(cpu), statistics.median(wall)
        print(f"{name:<15} event-loop CPU p50 {c:6.2f} ms ({c / base_cpu:4.2f}x the SDK)  "
              f"wall p50 {w:6.2f} ms ({w / base_wall:4.2f}x)")
    await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--prompt-bytes", type=int, default=1024)
    args = ap.parse_args()
    with fake_upstream() as up:
        asyncio.run(run(up, args))


if __name__ == "__main__":
    main()
