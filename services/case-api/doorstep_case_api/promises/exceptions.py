"""Why a promise to pay was not recorded.

All derive from ``PromiseNotRecordedError`` so a caller that must not fail on a bad promise
(the visit-outcome write-back) can catch one type and note it instead.
"""

from doorstep_shared.errors import ProblemError


class PromiseNotRecordedError(ProblemError):
    status = 422
    type_slug = "invalid-promise"
    title = "Promise to pay is not valid"


class InvalidPromiseError(PromiseNotRecordedError):
    pass


class PromiseCurrencyMismatchError(PromiseNotRecordedError):
    type_slug = "currency-mismatch"
    title = "Currency differs from the case's currency"


class PromiseCaseClosedError(PromiseNotRecordedError):
    status = 409
    type_slug = "case-not-open"
    title = "The case is not open"
