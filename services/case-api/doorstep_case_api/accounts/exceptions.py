from doorstep_shared.errors import ProblemError


class StaleSnapshotError(ProblemError):
    status = 409
    type_slug = "stale-snapshot"
    title = "Snapshot is older than the one already applied"


class CurrencyChangedError(ProblemError):
    status = 409
    type_slug = "currency-changed"
    title = "Snapshot currency differs from the account's currency"
