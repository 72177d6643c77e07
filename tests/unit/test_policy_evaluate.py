"""evaluate() over a table of cases, on the small policy in policy_fixtures."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from proxy.policy.decision import Action, Location, Mode
from proxy.policy.errors import UnknownClassification, UnknownModel, UnsupportedEndpoint
from proxy.policy.evaluate import RequestFacts, allowed_models, evaluate
from proxy.request.context import Endpoint
from tests.unit.policy_fixtures import caller, finding, snapshot


@dataclass(frozen=True)
class Case:
    name: str
    model: str
    found: tuple[tuple[str, float], ...] = ()
    team: str = "eng"
    user: str = "alice"
    labels: tuple[str, ...] = ()
    endpoint: Endpoint = Endpoint.CHAT
    header: str | None = None
    texts: tuple[str, ...] = ()
    # Expected:
    action: Action = Action.ALLOW
    rule: str = "default"
    classification: str = "public"
    targets: tuple[str, ...] = ()
    strategies: dict[str, str] = field(default_factory=dict)
    shadow: tuple[str, ...] = ()
    after: str | None = None


CASES = [
    Case("nothing found, on-prem model: default allow with on-prem fallbacks only (ext-a is another location)",
         "onprem-a", targets=("onprem-a", "onprem-b"), after="public"),
    Case("nothing found, external: shadow rule recorded, fallbacks keep to the location and capability",
         "ext-a", targets=("ext-a", "ext-low", "ext-b"), shadow=("shadow-ext",), after="public"),
    Case("internal data: ext-low (cleared for public) is no longer a fallback",
         "ext-a", found=(("EMAIL_ADDRESS", 0.9),), classification="internal", targets=("ext-a", "ext-b"),
         shadow=("shadow-ext",), after="internal"),
    Case("team glob + all labels: breakglass wins before the secret rule",
         "onprem-a", found=(("AWS_ACCESS_KEY_ID", 0.9),), team="ops-eu", labels=("breakglass", "eu", "x"),
         rule="ops-breakglass", classification="restricted", targets=("onprem-a", "onprem-b"), after="restricted"),
    Case("team glob but a label missing: the secret rule blocks",
         "onprem-a", found=(("AWS_ACCESS_KEY_ID", 0.9),), team="ops-eu", labels=("breakglass",),
         action=Action.BLOCK, rule="block-secrets", classification="restricted"),
    Case("secret via group, external model: block, and the shadow rule further down is still recorded",
         "ext-a", found=(("GENERIC_SECRET", 0.5),), action=Action.BLOCK, rule="block-secrets",
         classification="restricted", shadow=("shadow-ext",)),
    Case("two emails are fewer than minCount 3: redacted with the type's own strategy",
         "ext-a", found=(("EMAIL_ADDRESS", 0.9), ("EMAIL_ADDRESS", 0.9), ("PERSON", 0.9)),
         action=Action.REDACT, rule="pii-external", classification="confidential",
         targets=("ext-a", "ext-low", "ext-b"), strategies={"EMAIL_ADDRESS": "hash", "PERSON": "placeholder"},
         shadow=("shadow-ext",), after="public"),
    Case("three emails reach minCount",
         "ext-a", found=(("EMAIL_ADDRESS", 0.9),) * 3, action=Action.BLOCK, rule="block-many-emails",
         classification="internal", shadow=("shadow-ext",)),
    Case("SSN below minScore: not blocked, routed on-prem by the id rule",
         "ext-a", found=(("US_SSN", 0.6),), action=Action.ROUTE, rule="ids-onprem", classification="restricted",
         targets=("onprem-a", "onprem-b"), shadow=("shadow-ext",), after="restricted"),
    Case("SSN at minScore: blocked", "ext-a", found=(("US_SSN", 0.8),), action=Action.BLOCK,
         rule="block-sure-ssn", classification="restricted", shadow=("shadow-ext",)),
    Case("id asked of an on-prem model: stays there",
         "onprem-b", found=(("DE_TAX_ID", 0.9),), action=Action.ROUTE, rule="ids-onprem",
         classification="restricted", targets=("onprem-b",), after="restricted"),
    Case("custom pattern routes to a named alias",
         "ext-a", texts=("hello", "about Project  FALCON"), action=Action.ROUTE, rule="codename",
         targets=("onprem-b",), shadow=("shadow-ext",), after="public"),
    Case("pattern absent: nothing", "onprem-b", texts=("project eagle",), targets=("onprem-b",), after="public"),
    Case("classification equals confidential on embeddings: blocked",
         "onprem-embed", endpoint=Endpoint.EMBEDDINGS, found=(("PERSON", 0.9),), action=Action.BLOCK,
         rule="no-confidential-embeddings", classification="confidential"),
    Case("equals does not match restricted (the header raised it); ids rule decides",
         "onprem-embed", endpoint=Endpoint.EMBEDDINGS, found=(("PERSON", 0.9),), header="restricted",
         action=Action.ROUTE, rule="restricted-free", classification="restricted", targets=("onprem-embed",),
         after="restricted"),
    Case("user glob + requested location external: intern routed on-prem",
         "ext-a", user="intern-bob", action=Action.ROUTE, rule="interns-onprem", targets=("onprem-a", "onprem-b"),
         shadow=("shadow-ext",), after="public"),
    Case("intern asking on-prem: the location condition does not hold",
         "onprem-b", user="intern-bob", targets=("onprem-b",), after="public"),
    Case("endpoint + max classification: completions of public data rerouted to ext-low (which lacks completions)",
         "ext-a", endpoint=Endpoint.COMPLETIONS, action=Action.ROUTE, rule="low-to-external-low",
         shadow=("shadow-ext",), after="public"),
    Case("header raises: internal data declared confidential is redacted but stays confidential -> blocked",
         "ext-a", found=(("PERSON", 0.9),), header="Confidential", action=Action.BLOCK, rule="pii-external",
         classification="confidential", shadow=("shadow-ext",)),
    Case("header never lowers: declared public, detected confidential",
         "onprem-a", found=(("PERSON", 0.9),), header="public", classification="confidential",
         targets=("onprem-a", "onprem-b"), after="confidential"),
    Case("unlisted entity type counts as confidential and the wildcard masks it",
         "ext-a", found=(("SHIP_NAME", 0.9),), action=Action.REDACT, rule="pii-external",
         classification="confidential", targets=("ext-a", "ext-low", "ext-b"), strategies={"SHIP_NAME": "mask"},
         shadow=("shadow-ext",), after="public"),
    Case("auto with public data goes external",
         "auto", targets=("ext-a", "ext-low", "ext-b"), after="public"),
    Case("auto with confidential data goes on-prem, unredacted; late shadow rule recorded",
         "auto", found=(("PERSON", 0.9), ("PERSON", 0.7)), classification="confidential",
         targets=("onprem-a", "onprem-b"), shadow=("shadow-late",), after="confidential"),
    Case("auto picks a capable target per endpoint",
         "auto", endpoint=Endpoint.EMBEDDINGS, found=(("EMAIL_ADDRESS", 0.9),), classification="internal",
         targets=("ext-embed",), after="internal"),
    Case("messages endpoint counts as chat", "ext-b", endpoint=Endpoint.MESSAGES, found=(("PERSON", 0.9),),
         classification="confidential", action=Action.REDACT, rule="pii-external", targets=("ext-b",),
         strategies={"PERSON": "placeholder"}, shadow=("shadow-ext",), after="public"),
]


@pytest.fixture(scope="module")
def snap():  # type: ignore[no-untyped-def]
    extra = """
apiVersion: govproxy/v1
rules:
  - name: restricted-free
    match: {classification: {min: restricted}, endpoints: [embeddings]}
    action: route
    to: onprem-embed
"""
    return snapshot(**{"rules/05-first.yaml": extra})


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decision_table(snap, case: Case) -> None:  # type: ignore[no-untyped-def]
    facts = RequestFacts(caller(case.team, case.user, *case.labels), case.endpoint, case.model,
                         tuple(finding(t, s) for t, s in case.found), case.header, case.texts)
    d = evaluate(snap.policy, facts, snap.catalogue)
    assert (d.action, d.rule, d.classification) == (case.action, case.rule, case.classification)
    assert d.targets == case.targets
    assert d.strategy_map == case.strategies
    assert tuple(m.rule for m in d.shadow_matches) == case.shadow
    assert d.policy_version == snap.version
    enforced = [m for m in d.matches if m.mode is Mode.ENFORCE]
    assert [m.rule for m in enforced] == [case.rule]
    if d.targets:
        assert d.classification_after_redaction == case.after
        locations = {snap.catalogue.get(a).location for a in d.targets}  # type: ignore[union-attr]
        assert d.allowed_locations == frozenset(locations) and len(locations) == 1
        assert d.rerouted_from == (case.model if d.targets[0] != case.model else None)
    if d.action is Action.BLOCK:
        assert d.message and case.rule in d.message and d.allowed_locations == frozenset()


def test_no_capable_target_is_a_decision_with_a_reason(snap) -> None:  # type: ignore[no-untyped-def]
    facts = RequestFacts(caller(), Endpoint.COMPLETIONS, "ext-a")
    d = evaluate(snap.policy, facts, snap.catalogue)
    assert d.rule == "low-to-external-low" and d.targets == ()
    assert d.message and "ext-low" in d.message and "completions" in d.message


def test_route_onprem_without_onprem_capacity(snap) -> None:  # type: ignore[no-untyped-def]
    # ids-onprem on the embeddings endpoint: onprem-embed exists; on completions only onprem-a.
    d = evaluate(snap.policy, RequestFacts(caller(), Endpoint.COMPLETIONS, "ext-a", (finding("DE_TAX_ID"),)),
                 snap.catalogue)
    assert d.targets == ("onprem-a",) and d.allowed_locations == {Location.ONPREM}
    no_onprem = snapshot(**{"models.yaml": """\
apiVersion: govproxy/v1
models:
  - {alias: ext-a, model: openai/x, location: external, clearance: internal}
""", "rules/10-rules.yaml": """\
apiVersion: govproxy/v1
rules:
  - {name: ids-onprem, match: {entities: [{type: ids}]}, action: route, to: onprem}
"""})
    d = evaluate(no_onprem.policy, RequestFacts(caller(), Endpoint.CHAT, "ext-a", (finding("DE_TAX_ID"),)),
                 no_onprem.catalogue)
    assert d.action is Action.ROUTE and d.targets == ()
    assert d.message and "ids-onprem" in d.message and "on-prem" in d.message


def test_clearance_block_names_models_cleared_and_no_values(snap) -> None:  # type: ignore[no-untyped-def]
    secret_text = "my name is Zacharias Secretface"
    facts = RequestFacts(caller(), Endpoint.CHAT, "ext-low", (finding("EMAIL_ADDRESS"),), texts=(secret_text,))
    d = evaluate(snap.policy, facts, snap.catalogue)
    assert d.action is Action.BLOCK and d.targets == ()
    assert d.message and "'internal'" in d.message and "ext-low" in d.message and "onprem-a" in d.message
    assert "Zacharias" not in d.message and "Zacharias" not in repr(facts)


def test_unknown_header_level_is_a_400() -> None:
    snap = snapshot()
    with pytest.raises(UnknownClassification) as exc:
        evaluate(snap.policy, RequestFacts(caller(), Endpoint.CHAT, "ext-a", header_classification="top-secret"),
                 snap.catalogue)
    assert exc.value.status == 400 and "top-secret" not in exc.value.message
    assert "public, internal, confidential, restricted" in exc.value.message


def test_unknown_model_is_a_404() -> None:
    snap = snapshot()
    with pytest.raises(UnknownModel) as exc:
        evaluate(snap.policy, RequestFacts(caller(), Endpoint.CHAT, "gpt-9"), snap.catalogue)
    assert exc.value.status == 404 and "auto" in exc.value.message and "ext-a" in exc.value.message


def test_model_on_an_endpoint_it_does_not_serve_is_a_404_naming_what_it_serves() -> None:
    snap = snapshot()
    with pytest.raises(UnsupportedEndpoint) as exc:
        evaluate(snap.policy, RequestFacts(caller(), Endpoint.COMPLETIONS, "onprem-b"), snap.catalogue)
    assert exc.value.status == 404 and exc.value.param == "model" and exc.value.code == "model_not_supported"
    assert "onprem-b" in exc.value.message and "/v1/chat/completions" in exc.value.message


def test_auto_threshold_defaults_to_external_clearance() -> None:
    levels = snapshot().policy  # same levels file, but auto without externalUpTo and pinned targets
    assert levels.aliases["auto"].external_up_to == 1
    snap = snapshot(**{"rules/50-auto.yaml": """\
apiVersion: govproxy/v1
aliases:
  auto: {external: ext-b, onprem: onprem-b}
"""})
    conf = RequestFacts(caller("x"), Endpoint.CHAT, "auto", (finding("PERSON"), finding("PERSON")))
    d = evaluate(snap.policy, conf, snap.catalogue)
    # ext-b is cleared for confidential: auto goes external there; pii-external redacts on the way.
    assert d.targets == ("ext-b",) and d.strategy_map == {"PERSON": "placeholder"}
    restricted = RequestFacts(caller("x"), Endpoint.CHAT, "auto", header_classification="restricted")
    assert evaluate(snap.policy, restricted, snap.catalogue).targets == ("onprem-b",)


def test_allowed_models_per_caller() -> None:
    snap = snapshot(**{"rules/01-sales.yaml": """\
apiVersion: govproxy/v1
rules:
  - name: sales-no-external
    match: {teams: [sales], locations: [external]}
    action: block
"""})
    everyone = allowed_models(snap.policy, snap.catalogue, caller("eng"))
    assert everyone == ("onprem-a", "onprem-b", "onprem-embed", "ext-a", "ext-b", "ext-low", "ext-embed", "auto")
    sales = allowed_models(snap.policy, snap.catalogue, caller("sales"))
    assert sales == ("onprem-a", "onprem-b", "onprem-embed")  # auto (external for clean data) is blocked too
