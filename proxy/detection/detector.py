"""The detection service the request path uses: cache, then analysis in a thread or in worker processes.

Build one per process at start-up (`Detector.build`), call `await detect(texts)` per request, `close()` at shutdown.
Analysis is CPU-bound; `detect` never runs it on the event loop. With `processes=0` it runs in one background
thread of this process; with `processes=N` in N worker processes, each loading the model once, so several cores
work at once and this process does not hold a model at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import multiprocessing
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from proxy.detection import worker
from proxy.detection.cache import FindingCache, cache_key
from proxy.detection.custom import CustomRecognizers, load_recognizers
from proxy.detection.findings import Finding
from proxy.detection.packing import plan, unpack
from proxy.detection.text_analyzer import DetectorConfig, TextAnalyzer
from proxy.errors import ServiceUnavailable

if TYPE_CHECKING:
    from proxy.settings import Settings

log = structlog.get_logger()

# How long a worker waits for the others to load their models (or finish what they are analysing).
_START_TIMEOUT_S = 300.0


class Detector:
    """Finds sensitive spans in texts. Thread-safe; one instance per process."""

    def __init__(self, config: DetectorConfig, *, cache_size: int = 4096, processes: int = 0) -> None:
        self.config = config
        self.processes = processes
        self.cache = FindingCache(cache_size)
        self._cache_size = cache_size
        # Which recognizers.yaml runs (the policy snapshot's hash of it); "" when read from the directory.
        self.recognizers_version = ""
        self._local: TextAnalyzer | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._peers: Barrier | None = None  # the pool's barrier, one party per worker
        self._pool_lock = threading.Lock()
        # One analysis at a time in thread mode: spaCy does not promise thread-safe inference, and under the GIL
        # parallel threads would not be faster anyway.
        self._local_lock = threading.Lock()
        # Requests wait here for analysis; in thread mode this one thread is where the model runs.
        self._threads = ThreadPoolExecutor(max_workers=max(1, processes), thread_name_prefix="detector")
        # Thread mode: what concurrent requests want analysed waits here, and the detector thread takes all of it
        # at once (`_drain`), so their texts go through the NER in one batch.
        self._waiting: list[_Wanted] = []
        self._waiting_lock = threading.Lock()
        self._draining = False
        if processes > 0:
            if config.custom is None:
                load_recognizers(config.policies_dir)  # fail closed here, not later in a worker
            self._pool = self._start_pool()
        else:
            self._local = TextAnalyzer(config)

    @classmethod
    def build(cls, *, spacy_model: str, policies_dir: Path, languages: Sequence[str] = ("en", "de"),
              default_language: str = "en", score_threshold: float = 0.4, cache_size: int = 4096,
              processes: int = 0, presidio_defaults: bool = False, custom: CustomRecognizers | None = None,
              recognizers_version: str = "", german_model: str = "", german_person_bias: float = 0.0) -> Detector:
        """Load the model(s) and recognizers now (seconds), so the first request does not pay for it.

        `custom`: the custom recognizers to run (the policy snapshot's); without it `policies_dir/recognizers.yaml`
        is read, and an invalid file raises `RecognizerConfigError`.
        """
        config = DetectorConfig(spacy_model=spacy_model, policies_dir=Path(policies_dir),
                                languages=tuple(languages), default_language=default_language,
                                score_threshold=score_threshold, presidio_defaults=presidio_defaults, custom=custom,
                                german_model=german_model, german_person_bias=german_person_bias)
        detector = cls(config, cache_size=cache_size, processes=processes)
        detector.recognizers_version = recognizers_version
        log.info("detector_ready", mode="processes" if processes else "thread", processes=processes,
                 languages=list(config.languages), ner_models=config.ner_models(), cache_size=cache_size)
        return detector

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Detector:
        """`build` with the deployment's settings (models, default language, threshold, cache, processes, the German
        person threshold); `overrides` replace any of them (a command's own policies directory, no cache)."""
        kwargs: dict[str, Any] = {
            "spacy_model": settings.spacy_model, "policies_dir": settings.policies_dir,
            "default_language": settings.default_language, "score_threshold": settings.detection_score_threshold,
            "cache_size": settings.detection_cache_size, "processes": settings.detection_processes,
            "german_model": settings.german_spacy_model, "german_person_bias": settings.german_person_bias}
        return cls.build(**{**kwargs, **overrides})

    def _start_pool(self, config: DetectorConfig | None = None) -> ProcessPoolExecutor:
        # spawn, not fork: the parent may run an event loop and threads, which fork copies badly.
        context = multiprocessing.get_context("spawn")
        self._peers = context.Barrier(self.processes)
        pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=context,
                                   initializer=worker.init_worker, initargs=(config or self.config, self._peers))
        # One call per worker, each waiting at the barrier for the others, makes every worker start (and load its
        # model) before the pool is used. (A fixed hold was not enough: a worker that loaded its model faster took
        # a second call while another was still loading.)
        for f in [pool.submit(worker.worker_info, _START_TIMEOUT_S) for _ in range(self.processes)]:
            f.result()
        return pool

    def use_recognizers(self, custom: CustomRecognizers, version: str) -> None:
        """Run a new set of custom recognizers from now on (a policy reload). The new analyzer (or worker pool) is
        built first, while the old one keeps serving; then both it and an empty cache are swapped in at once, so no
        text is answered from findings of the old set. Raises if the new set cannot be loaded (nothing changes)."""
        config = dataclasses.replace(self.config, custom=custom)
        if self.processes > 0:
            pool = self._start_pool(config)
            with self._pool_lock:
                old, self._pool = self._pool, pool
                self.config, self.cache, self.recognizers_version = config, FindingCache(self._cache_size), version
            if old is not None:
                # Retired off this thread, so the policy snapshot is swapped right after the pool: a request that read
                # the old pool just before the swap still submits to it, so it gets a moment, then finishes its work.
                threading.Thread(target=_retire, args=(old,), name="detector-retire", daemon=True).start()
        else:
            analyzer = TextAnalyzer(config)
            with self._local_lock:  # after any analysis in progress
                self._local = analyzer
                self.config, self.cache, self.recognizers_version = config, FindingCache(self._cache_size), version
        log.info("detector_recognizers_swapped", recognizers=version, custom=len(custom.specs))

    def worker_info(self) -> list[dict[str, float | int]]:
        """pid, start-up time and peak memory of each worker process (empty in thread mode)."""
        if self._pool is None:
            return []
        futures = [self._pool.submit(worker.worker_info, _START_TIMEOUT_S) for _ in range(self.processes)]
        try:
            return [f.result() for f in futures]
        except threading.BrokenBarrierError:
            if self._peers is not None:
                self._peers.reset()  # usable again for the next call
            raise

    def analyze(self, text: str, language: str | None = None) -> list[Finding]:
        """Findings in one text (`field` 0), offsets into the original text. Synchronous and CPU-bound."""
        return self.analyze_many([text], language)[0]

    def analyze_many(self, texts: Sequence[str], language: str | None = None) -> list[list[Finding]]:
        """Findings per text; texts seen before (same content and language) come from the cache, the others are
        analysed in packs (packing.py), so many small texts cost about what their characters cost in one."""
        cache = self.cache  # once: a recognizer swap replaces it, and findings of the old set must not land in it
        keys, results, todo = self._lookup(cache, texts, language)
        if todo:
            self._fill(cache, todo, language, results)
        return [list(results[k]) for k in keys]

    @staticmethod
    def _lookup(cache: FindingCache, texts: Sequence[str], language: str | None
                ) -> tuple[list[bytes], dict[bytes, tuple[Finding, ...]], dict[bytes, str]]:
        """Cache keys per text, the cached findings, and the distinct texts still to analyse."""
        keys = [cache_key(language, t) for t in texts]
        results: dict[bytes, tuple[Finding, ...]] = {}
        todo: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in results or key in todo:
                continue
            cached = cache.get(key)
            if cached is not None:
                results[key] = cached
            else:
                todo[key] = text
        return keys, results, todo

    def _fill(self, cache: FindingCache, todo: dict[bytes, str], language: str | None,
              results: dict[bytes, tuple[Finding, ...]]) -> None:
        """Analyse the texts of `todo` (in packs), cache and add their findings to `results`."""
        self._fill_each(cache, [todo], language, results)

    def _fill_each(self, cache: FindingCache, todos: list[dict[bytes, str]], language: str | None,
                   results: dict[bytes, tuple[Finding, ...]]) -> None:
        """`_fill` of several requests' texts in one analysis. Each request's texts are packed on their own (a pack
        has one language plan), so how a text is read (its language plan) never depends on what other requests sent."""
        packed = []
        for todo in todos:
            pending, texts = list(todo), list(todo.values())
            packed += [(pack, pending, texts) for pack in plan(texts)]
        found = self._run([pack.text for pack, _, _ in packed], language)
        for (pack, pending, texts), findings in zip(packed, found, strict=True):
            per_text = unpack(pack, findings, [len(texts[m]) for m in pack.members])
            for member, member_findings in zip(pack.members, per_text, strict=True):
                cache.put(pending[member], member_findings)
                results[pending[member]] = member_findings

    async def detect(self, texts: Sequence[str]) -> list[Finding]:
        """All findings across `texts`, each with `field` = its text's index. The cache is asked here, on the event
        loop (a digest per text), so a request whose texts were all seen before never waits behind an analysis;
        only what is new goes to the detector thread or pool."""
        cache = self.cache
        keys, results, todo = self._lookup(cache, texts, None)
        if todo:
            loop = asyncio.get_running_loop()
            if self._local is None:
                await loop.run_in_executor(self._threads, self._fill, cache, todo, None, results)
            else:
                wanted = _Wanted(cache, todo, results, loop, loop.create_future())
                with self._waiting_lock:
                    self._waiting.append(wanted)
                    start, self._draining = not self._draining, True
                if start:
                    try:
                        self._threads.submit(self._drain)
                    except RuntimeError as exc:  # closed: shutting down; nobody is left waiting forever
                        with self._waiting_lock:
                            left, self._waiting, self._draining = self._waiting, [], False
                        for w in left:
                            w.loop.call_soon_threadsafe(_settle, w.done, exc)
                        raise
                await wanted.done
        return [f.with_field(i) for i, key in enumerate(keys) for f in results[key]]

    def _drain(self) -> None:
        """The detector thread: analyse what every waiting request wants, together, until nobody waits. A request
        that arrives while a batch runs waits for the next one (up to _BATCH_CHARS characters per batch)."""
        while True:
            with self._waiting_lock:
                batch, size = [], 0
                while self._waiting and (not batch or size < _BATCH_CHARS):
                    wanted = self._waiting.pop(0)
                    batch.append(wanted)
                    size += sum(len(t) for t in wanted.todo.values())
                if not batch:
                    self._draining = False
                    return
            # Findings land in the cache of the recognizer set each request looked up (a swap starts a new cache).
            for cache in {id(w.cache): w.cache for w in batch}.values():
                group = [w for w in batch if w.cache is cache]
                error: BaseException | None = None
                try:
                    results: dict[bytes, tuple[Finding, ...]] = {}
                    self._fill_each(cache, [w.todo for w in group], None, results)
                    for w in group:
                        w.results.update({k: results[k] for k in w.todo})
                except BaseException as exc:  # noqa: BLE001 - each waiting request gets the error, as if alone
                    error = exc
                for w in group:
                    w.loop.call_soon_threadsafe(_settle, w.done, error)

    def _run(self, texts: list[str], language: str | None) -> list[tuple[Finding, ...]]:
        if self._local is not None:
            with self._local_lock:
                return self._local.analyze_many(texts, language)
        try:
            return self._run_in_pool(texts, language)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start a fresh pool once, then give up loudly.
            log.error("detector_pool_broken", processes=self.processes)
            with self._pool_lock:
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start_pool()
            try:
                return self._run_in_pool(texts, language)
            except BrokenProcessPool:
                raise ServiceUnavailable("detection is unavailable", code="detection_unavailable") from None

    def _run_in_pool(self, texts: list[str], language: str | None) -> list[tuple[Finding, ...]]:
        assert self._pool is not None
        chunks = _split_by_size(texts, self.processes)
        futures: list[Future[list[tuple[Finding, ...]]]] = [
            self._pool.submit(worker.analyze_batch, chunk, language) for chunk in chunks]
        out: list[tuple[Finding, ...]] = []
        for f in futures:
            out.extend(f.result())
        return out

    def close(self) -> None:
        """Stop worker processes and threads. The detector cannot be used afterwards."""
        self._threads.shutdown(wait=True, cancel_futures=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._local = None


_BATCH_CHARS = 64_000


@dataclasses.dataclass(slots=True)
class _Wanted:
    """A request's texts to analyse (cache key -> text), where their findings go, and what it awaits."""

    cache: FindingCache
    todo: dict[bytes, str]
    results: dict[bytes, tuple[Finding, ...]]
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[None]


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():  # the request went away (cancelled) while it waited
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def _retire(pool: ProcessPoolExecutor, grace_s: float = 1.0) -> None:
    time.sleep(grace_s)
    pool.shutdown(wait=True)


def _split_by_size(texts: list[str], parts: int) -> list[list[str]]:
    """Consecutive chunks of about equal total length, at most `parts` of them (order kept)."""
    if parts <= 1 or len(texts) <= 1:
        return [texts]
    target = math.ceil(sum(len(t) for t in texts) / parts)
    chunks: list[list[str]] = [[]]
    size = 0
    for t in texts:
        if size >= target and len(chunks) < parts:
            chunks.append([])
            size = 0
        chunks[-1].append(t)
        size += len(t)
    return chunks
