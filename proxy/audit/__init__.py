"""(8) The audit log: one tamper-evident record per request.

models.py (tables) · record.py (what a record holds, built from a RequestContext) · chain.py (canonical hashing) ·
append.py (serialised appends under a database lock) · store.py (AuditWriter: group commit, fail-closed) ·
verify.py · query.py / export.py (review) · retention.py (purge with checkpoints, GDPR erasure) ·
prompts.py / crypto.py / reveal.py (opt-in prompt storage, encrypted originals, the audited reveal).
"""
