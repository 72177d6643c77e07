"""The findings cache: bounded LRU keyed by a digest of (language, text)."""

from __future__ import annotations

from proxy.detection.cache import FindingCache, cache_key
from proxy.detection.findings import Finding

F = (Finding(0, 0, 4, "PERSON", 0.85, "SpacyRecognizer", "en"),)


def test_key_depends_on_language_and_text_and_hides_the_text() -> None:
    assert cache_key("en", "John") != cache_key("de", "John") != cache_key(None, "John")
    assert cache_key("en", "John") == cache_key("en", "John")
    assert b"John" not in cache_key("en", "John") and len(cache_key("en", "John")) == 32


def test_lru_eviction_and_recency() -> None:
    cache = FindingCache(2)
    a, b, c = (cache_key("en", t) for t in "abc")
    cache.put(a, F)
    cache.put(b, ())
    assert cache.get(a) == F  # a becomes the most recent
    cache.put(c, ())
    assert cache.get(b) is None and cache.get(a) == F and cache.get(c) == ()
    assert len(cache) == 2 and cache.hits == 3 and cache.misses == 1


def test_size_zero_disables() -> None:
    cache = FindingCache(0)
    cache.put(cache_key("en", "x"), F)
    assert cache.get(cache_key("en", "x")) is None and len(cache) == 0
