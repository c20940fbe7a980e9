from doorstep_shared.errors import NotFoundError, ProblemError


class HoldNotFoundError(NotFoundError):
    type_slug = "hold-not-found"
    title = "Hold not found"


class HoldAlreadyActiveError(ProblemError):
    status = 409
    type_slug = "hold-already-active"
    title = "A hold of this type is already active on the case"


class HoldNotActiveError(ProblemError):
    status = 409
    type_slug = "hold-not-active"
    title = "The hold was already lifted"


class InvalidHoldPeriodError(ProblemError):
    status = 422
    type_slug = "invalid-hold-period"
    title = "The hold's end date is not allowed"


class CaseClosedError(ProblemError):
    status = 409
    type_slug = "case-not-open"
    title = "The case is not open"


class UnknownHoldTypeError(ProblemError):
    status = 422
    type_slug = "unknown-hold-type"
    title = "Not a hold type Doorstep knows"
