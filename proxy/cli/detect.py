"""`govproxy scan` and `govproxy redact`: run detection over a file or stdin, the stable entry points for evaluation.

Input is plain text (one record: the whole input) or JSONL with a `text` field per line (auto-detected). Output
never contains detected values: offsets, entity types, scores and recognizer names only (`redact` prints the text
with values replaced by the proxy's own redaction strategies, placeholders by default).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from proxy.detection.findings import Finding
from proxy.logging import configure_logging
from proxy.redaction.apply import apply_redactions
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.pseudonyms import PseudonymMap
from proxy.settings import Settings


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"


class InputFormat(StrEnum):
    AUTO = "auto"
    TEXT = "text"
    JSONL = "jsonl"


@dataclass(slots=True)
class Record:
    index: int
    text: str
    meta: dict[str, Any]  # scalar fields of a JSONL record other than `text` (e.g. `id`)


def _read_input(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def _jsonl_records(raw: str) -> list[Record] | None:
    records = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            return None
        meta = {k: v for k, v in obj.items()
                if k != "text" and (v is None or isinstance(v, str | int | float | bool))}
        records.append(Record(len(records), obj["text"], meta))
    return records or None


def read_records(source: str, input_format: InputFormat) -> list[Record]:
    """Records from a file or stdin: JSONL with a `text` field per line, or the whole input as one text."""
    raw = _read_input(source)
    if input_format is not InputFormat.TEXT:
        records = _jsonl_records(raw)
        if records is not None:
            return records
        if input_format is InputFormat.JSONL:
            raise typer.BadParameter("input is not JSONL with a string `text` field on every line")
    return [Record(0, raw, {})]


def finding_dict(f: Finding) -> dict[str, Any]:
    """The documented per-finding output: offsets and labels, never the value."""
    return {"start": f.start, "end": f.end, "entity_type": f.entity_type, "score": f.score,
            "recognizer": f.recognizer, "language": f.language}


class Strategy(StrEnum):
    MASK = "mask"
    PLACEHOLDER = "placeholder"
    HASH = "hash"
    ENCRYPT = "encrypt"
    DROP = "drop"


def _redactor(strategy: Strategy) -> Callable[[str, list[Finding]], str]:
    """The proxy's own redaction (proxy.redaction) with one strategy for every entity type; a fresh pseudonym map
    per record, as per request in the proxy, so `<PERSON_1>` numbering restarts with each record."""
    settings = Settings()
    keys = RedactionKeys.from_secret(settings.redaction_key.get_secret_value() if settings.redaction_key else None)

    def redact(text: str, findings: list[Finding]) -> str:
        strategies = {f.entity_type: strategy.value for f in findings}
        return apply_redactions([text], findings, strategies, PseudonymMap(), keys).texts[0]

    return redact


def _analyzed(records: list[Record], language: str | None, policies: Path | None, processes: int,
              presidio_defaults: bool, batch: int = 256) -> Iterator[tuple[Record, list[Finding]]]:
    # These load spaCy and the name lists (about 1.3 s): only when a scan runs, never for the other commands.
    from proxy.detection.custom import RecognizerConfigError
    from proxy.detection.detector import Detector

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)  # logs to stderr: stdout carries the results
    try:
        detector = Detector.from_settings(settings, policies_dir=policies or settings.policies_dir, cache_size=0,
                                          processes=processes, presidio_defaults=presidio_defaults)
    except RecognizerConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        for i in range(0, len(records), batch):
            chunk = records[i:i + batch]
            yield from zip(chunk, detector.analyze_many([r.text for r in chunk], language), strict=True)
    finally:
        detector.close()


SOURCE = typer.Argument("-", help="A text or JSONL file; `-` reads stdin.")
LANGUAGE = typer.Option(None, "--language", "-l", help="en or de; default: detected per record.")
POLICIES = typer.Option(None, "--policies", help="Policies directory (recognizers.yaml); default from settings.")
INPUT = typer.Option(InputFormat.AUTO, "--input", help="auto: JSONL when every line is an object with `text`.")
PROCESSES = typer.Option(0, "--processes", help="Detector worker processes (0: analyse in this process).")
BASELINE = typer.Option(False, "--presidio-defaults", hidden=True,
                        help="Evaluation baseline: Presidio's default recognizers, every text read as English.")


def scan(source: str = SOURCE, language: str | None = LANGUAGE,
         fmt: OutputFormat = typer.Option(OutputFormat.TEXT, "--format", "-f"),
         policies: Path | None = POLICIES, input_format: InputFormat = INPUT, processes: int = PROCESSES,
         fail_on_findings: bool = typer.Option(False, "--fail-on-findings", help="Exit 1 when anything is found."),
         presidio_defaults: bool = BASELINE) -> None:
    """Print the sensitive spans found per record: start, end, entity_type, score, recognizer (never values)."""
    records = read_records(source, input_format)
    total = 0
    collected = []
    for record, findings in _analyzed(records, language, policies, processes, presidio_defaults):
        total += len(findings)
        item = {"record": record.index, **record.meta, "findings": [finding_dict(f) for f in findings]}
        if fmt is OutputFormat.JSONL:
            typer.echo(json.dumps(item, ensure_ascii=False))
        elif fmt is OutputFormat.JSON:
            collected.append(item)
        else:
            label = f" id={record.meta['id']}" if "id" in record.meta else ""
            typer.echo(f"record {record.index}{label}: {len(findings)} finding(s)")
            for f in findings:
                typer.echo(f"  {f.start}-{f.end}\t{f.entity_type}\t{f.score:.2f}\t{f.recognizer}\t{f.language}")
    if fmt is OutputFormat.JSON:
        typer.echo(json.dumps(collected, ensure_ascii=False, indent=2))
    if fail_on_findings and total:
        raise typer.Exit(1)


def redact(source: str = SOURCE, language: str | None = LANGUAGE,
           fmt: OutputFormat = typer.Option(OutputFormat.TEXT, "--format", "-f"),
           policies: Path | None = POLICIES, input_format: InputFormat = INPUT,
           processes: int = PROCESSES,
           strategy: Strategy = typer.Option(Strategy.PLACEHOLDER, "--strategy",
                                             help="How every finding is replaced (the proxy's strategies).")) -> None:
    """Print the input with every finding replaced, by default by a placeholder such as <PERSON_1>."""
    records = read_records(source, input_format)
    redactor = _redactor(strategy)
    collected = []
    for record, findings in _analyzed(records, language, policies, processes, False):
        redacted = redactor(record.text, findings)
        if fmt is OutputFormat.TEXT:
            typer.echo(redacted, nl=not redacted.endswith("\n"))
            continue
        item = {"record": record.index, **record.meta, "text": redacted,
                "findings": [finding_dict(f) for f in findings]}
        if fmt is OutputFormat.JSONL:
            typer.echo(json.dumps(item, ensure_ascii=False))
        else:
            collected.append(item)
    if fmt is OutputFormat.JSON:
        typer.echo(json.dumps(collected, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add `scan` and `redact` to the main CLI."""
    app.command("scan")(scan)
    app.command("redact")(redact)
