"""case-api: system of record for collection cases; intake, case reads, event outbox."""
