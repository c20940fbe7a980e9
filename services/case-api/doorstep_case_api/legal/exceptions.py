from doorstep_shared.errors import NotFoundError, ProblemError


class LegalReferralNotFoundError(NotFoundError):
    type_slug = "legal-referral-not-found"
    title = "The case was never referred to legal review"


class NoReferralInReviewError(ProblemError):
    status = 409
    type_slug = "no-legal-referral-in-review"
    title = "The case has no legal referral waiting for a decision"


class LegalCaseClosedError(ProblemError):
    status = 409
    type_slug = "case-not-open"
    title = "The case is not open"
