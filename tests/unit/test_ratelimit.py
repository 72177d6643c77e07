from __future__ import annotations

import pytest

from proxy.auth.ratelimit import RateLimiter
from proxy.errors import RateLimited


def test_bucket_refills_and_reports_retry_after() -> None:
    rl = RateLimiter(per_minute=2)
    rl.check("k", now=0.0)
    rl.check("k", now=0.0)
    with pytest.raises(RateLimited) as exc:
        rl.check("k", now=0.0)
    assert exc.value.status == 429 and exc.value.headers["retry-after"] == "30"
    rl.check("other", now=0.0)  # keys are independent
    rl.check("k", now=30.0)     # one token back after 30 s


def test_disabled_when_zero() -> None:
    rl = RateLimiter(per_minute=0)
    for _ in range(1000):
        rl.check("k")
