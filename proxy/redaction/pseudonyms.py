"""The reversible map of one conversation (which placeholder or encrypt token stands for which value), and the store
that keeps one map per conversation.

Conversation key
----------------
A conversation is identified by the caller plus either

1. the client's `x-govproxy-conversation-id` header, when it sends one (recommended: it survives history
   trimming, edits and summarisation), or
2. a SHA-256 of the conversation's opening -- every text of the request up to and including the first user
   message (system/developer prompts and the first user turn). Chat clients resend the whole history every turn,
   so the opening names the conversation; the system prompt alone would not (many conversations share one).

The caller is the API key id, so two callers never share a map, whatever ids or openings they send. Within one
caller, conversations with the same opening and no header share a map: their placeholders stay correct per
request (see below), only the numbers may have gaps.

Numbering rule
--------------
Redaction walks the request's text fields in request order (system, then the messages oldest first, each message's
parts and tool-call arguments in order) and each field left to right; a value gets the next free number of its
entity type the first time it is seen, and keeps it. Because every turn resends the history, the numbering is a
function of the history alone: a replica that has no state for the conversation (another replica served the earlier
turns, the map expired, or the process restarted) rebuilds exactly the numbers the first one issued, and a stored
map is always a prefix of what the current history would rebuild, so stored and rebuilt maps agree. The store only
saves work and keeps numbers stable when a client that sends the header trims old turns.

Placeholder-shaped text already present in a request (a user pasting `<PERSON_1>`, a model's invented one echoed
back in the history) is reserved first and never issued, so the model cannot confuse it with a real pseudonym and
restore leaves it alone. Where the history was edited (regenerate, trimming without the header) numbers may differ
from earlier turns; within one request they are always consistent, and a response is always restored with the map
of its own request.

Conversation memory
-------------------
The map also remembers every value the detector found in the conversation, whatever the policy then did with it
(redacted by any strategy, blocked, or let through to an on-prem model): its entity type and score, keyed by its
folded form. Later occurrences of a remembered value are found again even where the detector misses them (see
proxy/redaction/memory.py), so a name marked once by a cue stays marked. Remembering more than was redacted is
the fail-closed choice: a value blocked in one turn is still known when the next turn repeats it without its cue.

Raw values exist only in these in-memory maps, for at most the store's TTL (they are needed to restore answers
and to recall values). They are never logged, never persisted, never written to the audit and never part of the
map's repr.

Raw values exist only in these in-memory maps, for at most the store's TTL (they are needed to restore answers).
They are never logged, never persisted and never part of the map's repr. With GOVPROXY_REDIS_URL the maps are
shared by the replicas (proxy/shared/pseudonyms.py): the map's state sits in Redis, encrypted with a key derived
from GOVPROXY_REDACTION_KEY, for the same TTL.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cachetools import TTLCache

from proxy.redaction.tokens import CANDIDATE, PLACEHOLDER_SHAPE, entity_label, json_string_safe


class PseudonymMap:
    """Placeholders and encrypt tokens issued in one conversation, and their values.

    Safe to share between threads (issuing is locked; reads see a consistent dict).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token_of: dict[tuple[str, str], str] = {}   # (entity type, value) -> placeholder
        self._value_of: dict[str, str] = {}               # issued token -> value
        self._last_number: dict[str, int] = {}            # entity label -> highest number issued
        self._reserved: set[str] = set()                  # look-alikes seen in requests: never issued
        self._sorted: list[str] = []                      # issued tokens, sorted, for prefix checks
        # Conversation memory: folded value -> {entity type: best score} for every value found sensitive so far.
        self._remembered: dict[str, dict[str, float]] = {}

    def placeholder_for(self, entity_type: str, value: str) -> str:
        """`<LABEL_n>` for this value: the one already issued, else the next free number of its entity type."""
        key = (entity_type, value)
        existing = self._token_of.get(key)
        if existing is not None:
            return existing
        label = entity_label(entity_type)
        with self._lock:
            existing = self._token_of.get(key)
            if existing is not None:
                return existing
            n = self._last_number.get(label, 0) + 1
            while f"<{label}_{n}>" in self._reserved or f"<{label}_{n}>" in self._value_of:
                n += 1
            self._last_number[label] = n
            token = f"<{label}_{n}>"
            self._token_of[key] = token
            self._add(token, value)
            return token

    def identifier_for(self, entity_type: str, value: str) -> str:
        """`gp_<label>_<n>` for a whole identifier (tool or function name, tool-call id) that carries a value of
        `entity_type`: identifier-shaped (provider APIs accept only letters, digits, `_` and `-` there), the same
        one for the same identifier everywhere in the conversation, and put back by `restore_identifier`."""
        key = ("identifier:" + entity_type, value)
        existing = self._token_of.get(key)
        if existing is not None:
            return existing
        label = entity_label(entity_type).lower()
        with self._lock:
            existing = self._token_of.get(key)
            if existing is not None:
                return existing
            n = self._last_number.get("identifier:" + label, 0) + 1
            while f"gp_{label}_{n}" in self._value_of:
                n += 1
            self._last_number["identifier:" + label] = n
            token = f"gp_{label}_{n}"
            self._token_of[key] = token
            self._add(token, value)
            return token

    def restore_identifier(self, value: str) -> str:
        """The original identifier if `value` is an identifier token this map issued, else `value` unchanged."""
        if not value.startswith("gp_"):
            return value
        return self._value_of.get(value, value)

    def register(self, token: str, entity_type: str, value: str) -> None:
        """Record a token issued by another strategy (encrypt) so that restore puts its value back."""
        with self._lock:
            if token not in self._value_of:
                self._add(token, value)

    def _add(self, token: str, value: str) -> None:
        self._value_of[token] = value
        bisect.insort(self._sorted, token)

    def reserve_lookalikes(self, text: str) -> None:
        """Mark placeholder-shaped text in a request that this map did not issue, so it is never issued."""
        if "<" not in text:
            return
        found = {m.group(0) for m in PLACEHOLDER_SHAPE.finditer(text)}
        with self._lock:
            self._reserved.update(t for t in found if t not in self._value_of)

    def restore(self, text: str, *, json_escape: bool = False) -> str:
        """`text` with every token this map issued replaced by its value; look-alikes it never issued stay.

        `json_escape` for text that is JSON (tool-call arguments): values are escaped to stay valid inside a
        JSON string.
        """
        if not self._value_of or "<" not in text:
            return text
        values = self._value_of

        def put_back(match: re.Match[str]) -> str:
            token = match.group(0)
            value = values.get(token)
            if value is None:
                return token
            return json_string_safe(value) if json_escape else value

        return CANDIDATE.sub(put_back, text)

    def is_token_prefix(self, fragment: str) -> bool:
        """Whether `fragment` is a proper prefix of a token this map issued (so more text could complete it)."""
        tokens = self._sorted
        i = bisect.bisect_left(tokens, fragment)
        return i < len(tokens) and tokens[i] != fragment and tokens[i].startswith(fragment)

    def remember(self, folded_value: str, entity_type: str, score: float) -> None:
        """Record that `folded_value` (normalised: see proxy.redaction.memory) was found as `entity_type`."""
        with self._lock:
            types = self._remembered.setdefault(folded_value, {})
            if score > types.get(entity_type, -1.0):
                types[entity_type] = score

    def remembered(self) -> dict[str, dict[str, float]]:
        """A copy of the memory: folded value -> {entity type: score}. Raw values: never log or store it."""
        with self._lock:
            return {value: dict(types) for value, types in self._remembered.items()}

    @property
    def size(self) -> int:
        """Tokens issued plus values remembered: what the store bounds."""
        return len(self._value_of) + len(self._remembered)

    def state(self) -> dict[str, Any]:
        """Everything the map knows, as plain JSON-able data (raw values included: a shared store must encrypt it).
        `from_state(m.state())` is a map that issues, restores and reserves exactly as `m` does."""
        with self._lock:
            return {"v": 1, "tokens": [[etype, value, token] for (etype, value), token in self._token_of.items()],
                    "values": dict(self._value_of), "numbers": dict(self._last_number),
                    "reserved": sorted(self._reserved),
                    "remembered": {value: dict(types) for value, types in self._remembered.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PseudonymMap:
        """The map `state()` described (see there)."""
        if state.get("v") != 1:
            raise ValueError("unknown pseudonym map state version")
        pmap = cls()
        pmap._token_of = {(str(etype), str(value)): str(token) for etype, value, token in state["tokens"]}
        pmap._value_of = {str(k): str(v) for k, v in state["values"].items()}
        pmap._last_number = {str(k): int(v) for k, v in state["numbers"].items()}
        pmap._reserved = {str(t) for t in state["reserved"]}
        pmap._sorted = sorted(pmap._value_of)
        pmap._remembered = {str(v): {str(t): float(score) for t, score in types.items()}
                            for v, types in state.get("remembered", {}).items()}
        return pmap

    @property
    def tokens(self) -> frozenset[str]:
        """Every token issued so far (placeholders and encrypt tokens)."""
        return frozenset(self._value_of)

    def __len__(self) -> int:
        return len(self._value_of)

    def __bool__(self) -> bool:
        return bool(self._value_of)

    def __repr__(self) -> str:  # never the values
        return f"PseudonymMap({len(self._value_of)} tokens, {len(self._remembered)} remembered)"


def conversation_opening(fields: Sequence[tuple[str | None, str]]) -> list[str]:
    """The texts that name a conversation: (role, text) pairs in request order, up to and including the first
    with role "user"; just the first text where no field has that role (completions prompts, embeddings)."""
    for i, (role, _text) in enumerate(fields):
        if role == "user":
            return [text for _role, text in fields[: i + 1]]
    return [fields[0][1]] if fields else []


def conversation_key(caller_id: str, conversation_id: str | None, opening: str | Sequence[str] | None) -> str:
    """The store key of a conversation: the caller plus the client's conversation id, or else a hash of the
    conversation's opening (see the module docstring). An opaque hex digest."""
    digest = hashlib.sha256(b"govproxy-conversation-v1\x00" + caller_id.encode() + b"\x00")
    if conversation_id and conversation_id.strip():
        digest.update(b"id\x00" + conversation_id.strip().encode())
    else:
        texts = [opening] if isinstance(opening, str) else list(opening or [])
        digest.update(b"opening\x00")
        for text in texts:
            # Length-prefixed, so ["ab", "c"] and ["a", "bc"] differ.
            encoded = text.encode()
            digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()


class ConversationMaps(Protocol):
    """What the request path needs from a pseudonym store: an in-process one below, a Redis-backed one shared by
    the replicas in proxy/shared/pseudonyms.py."""

    async def for_conversation(self, key: str) -> PseudonymMap: ...

    async def existing(self, key: str) -> PseudonymMap | None: ...

    async def save(self, key: str, pmap: PseudonymMap) -> None: ...


class PseudonymStore:
    """Conversation key -> PseudonymMap, in this process: bounded (least recently used go first) and expiring
    (`ttl_s` after last use). A map grown past `max_tokens` (tokens issued plus values remembered) is replaced by
    an empty one, which the next request refills from its own history (the numbering rule makes that safe)."""

    def __init__(self, max_conversations: int = 10_000, ttl_s: float = 3600.0, max_tokens: int = 5_000,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._maps: TTLCache[str, PseudonymMap] = TTLCache(maxsize=max_conversations, ttl=ttl_s, timer=timer)
        self._max_tokens = max_tokens

    async def for_conversation(self, key: str) -> PseudonymMap:
        """The conversation's map (a new empty one when there is none or it expired); refreshes its expiry."""
        pmap = self._maps.get(key)
        if pmap is None or pmap.size > self._max_tokens:
            pmap = PseudonymMap()
        self._maps[key] = pmap  # (re)inserting refreshes both the TTL and the LRU position
        return pmap

    async def existing(self, key: str) -> PseudonymMap | None:
        """The conversation's map if the store holds one (nothing is created, so a conversation with nothing to
        remember takes no room)."""
        return self._maps.get(key)

    async def save(self, key: str, pmap: PseudonymMap) -> None:
        """Keep `pmap` for the conversation. In process the map is shared by reference, so this only refreshes
        it; a shared store would write the map's state here."""
        self._maps[key] = pmap

    def __len__(self) -> int:
        return len(self._maps)
