"""Load the policies directory into one immutable snapshot (policy + catalogue + custom recognizers), and keep it
current.

Layout: `<dir>/rules/*.yaml` (policy files, merged in lexical filename order; see compile.py), `<dir>/models.yaml`
(the catalogue) and `<dir>/recognizers.yaml` (custom detection, optional). Every file is read once into memory; the
version hash is taken over exactly the bytes that were parsed, so a decision's policy_version always names what
applied, whichever of the three files changed.

Hot reload keeps the last good snapshot: a reload that fails (bad YAML, unknown keys, a missing file, a rule
naming a model that is gone) changes nothing except `last_error` and the failure counter. `watch` reloads only
once a change has held still for one poll interval, so an editor's half-written save is not even tried.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from pydantic import ValidationError

from proxy.detection.custom import FILE_NAME as RECOGNIZERS_FILE
from proxy.detection.custom import CustomRecognizers, RecognizerConfigError, parse_recognizers_text
from proxy.detection.entity_types import known_types
from proxy.policy.compile import PolicyFile, compile_policy
from proxy.policy.errors import Issue, PolicyLoadError
from proxy.policy.lint import lint_policy
from proxy.policy.policyset import PolicySet
from proxy.policy.schema import PolicyFileSpec
from proxy.policy.yamlnodes import parse_yaml, validation_issues
from proxy.routing.catalogue import CATALOGUE_FILE, Catalogue, CatalogueError, parse_catalogue

RULES_DIR = "rules"
log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """What one request reads: take `holder.snapshot` once and use that object throughout."""

    policy: PolicySet
    catalogue: Catalogue
    files: tuple[str, ...] = ()  # relative paths of the files it was built from
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    recognizers: CustomRecognizers = field(default_factory=CustomRecognizers)
    recognizers_version: str = ""  # hash of recognizers.yaml alone: the detector runs exactly this one
    # What loads but probably does not do what its author meant (rules that can never win, missing keys).
    warnings: tuple[Issue, ...] = ()

    @property
    def version(self) -> str:
        return self.policy.version


@dataclass(frozen=True, slots=True)
class ReloadResult:
    applied: bool          # a new snapshot now serves
    version: str           # the version serving after this reload
    previous_version: str
    error: str | None = None  # why the change was rejected (the last good snapshot keeps serving)
    warnings: tuple[str, ...] = ()  # of the snapshot serving after this reload

    @property
    def unchanged(self) -> bool:
        return not self.applied and self.error is None


def policy_files(policies_dir: Path) -> list[Path]:
    """The rule files, in merge order. Hidden files and editor leftovers (not *.yaml / *.yml) are ignored."""
    rules = Path(policies_dir) / RULES_DIR
    if not rules.is_dir():
        return []
    return sorted((p for p in rules.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")
                   and p.is_file()), key=lambda p: p.name)


def read_sources(policies_dir: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file the policy is built from. A missing models.yaml or recognizers.yaml is
    simply absent (the first is then reported, the second means no custom recognizers)."""
    base = Path(policies_dir)
    out: dict[str, bytes] = {}
    for path in [*policy_files(base), base / CATALOGUE_FILE, base / RECOGNIZERS_FILE]:
        try:
            out[path.relative_to(base).as_posix()] = path.read_bytes()
        except FileNotFoundError:
            continue  # deleted between listing and reading: reported as missing below, or seen on the next poll
    return out


def content_version(sources: dict[str, bytes]) -> str:
    """12 hex digits of a SHA-256 over the file names and contents: the policy version decisions carry."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + hashlib.sha256(sources[name]).digest())
    return digest.hexdigest()[:12]


def build_snapshot(sources: dict[str, bytes], *, label: str = "",
                   environ: Mapping[str, str] | None = None) -> PolicySnapshot:
    """Validate and compile in-memory sources. Raises PolicyLoadError with every located issue. `environ` (default:
    the process environment) is where catalogue `${VAR}`s and provider keys are looked up."""
    environ = os.environ if environ is None else environ
    prefix = f"{label.rstrip('/')}/" if label else ""
    issues: list[Issue] = []
    catalogue_name = prefix + CATALOGUE_FILE
    raw_catalogue = sources.get(CATALOGUE_FILE)
    if raw_catalogue is None:
        raise PolicyLoadError([Issue(catalogue_name, (), "missing: the model catalogue is required")])
    catalogue_text = _text(raw_catalogue, catalogue_name, issues)
    catalogue_doc, yaml_issues = parse_yaml(catalogue_text, catalogue_name)
    issues += yaml_issues
    try:
        catalogue = parse_catalogue(catalogue_text, source=catalogue_name, environ=environ)
    except CatalogueError as exc:
        issues.append(Issue(catalogue_name, (), str(exc).removeprefix(catalogue_name + ": ")))
        catalogue = Catalogue()

    recognizers, recognizers_version = _recognizers(sources.get(RECOGNIZERS_FILE), prefix + RECOGNIZERS_FILE,
                                                    issues)
    files: list[PolicyFile] = []
    for name in sorted(n for n in sources if n not in (CATALOGUE_FILE, RECOGNIZERS_FILE)):
        source = prefix + name
        doc, yaml_issues = parse_yaml(_text(sources[name], source, issues), source)
        issues += yaml_issues
        if doc is None:
            continue
        if not isinstance(doc.data, dict):
            issues.append(doc.issue((), "expected a mapping with apiVersion: govproxy/v1"))
            continue
        try:
            files.append(PolicyFile(doc, PolicyFileSpec.model_validate(doc.data)))
        except ValidationError as exc:
            issues += validation_issues(doc, exc, PolicyFileSpec)
    if issues:
        raise PolicyLoadError(issues)
    if not files:
        raise PolicyLoadError([Issue(prefix + RULES_DIR + "/", (), "no policy files (*.yaml) found")])
    types = known_types(spec.entity_type for spec in recognizers.specs)
    policy = compile_policy(files, catalogue, version=content_version(sources), catalogue_doc=catalogue_doc,
                            known_types=types)
    warnings = lint_policy(policy, catalogue, environ, catalogue_source=catalogue_name)
    return PolicySnapshot(policy, catalogue, tuple(sorted(sources)), recognizers=recognizers,
                          recognizers_version=recognizers_version, warnings=tuple(warnings))


def _recognizers(raw: bytes | None, source: str, issues: list[Issue]) -> tuple[CustomRecognizers, str]:
    if raw is None:
        return CustomRecognizers(), "none"
    version = hashlib.sha256(raw).hexdigest()[:12]
    try:
        return parse_recognizers_text(_text(raw, source, issues), Path(source)), version
    except RecognizerConfigError as exc:
        issues.append(Issue(source, (), str(exc).removeprefix(source + ": ")))
        return CustomRecognizers(), version


def load_policies(policies_dir: Path) -> PolicySnapshot:
    """Read and compile a policies directory (raises PolicyLoadError)."""
    return build_snapshot(read_sources(policies_dir), label=str(policies_dir))


def _text(raw: bytes, source: str, issues: list[Issue]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        issues.append(Issue(source, (), f"not UTF-8 (byte {exc.start})"))
        return ""


def log_warnings(snapshot: PolicySnapshot) -> None:
    """One log event per validation warning (names and files only)."""
    for warning in snapshot.warnings:
        log.warning("policy_warning", version=snapshot.version, warning=str(warning))


class PolicyHolder:
    """Holds the current snapshot and swaps it atomically on a good reload (one attribute assignment: a reader
    sees the old snapshot or the new, never a mix). Construction fails if the directory does not load: a
    governance proxy does not start without a policy.

    `before_swap`, if set, is called with a new snapshot whose recognizers changed, before it serves (the detector
    installs them there); if it raises, the reload is rejected and the last good snapshot keeps serving."""

    def __init__(self, policies_dir: Path) -> None:
        self.policies_dir = Path(policies_dir)
        self.before_swap: Callable[[PolicySnapshot], None] | None = None
        self._lock = threading.Lock()
        sources = read_sources(self.policies_dir)
        self._snapshot = build_snapshot(sources, label=str(self.policies_dir))
        self.last_error: str | None = None
        self.reloads = 0          # applied reloads
        self.reload_failures = 0  # rejected changes (for a metric)
        self._rejected: str | None = None  # the version last rejected, so the watcher does not retry it

    @property
    def snapshot(self) -> PolicySnapshot:
        return self._snapshot

    @property
    def version(self) -> str:
        return self._snapshot.version

    def reload(self, *, allow_removals: bool = True) -> ReloadResult:
        """Re-read the directory; apply it if it changed and is valid, else keep the last good snapshot.

        With `allow_removals=False` (the watcher) a change in which a file that serves now has disappeared is
        rejected: a file deleted by mistake, or mid-replace, never replaces the running policy. An explicit
        reload (admin endpoint, restart) confirms a deliberate removal."""
        with self._lock:
            return self._apply(read_sources(self.policies_dir), allow_removals=allow_removals)

    def _apply(self, sources: dict[str, bytes], *, allow_removals: bool) -> ReloadResult:
        current = self._snapshot.version
        version = content_version(sources)
        if version == current:
            self.last_error = None  # back to what serves (e.g. a bad edit reverted)
            return ReloadResult(False, current, current)
        try:
            gone = sorted(set(self._snapshot.files) - set(sources))
            if gone and not allow_removals:
                raise PolicyLoadError([Issue(f"{self.policies_dir}/{name}", (), "file disappeared; reload "
                                             "explicitly (POST /admin/policy/reload) to confirm the removal")
                                       for name in gone])
            snapshot = build_snapshot(sources, label=str(self.policies_dir))
            if self.before_swap is not None and snapshot.recognizers_version != self._snapshot.recognizers_version:
                try:
                    self.before_swap(snapshot)
                except Exception as exc:  # noqa: BLE001 - any failure to install them rejects the change
                    raise PolicyLoadError([Issue(f"{self.policies_dir}/{RECOGNIZERS_FILE}", (),
                                                 f"the detector could not load the new recognizers "
                                                 f"({type(exc).__name__})")]) from None
        except PolicyLoadError as exc:
            self.last_error = str(exc)
            self.reload_failures += 1
            self._rejected = version
            log.warning("policy_reload_rejected", version=current, candidate=version, issues=len(exc.issues),
                        first_issue=str(exc.issues[0]) if exc.issues else None)
            return ReloadResult(False, current, current, self.last_error)
        self._snapshot = snapshot
        self.last_error = None
        self.reloads += 1
        log.info("policy_reloaded", version=snapshot.version, previous_version=current,
                 rules=len(snapshot.policy.rules), models=len(snapshot.catalogue.targets),
                 recognizers=snapshot.recognizers_version)
        log_warnings(snapshot)
        return ReloadResult(True, snapshot.version, current, warnings=tuple(str(w) for w in snapshot.warnings))

    async def watch(self, interval_s: float) -> None:
        """Poll the directory every `interval_s` seconds and reload a change once it has stayed the same for one
        interval (a file mid-write or mid-replace is not tried). Runs until cancelled; 0 disables it."""
        if interval_s <= 0:
            return
        pending: str | None = None
        while True:
            await asyncio.sleep(interval_s)
            try:
                sources = await asyncio.to_thread(read_sources, self.policies_dir)
            except OSError as exc:
                log.warning("policy_watch_read_failed", error=exc.strerror)
                continue
            version = content_version(sources)
            if version == self._snapshot.version:
                pending = None
                if self.last_error is not None:
                    self.last_error = None
                continue
            if version == self._rejected:
                continue  # already rejected; last_error says why
            if version != pending:
                pending = version  # changed since the last look: wait one more interval
                continue
            pending = None
            await asyncio.to_thread(self._apply_locked, sources)

    def _apply_locked(self, sources: dict[str, bytes]) -> ReloadResult:
        with self._lock:
            return self._apply(sources, allow_removals=False)
