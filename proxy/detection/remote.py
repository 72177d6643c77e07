"""A stronger NER model the company hosts, behind the local detector: the remote half of detection.

Set `GOVPROXY_REMOTE_NER_URL` to an endpoint that speaks Presidio analyzer's REST `/analyze` (the
`presidio-analyzer` container, or any service with its shape, e.g. a transformer model on a GPU):

    POST {url}  {"text": "...", "language": "de", "score_threshold": 0.4}
    200         [{"entity_type": "PERSON", "start": 0, "end": 10, "score": 0.85, ...}, ...]

Each text field goes out as one request (concurrently, over one `httpx.AsyncClient` built in the app's lifespan);
the findings come back with offsets into that text and are merged with the local ones (overlaps resolved as for
local findings). The service is part of detection, so it fails closed: a timeout, a refused connection, an error
status or an answer of the wrong shape stops the request with 503 `remote_ner_unavailable` before anything is sent
to any model. The audit records the refusal like any other; the text itself never appears in the error or the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import structlog

from proxy.detection.custom import load_recognizers
from proxy.detection.findings import Finding
from proxy.detection.language import LanguagePicker
from proxy.detection.resolve import resolve_overlaps
from proxy.errors import ServiceUnavailable
from proxy.settings import Settings

log = structlog.get_logger()

RECOGNIZER = "RemoteNer"
# Raw model labels some services return instead of Presidio's entity types.
_LABELS = {"PER": "PERSON", "LOC": "LOCATION", "GPE": "LOCATION", "ORG": "ORGANIZATION", "NORP": "NRP"}


class RemoteNerUnavailable(ServiceUnavailable):
    """The remote NER service did not answer usefully: the request is refused (fail closed)."""

    code = "remote_ner_unavailable"


class RemoteNer:
    """Client of one remote `/analyze` endpoint. Build once in the lifespan; `close()` at shutdown."""

    def __init__(self, client: httpx.AsyncClient, url: str, *, timeout_s: float, score_threshold: float,
                 languages: Sequence[str] = ("en", "de"), default_language: str = "en",
                 ignored_entities: frozenset[str] = frozenset()) -> None:
        self.client = client
        self.url = url
        self.timeout_s = timeout_s
        self.score_threshold = score_threshold
        self.picker = LanguagePicker(tuple(languages), default_language)
        self.ignored_entities = ignored_entities

    @classmethod
    def build(cls, url: str, *, timeout_s: float, score_threshold: float, default_language: str = "en",
              ignored_entities: frozenset[str] = frozenset()) -> RemoteNer:
        client = httpx.AsyncClient(timeout=timeout_s, trust_env=False)
        return cls(client, url, timeout_s=timeout_s, score_threshold=score_threshold,
                   default_language=default_language, ignored_entities=ignored_entities)

    async def close(self) -> None:
        await self.client.aclose()

    async def merge(self, texts: Sequence[str], local: list[Finding]) -> list[Finding]:
        """`local` findings plus the remote ones for `texts`, one span per region in each field.

        Raises `RemoteNerUnavailable` when any text could not be analysed remotely."""
        todo = [i for i, t in enumerate(texts) if t.strip()]
        remote = await asyncio.gather(*(self._analyze(i, texts[i]) for i in todo))
        if not any(remote):
            return local
        merged: list[Finding] = []
        for i, text in enumerate(texts):
            mine = [f for f in local if f.field == i]
            theirs = [f for found in remote for f in found if f.field == i]
            merged.extend(resolve_overlaps(mine + theirs, text) if theirs else mine)
        return merged

    async def _analyze(self, field: int, text: str) -> list[Finding]:
        language = self.picker.pick(text)
        body = {"text": text, "language": language, "score_threshold": self.score_threshold}
        try:
            response = await self.client.post(self.url, json=body, timeout=self.timeout_s)
            response.raise_for_status()
            items = response.json()
            return [f for item in _as_list(items) if (f := _finding(item, field, len(text), language)) is not None
                    and f.entity_type not in self.ignored_entities and f.score >= self.score_threshold]
        except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
            # The exception's text may quote the answer; log its class only.
            log.error("remote_ner_failed", error_class=type(exc).__name__, chars=len(text))
            raise RemoteNerUnavailable("The remote NER service did not answer; the request was not forwarded "
                                       "(fail closed).", code="remote_ner_unavailable") from None


def _as_list(items: object) -> list[object]:
    if not isinstance(items, list):
        raise TypeError("the answer is not a list")
    return items


def _finding(item: object, field: int, length: int, language: str) -> Finding | None:
    """One answer item as a Finding; an item of the wrong shape makes the whole answer invalid."""
    if not isinstance(item, dict):
        raise TypeError("an answer item is not an object")
    start, end, score = item["start"], item["end"], float(item["score"])
    entity = str(item["entity_type"])
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length):
        raise ValueError("an answer item's offsets are outside the text")
    return Finding(field, start, end, _LABELS.get(entity, entity), round(score, 4), RECOGNIZER, language)


def build_remote_ner(settings: Settings) -> RemoteNer | None:
    """The remote detector `settings` ask for (None without GOVPROXY_REMOTE_NER_URL). Entity types that
    recognizers.yaml disables are dropped from its answers too."""
    if not settings.remote_ner_url:
        return None
    disabled = frozenset(load_recognizers(settings.policies_dir).disabled_entities)
    log.info("remote_ner_enabled", timeout_s=settings.remote_ner_timeout_s)
    return RemoteNer.build(settings.remote_ner_url, timeout_s=settings.remote_ner_timeout_s,
                           score_threshold=settings.detection_score_threshold,
                           default_language=settings.default_language, ignored_entities=disabled)
