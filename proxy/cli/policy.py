"""`govproxy policy validate | test | explain`: tooling for the policy owner. Nothing here contacts an upstream.

validate: load the directory (rules/*.yaml + models.yaml) and print a summary, or every error with file:line:col.
test:     run the YAML cases in <dir>/tests/ through real detection, the policy and real redaction.
explain:  one prompt or JSON request body -> findings (no values), the classification and what raised it, every
          rule with matched / not matched and why, each model allowed or excluded and why, the redacted text.
replay:   re-decide past requests from the audit log under a candidate policy directory (see replay.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from proxy.settings import Settings

# The policy machinery imports the recognizers (name lists, spaCy: seconds); it is imported in the commands that use
# it, so `govproxy audit …`, `keys`, `db` and `serve --help` do not pay for it.
if TYPE_CHECKING:
    from proxy.detection.findings import Finding
    from proxy.policy.dryrun import DetectFn, DryRun, RedactFn
    from proxy.policy.loader import PolicySnapshot
    from proxy.policy.trace import Trace

policy_app = typer.Typer(help="Validate, test and explain the data policy (no upstream is contacted).",
                         no_args_is_help=True)
DIR = typer.Argument(None, help="The policies directory (default: GOVPROXY_POLICIES_DIR or ./policies).")


def _load(directory: Path | None) -> tuple[Settings, Path, PolicySnapshot]:
    from proxy.policy.errors import PolicyLoadError
    from proxy.policy.loader import load_policies

    settings = Settings()
    root = directory or settings.policies_dir
    try:
        return settings, root, load_policies(root)
    except PolicyLoadError as exc:
        typer.echo(f"{root}: the policy does not load ({len(exc.issues)} problem(s)):", err=True)
        for issue in exc.issues:
            typer.echo(f"  {issue}", err=True)
        raise typer.Exit(1) from None


@policy_app.command("validate")
def validate(directory: Path | None = DIR,
             strict: bool = typer.Option(False, "--strict", help="Exit 3 when there are warnings (for CI).")) -> None:
    """Check the policy files, the model catalogue and recognizers.yaml; exit 1 with line-numbered errors if they do
    not load. Warnings (rules that can never decide, provider keys that are not set) do not fail it unless --strict."""
    _, root, snap = _load(directory)
    p = snap.policy
    shadow = sum(1 for r in p.rules if r.mode.value == "shadow")
    typer.echo(f"{root}: OK, version {snap.version}")
    typer.echo(f"  files:       {', '.join(Path(f).name for f in p.files)}")
    typer.echo(f"  levels:      {' < '.join(p.levels)} (floor {p.levels[p.floor]}, unlisted types "
               f"{p.levels[p.unlisted]})")
    typer.echo(f"  rules:       {len(p.rules)} ({shadow} shadow), default: {p.default.action.value}")
    typer.echo(f"  models:      {len(snap.catalogue.targets)}; policy aliases: {', '.join(p.aliases) or 'none'}")
    custom = snap.recognizers
    types = sorted({spec.entity_type for spec in custom.specs})
    typer.echo(f"  recognizers: {len(custom.specs)} custom ({', '.join(types) or 'none'}), "
               f"version {snap.recognizers_version}")
    for entity_type in types:
        if entity_type not in p.entity_levels:
            typer.echo(f"  note: {entity_type} has no level under `entities`; it counts as "
                       f"{p.levels[p.unlisted]} (unlisted)")
    for warning in snap.warnings:
        typer.echo(f"warning: {warning}")
    if snap.warnings:
        typer.echo(f"{len(snap.warnings)} warning(s)")
        if strict:
            raise typer.Exit(3)


def _detection(settings: Settings, root: Path) -> tuple[DetectFn, Callable[[], None]]:
    from proxy.detection.custom import RecognizerConfigError
    from proxy.detection.detector import Detector  # loads spaCy: only when a command runs
    from proxy.logging import configure_logging

    configure_logging(settings.log_level, settings.log_json)  # logs go to stderr
    try:
        detector = Detector.from_settings(settings, policies_dir=root, cache_size=0, processes=0)
    except RecognizerConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None

    def detect(texts: Sequence[str]) -> list[Finding]:
        per_text = detector.analyze_many(list(texts))
        return [f.with_field(i) for i, found in enumerate(per_text) for f in found]

    return detect, detector.close


def _redaction(settings: Settings) -> RedactFn:
    """The proxy's own redaction, with the configured key (a random one without it: hashes and ciphertexts then
    differ per run, placeholders do not). One pseudonym map per request, as in the request path."""
    from proxy.redaction.apply import apply_redactions
    from proxy.redaction.keys import RedactionKeys
    from proxy.redaction.pseudonyms import PseudonymMap

    keys = RedactionKeys.from_secret(settings.redaction_key.get_secret_value() if settings.redaction_key else None)

    def redact(texts: Sequence[str], findings: Sequence[Finding], strategies: dict[str, str]) -> list[str]:
        return apply_redactions(texts, findings, strategies, PseudonymMap(), keys).texts

    return redact


@policy_app.command("test")
def test(directory: Path | None = DIR,
         verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print the decision of passing cases.")
         ) -> None:
    """Run the policy test cases in DIR/tests/*.yaml (real detection and redaction); exit 1 if any fails."""
    from proxy.policy.cases import load_cases, run_case
    from proxy.policy.errors import PolicyLoadError

    settings, root, snap = _load(directory)
    try:
        cases = load_cases(root)
    except PolicyLoadError as exc:
        typer.echo("the test cases do not load:", err=True)
        for issue in exc.issues:
            typer.echo(f"  {issue}", err=True)
        raise typer.Exit(1) from None
    if not cases:
        typer.echo(f"no test cases in {root}/tests/", err=True)
        raise typer.Exit(1)
    detect, close = _detection(settings, root)
    redact = _redaction(settings)
    failed = 0
    try:
        for source, case in cases:
            result = run_case(snap, source, case, detect=detect, redact=redact)
            typer.echo(f"{'PASS' if result.passed else 'FAIL'}  {Path(source).name}: {case.name}")
            for failure in result.failures:
                typer.echo(f"        {failure}")
            if result.run is not None and (verbose or not result.passed):
                d = result.run.decision
                typer.echo(f"        decided: {d.classification}, rule {d.rule}, {d.action.value}, "
                           f"route {d.targets[0] if d.targets else 'none'}")
            failed += not result.passed
    finally:
        close()
    typer.echo(f"{len(cases) - failed} passed, {failed} failed (policy version {snap.version})")
    if failed:
        raise typer.Exit(1)


@policy_app.command("explain")
def explain(prompt: str | None = typer.Argument(None, help="The prompt; omit (or `-`) to read a JSON request "
                                                           "body from stdin."),
            caller_team: str = typer.Option(..., "--caller-team", help="The caller's team."),
            caller_user: str = typer.Option("cli", "--caller-user"),
            labels: list[str] = typer.Option([], "--label", help="A key label (repeatable)."),
            model: str | None = typer.Option(None, "--model", "-m", help="The model alias (default: the body's)."),
            endpoint: str = typer.Option("chat", "--endpoint", help="chat, messages, completions or embeddings."),
            classification: str | None = typer.Option(None, "--classification",
                                                      help="As the x-data-classification header would say."),
            directory: Path | None = typer.Option(None, "--policies", help="The policies directory."),
            as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show how the policy decides one request: findings, classification, rules, route, redacted text."""
    from proxy.auth.caller import Caller
    from proxy.errors import ProxyError
    from proxy.policy.dryrun import ENDPOINTS, dry_run

    if endpoint not in ENDPOINTS:
        raise typer.BadParameter(f"expected one of: {', '.join(ENDPOINTS)}", param_hint="--endpoint")
    settings, root, snap = _load(directory)
    body = _request_body(prompt, model, endpoint)
    caller = Caller(key_id="cli", team=caller_team, user=caller_user, labels=frozenset(labels))
    detect, close = _detection(settings, root)
    try:
        run = dry_run(snap, caller, endpoint, body, header_classification=classification, detect=detect,
                      redact=_redaction(settings))
    except ProxyError as exc:
        typer.echo(f"refused ({exc.status}): {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        close()
    if as_json:
        typer.echo(json.dumps(explain_dict(run, snap), ensure_ascii=False, indent=2))
    else:
        for line in explain_lines(run, snap):
            typer.echo(line)


def _trace(run: DryRun, snap: PolicySnapshot) -> Trace:
    from proxy.policy.trace import trace

    assert run.facts is not None
    return trace(snap.policy, snap.catalogue, run.facts, run.decision)


def _request_body(prompt: str | None, model: str | None, endpoint: str) -> dict[str, Any]:
    from proxy.policy.dryrun import body_for

    if prompt is not None and prompt != "-":
        if not model:
            raise typer.BadParameter("give --model with a prompt", param_hint="--model")
        return body_for(endpoint, model, prompt)
    try:
        body = json.loads(sys.stdin.read())
    except ValueError:
        raise typer.BadParameter("stdin is not a JSON request body") from None
    if not isinstance(body, dict):
        raise typer.BadParameter("stdin must hold a JSON object (an OpenAI or Anthropic request body)")
    if model:
        body["model"] = model
    return body


def explain_dict(run: DryRun, snap: PolicySnapshot) -> dict[str, Any]:
    """The explanation as data: everything but values (the redacted texts are what would be sent)."""
    d = run.decision
    t = _trace(run, snap)
    return {
        "policy_version": snap.version,
        "model": run.request.model,
        "findings": [{"text": f.field, "start": f.start, "end": f.end, "entity_type": f.entity_type,
                      "score": round(f.score, 3), "recognizer": f.recognizer} for f in run.findings],
        "classification": d.classification,
        "classification_after_redaction": d.classification_after_redaction,
        "classification_raised_by": list(t.raised_by),
        "rule": d.rule,
        "matches": [{"rule": m.rule, "action": m.action.value, "mode": m.mode.value} for m in d.matches],
        "rules": [{"rule": r.rule, "mode": r.mode, "action": r.action, "matched": r.matched, "status": r.status,
                   "reason": r.reason} for r in t.rules],
        "models": [{"model": m.alias, "location": m.location, "allowed": m.allowed, "reason": m.reason}
                   for m in t.targets],
        "action": d.action.value,
        "targets": list(d.targets),
        "locations": sorted(loc.value for loc in d.allowed_locations),
        "rerouted_from": d.rerouted_from,
        "strategies": d.strategy_map,
        "message": d.message,
        "redacted": list(run.redacted) if run.redacted is not None else None,
    }


def explain_lines(run: DryRun, snap: PolicySnapshot) -> list[str]:
    d = run.decision
    kinds = [t.kind + (f"/{t.role}" if t.role else "") for t in run.request.texts]
    out = [f"policy      version {snap.version}",
           f"request     {run.request.endpoint.value} model={run.request.model} texts={len(kinds)}",
           f"findings    {len(run.findings)}"]
    out += [f"  text {f.field} ({kinds[f.field]}) {f.start}-{f.end}  {f.entity_type}  {f.score:.2f}  "
            f"{f.recognizer}" for f in run.findings]
    after = f" (after redaction: {d.classification_after_redaction})" if d.classification_after_redaction and \
        d.classification_after_redaction != d.classification else ""
    t = _trace(run, snap)
    out.append(f"class       {d.classification}{after}  raised by: {', '.join(t.raised_by)}")
    out.append("rules       (in order; the first matching enforce rule decides)")
    width = max(len(r.rule) for r in t.rules)
    for r in t.rules:
        mark = "->" if r.status in ("decides", "default") and r.matched else "  "
        verdict = "matched    " if r.matched else "not matched"
        out.append(f"  {mark} {r.rule:<{width}}  {r.action:<6} {r.mode:<7} {verdict}  {r.reason}")
    out.append(f"action      {d.action.value}")
    if d.targets:
        target = snap.catalogue.get(d.targets[0])
        where = f" ({target.location.value})" if target else ""
        fallbacks = f", fallbacks: {', '.join(d.targets[1:])}" if len(d.targets) > 1 else ""
        moved = f" [instead of {d.rerouted_from}]" if d.rerouted_from else ""
        out.append(f"route       {d.targets[0]}{where}{moved}{fallbacks}")
    else:
        out.append("route       none")
    out.append("models")
    for m in t.targets:
        out.append(f"  {'+' if m.allowed else '-'} {m.alias} ({m.location}): {m.reason}")
    if d.strategies:
        out.append("redact      " + ", ".join(f"{e}={s}" for e, s in d.strategies))
    if d.message:
        out.append(f"message     {d.message}")
    if run.redacted is not None:
        out.append("sent" if not d.strategies else "sent (redacted)")
        out += [f"  [{i}] {kinds[i]}: {text}" for i, text in enumerate(run.redacted)]
    return out


def register(app: typer.Typer) -> None:
    """Add `policy validate|test|explain|replay` to the main CLI."""
    from proxy.cli import replay

    replay.register(policy_app)
    app.add_typer(policy_app, name="policy")
