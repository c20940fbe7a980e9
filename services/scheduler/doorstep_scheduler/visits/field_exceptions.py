"""Why a check-in or a visit outcome was refused (RFC 9457 problems)."""

from doorstep_shared.errors import NotFoundError, ProblemError


class TeamNotFoundError(NotFoundError):
    type_slug = "team-not-found"
    title = "Team not found"


class VisitStateConflictError(ProblemError):
    """The visit is not in the state the step needs (checked in twice, outcome before check-in)."""

    status = 409
    type_slug = "visit-state-conflict"
    title = "The visit is not in a state that allows this"


class VisitNoticeNotSentError(ProblemError):
    status = 409
    type_slug = "visit-notice-not-sent"
    title = "The customer was not told of this visit"


class InvalidCheckInError(ProblemError):
    status = 422
    type_slug = "invalid-check-in"
    title = "Check-in is not valid"


class InvalidOutcomeError(ProblemError):
    status = 422
    type_slug = "invalid-visit-outcome"
    title = "Visit outcome is not valid"


class PromiseCurrencyMismatchError(InvalidOutcomeError):
    type_slug = "currency-mismatch"
    title = "Currency differs from the case's currency"


class RecordingRequiredError(InvalidOutcomeError):
    type_slug = "recording-required"
    title = "The contact-rule pack requires a visit recording"
