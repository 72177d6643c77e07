"""(5) Redaction: the strategies (one module each), the keys they use, and the reversible pseudonym map.

`apply.apply_redactions` is the entry point of the request path; `strategies.STRATEGIES` is the one list of
strategy names; `pseudonyms` holds the per-conversation map that `proxy.response` uses to restore answers.
"""
