"""Problems with repayment arrangements."""

from doorstep_shared.errors import NotFoundError, ProblemError


class ArrangementNotFoundError(NotFoundError):
    type_slug = "arrangement-not-found"
    title = "Arrangement not found"


class InvalidArrangementError(ProblemError):
    status = 422
    type_slug = "invalid-arrangement"
    title = "Arrangement terms are not valid"


class ArrangementCurrencyMismatchError(ProblemError):
    status = 422
    type_slug = "currency-mismatch"
    title = "Currency differs from the case's currency"


class ArrangementCaseClosedError(ProblemError):
    status = 409
    type_slug = "case-not-open"
    title = "The case is not open"


class ArrangementExistsError(ProblemError):
    status = 409
    type_slug = "arrangement-exists"
    title = "The case already has an open arrangement"


class ArrangementTransitionError(ProblemError):
    status = 409
    type_slug = "invalid-arrangement-transition"
    title = "The arrangement cannot make this change in its current status"


class ArrangementOutdatedError(ProblemError):
    status = 409
    type_slug = "arrangement-outdated"
    title = "The proposed terms no longer fit the case"


class SupervisorApprovalRequiredError(ProblemError):
    status = 403
    type_slug = "approval-requires-supervisor"
    title = "This arrangement needs a supervisor's approval"
