"""Strategy `placeholder`: `<PERSON_1>`, `<EMAIL_ADDRESS_2>`, numbered per entity type per conversation.

The numbering and the way back to the value live in the conversation's `PseudonymMap`; responses are restored from
it (proxy.response).
"""

from __future__ import annotations

from proxy.redaction.pseudonyms import PseudonymMap


def placeholder(entity_type: str, value: str, pmap: PseudonymMap) -> str:
    """The conversation's placeholder for this value (issued on first sight, the same one ever after)."""
    return pmap.placeholder_for(entity_type, value)
