"""`audit reveal ID`: decrypt a stored original. Audited first: the `reveal` record is committed before any
plaintext is returned, and failed attempts are recorded too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from proxy.audit.append import RECORDS_T, append_event, append_transaction
from proxy.audit.crypto import AuditCipher, RevealError
from proxy.audit.record import Kind, SecurityEvent
from proxy.auth.caller import Caller
from proxy.request.context import Outcome


@dataclass(frozen=True, slots=True)
class Revealed:
    record_id: str
    texts: list[dict[str, Any]]  # [{"kind", "role", "text"}] as the request carried them
    reveal_record_id: str


async def reveal(engine: AsyncEngine, cipher: AuditCipher | None, record_id: str, *,
                 actor: Caller | None = None, client_addr: str | None = None) -> Revealed:
    """Decrypt record `record_id`'s original. Raises RevealError (after auditing the attempt) when impossible."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(RECORDS_T.c.prompt_encrypted, RECORDS_T.c.prompt_key_id)
                                  .where(RECORDS_T.c.id == record_id))).first()
    error: RevealError | None = None
    plaintext = b""
    if row is None:
        error = RevealError(f"No audit record {record_id}.")
    elif row.prompt_encrypted is None:
        error = RevealError(f"Record {record_id} has no stored original (prompt storage was off, no audit key "
                            "was configured, or it was erased).")
    elif cipher is None:
        error = RevealError("No audit encryption key is configured (GOVPROXY_AUDIT_ENCRYPTION_KEY).")
    else:
        try:
            plaintext = cipher.decrypt(record_id, row.prompt_encrypted, row.prompt_key_id)
        except RevealError as exc:
            error = exc
    event = SecurityEvent(Kind.REVEAL, "cli:audit reveal", caller=actor, client_addr=client_addr,
                          outcome=Outcome.ERROR if error else Outcome.ALLOWED,
                          detail={"record_id": record_id, "result": "failed" if error else "revealed"},
                          error_class=type(error).__name__ if error else None)
    async with append_transaction(engine) as (conn, head):
        reveal_id, _ = await append_event(conn, head, event)
    if error is not None:
        raise error
    return Revealed(record_id, orjson.loads(plaintext), reveal_id)
