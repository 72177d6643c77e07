"""Stripe secret and restricted keys (`sk_live_`, `rk_test_`, …) and webhook signing secrets (`whsec_`).

Publishable keys (`pk_…`) are public by design and not reported.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

SPEC = RecognizerSpec(
    name="StripeKeyRecognizer",
    entity_type="STRIPE_KEY",
    patterns=(
        PatternSpec("stripe secret key", r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b", 0.95),
        PatternSpec("stripe webhook secret", r"\bwhsec_[A-Za-z0-9]{24,}\b", 0.9),
    ),
    context=("stripe", "key", "secret"),
    case_sensitive=True,
)
