"""A bounded LRU of findings per text, so a chat's resent history costs a lookup, not a re-analysis.

Keys are sha256 digests of (language, text); values are the findings (offsets and types). The text itself is never
stored, so the cache holds nothing a memory dump could leak beyond what the audit already records.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from proxy.detection.findings import Finding


def cache_key(language: str | None, text: str) -> bytes:
    """sha256 over the requested language (or `auto`) and the text."""
    h = hashlib.sha256((language or "auto").encode())
    h.update(b"\x00")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()


class FindingCache:
    """Thread-safe bounded LRU: digest -> findings of one text (with `field` 0). `size=0` disables it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[bytes, tuple[Finding, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> tuple[Finding, ...] | None:
        """The cached findings, or None; a hit becomes the most recently used entry."""
        if self.size <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: bytes, findings: tuple[Finding, ...]) -> None:
        """Store findings, evicting the least recently used entry when full."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = findings
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
