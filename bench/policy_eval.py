"""Decision time per request for policies of 10, 100 and 1,000 rules (synthetic), p50/p99, in one run.

    python bench/policy_eval.py [--sizes 10,100,1000] [--requests 2000] [--detection]

The rule sets go through the real loader (YAML -> PolicySet) on top of the shipped classification file and the
shipped catalogue. Most synthetic rules are scoped to teams the requests do not come from, so every request reads
the whole list (the worst case for first-match); every 50th rule is a regex over the request texts without a team
scope, and every 10th is a shadow rule (always read to the end). Requests mix clean, PII, national-ID and `auto`
traffic with a 1 KB prompt. The baseline is the 10-rule set; with --detection also the detection time of the same
1 KB prompt (loads spaCy; a few seconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from proxy.auth.caller import Caller  # noqa: E402
from proxy.detection.findings import Finding  # noqa: E402
from proxy.policy.evaluate import RequestFacts, evaluate  # noqa: E402
from proxy.policy.loader import PolicySnapshot, build_snapshot  # noqa: E402
from proxy.request.context import Endpoint  # noqa: E402

ENTITY_TYPES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "LOCATION", "DE_TAX_ID", "US_SSN",
                "CREDIT_CARD", "IP_ADDRESS", "URL"]
PROMPT = ("Please summarise the meeting notes: Anna Schmidt (anna.schmidt@example.com, +49 30 1234567) asked "
          "about the invoice for Musterstrasse 5, 10115 Berlin; the budget review moves to next quarter. ")


def synthetic_rules(n: int) -> str:
    lines = ["apiVersion: govproxy/v1", "rules:"]
    for i in range(n):
        mode = "shadow" if i % 10 == 9 else "enforce"
        if i % 50 == 49:
            lines.append(f"  - {{name: pattern-{i}, mode: {mode}, action: block, "
                         f"match: {{patterns: ['(?i)codename\\s+zeta{i}\\b']}}}}")
            continue
        entity = ENTITY_TYPES[i % len(ENTITY_TYPES)]
        action = ["block", "route", "redact", "allow"][i % 4]
        extra = {"block": "", "route": ", to: onprem", "redact": f", redact: {{{entity}: placeholder}}",
                 "allow": ""}[action]
        lines.append(f"  - {{name: rule-{i}, mode: {mode}, action: {action}{extra}, match: {{teams: [team-{i}, "
                     f"'squad-{i}-*'], models: ['gpt-*', auto], classification: {{min: internal}}, "
                     f"entities: [{{type: {entity}, minCount: 1, minScore: 0.5}}]}}}}")
    return "\n".join(lines) + "\n"


def snapshot_with(n: int) -> PolicySnapshot:
    sources = {
        "models.yaml": (REPO / "policies" / "models.yaml").read_bytes(),
        "rules/00-classification.yaml": (REPO / "policies" / "rules" / "00-classification.yaml").read_bytes(),
        "rules/50-synthetic.yaml": synthetic_rules(n).encode(),
        "rules/90-default.yaml": (REPO / "policies" / "rules" / "90-default.yaml").read_bytes(),
    }
    return build_snapshot(sources)


def request_mix(prompt: str) -> list[RequestFacts]:
    caller = Caller(key_id="k", team="eng", user="alice", labels=frozenset({"eu"}))

    def f(entity: str, start: int) -> Finding:
        return Finding(0, start, start + 8, entity, 0.85, "bench")

    pii = (f("PERSON", 40), f("EMAIL_ADDRESS", 53), f("PHONE_NUMBER", 80), f("LOCATION", 130))
    return [
        RequestFacts(caller, Endpoint.CHAT, "gpt-4o", (), None, (prompt,)),
        RequestFacts(caller, Endpoint.CHAT, "gpt-4o", pii, None, (prompt,)),
        RequestFacts(caller, Endpoint.CHAT, "gpt-4o", (*pii, f("DE_TAX_ID", 200)), None, (prompt,)),
        RequestFacts(caller, Endpoint.CHAT, "auto", pii, "internal", (prompt,)),
        RequestFacts(caller, Endpoint.CHAT, "local-llama", pii, None, (prompt,)),
    ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(snap: PolicySnapshot, facts: list[RequestFacts], requests: int) -> list[float]:
    for fa in facts:  # warm-up
        evaluate(snap.policy, fa, snap.catalogue)
    out = []
    for i in range(requests):
        fa = facts[i % len(facts)]
        t0 = time.perf_counter_ns()
        evaluate(snap.policy, fa, snap.catalogue)
        out.append((time.perf_counter_ns() - t0) / 1000.0)
    return out


def detection_ms(prompt: str, runs: int = 20) -> list[float]:
    from proxy.detection.detector import Detector
    from proxy.settings import Settings

    settings = Settings()
    detector = Detector.build(spacy_model=settings.spacy_model, policies_dir=REPO / "policies", cache_size=0)
    try:
        detector.analyze(prompt, "en")
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            detector.analyze(prompt, "en")
            times.append((time.perf_counter() - t0) * 1000)
        return times
    finally:
        detector.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--detection", action="store_true", help="also time detection of the 1 KB prompt")
    args = parser.parse_args()
    prompt = (PROMPT * (1024 // len(PROMPT) + 1))[:1024]
    facts = request_mix(prompt)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        snap = snapshot_with(n)
        load_ms = (time.perf_counter() - t0) * 1000
        times = measure(snap, facts, args.requests)
        rows.append((n, len(snap.policy.rules), load_ms, pct(times, 0.5), pct(times, 0.99), statistics.mean(times)))
    base_p50 = rows[0][3]
    print(f"policy evaluation, {args.requests} decisions per size, 1 KB prompt, {len(facts)} request kinds")
    print(f"{'rules':>6} {'load ms':>9} {'p50 µs':>9} {'p99 µs':>9} {'mean µs':>9} {'p50 vs ' + str(sizes[0]):>11}")
    for n, _, load_ms, p50, p99, mean in rows:
        print(f"{n:>6} {load_ms:>9.1f} {p50:>9.1f} {p99:>9.1f} {mean:>9.1f} {p50 / base_p50:>10.1f}x")
    if args.detection:
        det = detection_ms(prompt)
        det_p50 = statistics.median(det)
        print(f"detection of the same 1 KB prompt: p50 {det_p50:.1f} ms; "
              + ", ".join(f"{n} rules = {p50 / 1000 / det_p50:.2%} of it" for n, _, _, p50, _, _ in rows))


if __name__ == "__main__":
    main()
