"""The request mix of bench/load.py and the closed-loop clients that send it (raw HTTP, the real wire formats).

The same mix goes straight to the fake upstream (no key: model names the fake accepts) or through govproxy (a
caller key: catalogue aliases), so the two can be compared kind by kind.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

# kind -> share of requests. "blocked" carries a secret: govproxy answers 403 (expected), the fake answers it.
MIX = {"chat": 35, "stream": 25, "embeddings": 15, "messages": 10, "messages_stream": 10, "blocked": 5}
KINDS = tuple(MIX)

SYSTEM = ("You are the internal assistant of an engineering company. Answer briefly and precisely, in the "
          "language of the question. Use bullet points for lists, name your assumptions, and say when you do not "
          "know something instead of guessing. Never invent figures; refer to the finance handbook for policy.")
NAMES = ["Margaret Thornton", "Jonas Weber", "Priya Raman", "Lukas Hoffmann", "Sofia Marquez", "Daniel Okafor"]
TOPICS = ["the quarterly figures for the northern region", "the migration plan for the billing service",
          "the onboarding checklist for new engineers", "the supplier contract renewal",
          "the incident review of last week's outage", "the budget proposal for the next year"]
AWS_KEY = "AKIAZ3MQ7RPLX4TQW2VN"
_SEQ = itertools.count()


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str
    seq: int                   # the `Request <n>:` number, which the fake upstream times itself by
    status: int | None
    ms: float
    ttfb_ms: float | None
    error: str | None          # exception class, "error_event" or "incomplete_stream"
    expected_status: int

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    @property
    def label(self) -> str:
        return self.error or str(self.status)


def user_text(rng: random.Random, kind: str, n: int) -> str:
    """A unique user message (the number makes detection run on every request)."""
    if kind == "blocked":
        return f"Request {n}: is the deploy key {AWS_KEY} still active?"
    topic = rng.choice(TOPICS)
    if rng.random() < 0.4:
        name = rng.choice(NAMES)
        mail = name.lower().replace(" ", ".") + "@example.org"
        return f"Request {n}: draft a short reply to {name} <{mail}> about {topic}."
    return f"Request {n}: summarise {topic} in five bullet points."


def build(rng: random.Random, kind: str, key: str | None,
          n: int) -> tuple[str, dict[str, str], dict[str, Any], int]:
    """(path, headers, body, expected status) for one request of `kind`; key None means straight to the fake."""
    text = user_text(rng, kind, n)
    external = rng.random() < 0.5
    if key is None:
        model = "fake-external" if external else "fake-onprem"
        bearer, anthropic_key = {"authorization": "Bearer none"}, "none"
    else:
        model = "load-external" if external else "load-onprem"
        bearer, anthropic_key = {"authorization": f"Bearer {key}"}, key
    expected = 403 if kind == "blocked" and key is not None else 200
    if kind == "embeddings":
        return "/v1/embeddings", bearer, {"model": model, "input": text}, expected
    if kind.startswith("messages"):
        return "/v1/messages", {"x-api-key": anthropic_key, "anthropic-version": "2023-06-01"}, {
            "model": "claude-fake" if key is None else "load-claude", "max_tokens": 256, "system": SYSTEM,
            "stream": kind == "messages_stream", "messages": [{"role": "user", "content": text}]}, expected
    return "/v1/chat/completions", bearer, {
        "model": model, "stream": kind == "stream",
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]}, expected


async def one(session: aiohttp.ClientSession, base: str, rng: random.Random, kind: str,
              key: str | None) -> Sample:
    n = next(_SEQ)
    path, headers, body, expected = build(rng, kind, key, n)
    t0 = time.perf_counter()
    ttfb, status, error = None, None, None
    try:
        async with session.post(base + path, json=body, headers=headers) as resp:
            status = resp.status
            data = bytearray()
            async for chunk in resp.content.iter_any():
                if ttfb is None:
                    ttfb = (time.perf_counter() - t0) * 1000
                data += chunk
        if status == 200 and body.get("stream"):
            tail = bytes(data[-200:])
            if b'{"error"' in data or b'"type":"error"' in data:
                error = "error_event"
            elif b"[DONE]" not in tail and b"message_stop" not in tail:
                error = "incomplete_stream"
    except (TimeoutError, aiohttp.ClientError) as exc:
        error = type(exc).__name__
    ms = (time.perf_counter() - t0) * 1000
    return Sample(kind, n, status, ms, ttfb if body.get("stream") else None, error, expected)


async def drive(base: str, key: str | None, clients: int, duration_s: float, seed: int = 7) -> list[Sample]:
    """`clients` closed-loop clients (one request in flight each) for `duration_s`; every sample, in order.

    aiohttp, not httpx: with 200 connections in one pool httpx spent ~11 ms of CPU per request here, which made
    the load generator, not the proxy, the bottleneck on a 2-core machine."""
    kinds, weights = list(MIX), list(MIX.values())
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        end = time.perf_counter() + duration_s

        async def loop(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            while time.perf_counter() < end:
                samples.append(await one(session, base, rng, rng.choices(kinds, weights)[0], key))

        await asyncio.gather(*(loop(i) for i in range(clients)))
    return samples
