"""Who is calling: the identity every later stage and the audit record refer to."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    CALLER = "caller"      # may send model traffic
    AUDITOR = "auditor"    # may read the audit log
    ADMIN = "admin"        # may read the audit log and operate the proxy (policy reload, ...)


@dataclass(frozen=True, slots=True)
class Caller:
    key_id: str
    team: str
    user: str
    role: Role = Role.CALLER
    labels: frozenset[str] = field(default_factory=frozenset)

    @property
    def can_read_audit(self) -> bool:
        return self.role in (Role.AUDITOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
