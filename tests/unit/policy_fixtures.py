"""A small policy and catalogue for the policy unit tests, built from YAML text in memory."""

from __future__ import annotations

from pathlib import Path

from proxy.auth.caller import Caller
from proxy.detection.findings import Finding
from proxy.policy.loader import PolicySnapshot, build_snapshot

CATALOGUE = """\
apiVersion: govproxy/v1
models:
  - {alias: onprem-a, model: openai/a, location: onprem, clearance: restricted,
     capabilities: [chat, completions], fallbacks: [onprem-b, ext-a, onprem-embed]}
  - {alias: onprem-b, model: openai/b, location: onprem, capabilities: [chat]}
  - {alias: onprem-embed, model: openai/e, location: onprem, capabilities: [embeddings]}
  - {alias: ext-a, model: openai/x, location: external, clearance: internal, capabilities: [chat, completions],
     fallbacks: [ext-low, ext-b, onprem-a]}
  - {alias: ext-b, model: openai/y, location: external, clearance: confidential, capabilities: [chat]}
  - {alias: ext-low, model: openai/z, location: external, clearance: public, capabilities: [chat]}
  - {alias: ext-embed, model: openai/w, location: external, clearance: internal, capabilities: [embeddings]}
"""

LEVELS = """\
apiVersion: govproxy/v1
classification:
  floor: public
groups:
  secrets: [AWS_ACCESS_KEY_ID, GENERIC_SECRET]
  ids: [DE_TAX_ID, US_SSN]
  pii: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]
entities:
  EMAIL_ADDRESS: internal   # a type named explicitly overrides its group, whatever the order
  pii: confidential
  secrets: restricted
  ids: restricted
  DATE_TIME: public
locations:
  external: {clearance: internal}
aliases:
  auto: {externalUpTo: internal}
"""

RULES = r"""
apiVersion: govproxy/v1
rules:
  - name: ops-breakglass
    match: {teams: ["ops-*"], labels: [breakglass, eu]}
    action: allow
  - name: block-secrets
    match: {entities: [{type: secrets}]}
    action: block
    message: no credentials
  - name: block-many-emails
    match: {entities: [{type: EMAIL_ADDRESS, minCount: 3}]}
    action: block
  - name: block-sure-ssn
    match: {entities: [{type: US_SSN, minScore: 0.8}]}
    action: block
  - name: ids-onprem
    match: {entities: [{type: ids}]}
    action: route
    to: onprem
  - name: codename
    match: {patterns: ['(?i)project\s+falcon']}
    action: route
    to: onprem-b
  - name: no-confidential-embeddings
    match: {endpoints: [embeddings], classification: {equals: confidential}}
    action: block
  - name: interns-onprem
    match: {users: ["intern-*"], locations: [external]}
    action: route
    to: onprem
  - name: shadow-ext
    mode: shadow
    match: {models: ["ext-*"]}
    action: block
  - name: low-to-external-low
    match: {models: [ext-a], classification: {max: public}, endpoints: [completions]}
    action: route
    to: ext-low
  - name: pii-external
    match: {locations: [external], classification: {min: confidential}}
    action: redact
    redact: {pii: placeholder, EMAIL_ADDRESS: hash, "*": mask}
  - name: shadow-late
    mode: shadow
    match: {entities: [{type: PERSON, minCount: 2}]}
    action: route
    to: onprem
"""

DEFAULT = """\
apiVersion: govproxy/v1
default:
  action: allow
"""


def sources(**overrides: str) -> dict[str, bytes]:
    files = {"models.yaml": CATALOGUE, "rules/00-levels.yaml": LEVELS, "rules/10-rules.yaml": RULES,
             "rules/90-default.yaml": DEFAULT}
    files.update(overrides)
    return {name: text.encode() for name, text in files.items() if text is not None}


def snapshot(**overrides: str) -> PolicySnapshot:
    return build_snapshot(sources(**overrides))


def write_dir(root: Path, **overrides: str) -> Path:
    for name, data in sources(**overrides).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def caller(team: str = "eng", user: str = "alice", *labels: str) -> Caller:
    return Caller(key_id="k1", team=team, user=user, labels=frozenset(labels))


def finding(entity_type: str, score: float = 0.9, field: int = 0) -> Finding:
    return Finding(field=field, start=0, end=4, entity_type=entity_type, score=score, recognizer="test")
