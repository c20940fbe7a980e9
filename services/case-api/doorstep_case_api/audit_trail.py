"""case-api's entries in the audit log: decisions, written in the transaction that makes them.

Details name what was decided (ids, types, roles), never free text: reasons and notes can
carry a customer's circumstances, and the audit log outlives the case (retention in years).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.db import audit_table
from doorstep_shared.audit import append, record_pii_read
from doorstep_shared.clock import utc_now

# Who acts when no request does (a call from code without a caller); requests pass their
# credential's subject.
OPERATIONS = "operations"


async def record_decision(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    case_id: uuid.UUID | None,
    details: Mapping[str, Any],
) -> None:
    await append(
        session,
        audit_table,
        actor=actor,
        action=action,
        now=utc_now(),
        case_id=case_id,
        details=details,
    )


async def record_personal_data_read(
    session: AsyncSession,
    *,
    actor: str,
    case_id: uuid.UUID,
    fields: Iterable[str],
    purpose: str | None,
) -> None:
    """Log a read of the case's personal data (field names, never values). A GET handler
    must commit after this and before answering, so no read goes unrecorded."""
    await record_pii_read(
        session,
        audit_table,
        actor=actor,
        case_id=case_id,
        fields=fields,
        purpose=purpose,
        now=utc_now(),
    )
