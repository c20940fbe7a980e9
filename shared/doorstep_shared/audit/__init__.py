"""Append-only, hash-chained audit log of decisions and personal-data access.

Each service declares the table on its metadata (``define_audit_table``), creates it and the
guard triggers in a migration (``append_only_ddl``), and appends in the transaction of the
change it records (``append``, ``record_pii_read``). ``verify`` walks the chain and names the
first broken entry; ``purge_before`` applies the retention period without breaking it.
"""

from doorstep_shared.audit.chain import (
    GENESIS_HASH,
    PII_READ,
    ChainLink,
    append,
    compute_entry_hash,
    record_pii_read,
)
from doorstep_shared.audit.retention import (
    AUDIT_PURGED,
    PurgeResult,
    purge_before,
    retention_cutoff,
)
from doorstep_shared.audit.table import define_audit_table
from doorstep_shared.audit.triggers import append_only_ddl, drop_append_only_ddl
from doorstep_shared.audit.verify import (
    BROKEN_LINK,
    HASH_MISMATCH,
    UNRECORDED_START,
    VerificationResult,
    verify,
)

__all__ = [
    "AUDIT_PURGED",
    "BROKEN_LINK",
    "GENESIS_HASH",
    "HASH_MISMATCH",
    "PII_READ",
    "UNRECORDED_START",
    "ChainLink",
    "PurgeResult",
    "VerificationResult",
    "append",
    "append_only_ddl",
    "compute_entry_hash",
    "define_audit_table",
    "drop_append_only_ddl",
    "purge_before",
    "record_pii_read",
    "retention_cutoff",
    "verify",
]
