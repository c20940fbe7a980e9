from doorstep_shared.errors import NotFoundError, ProblemError


class CaseNotFoundError(NotFoundError):
    type_slug = "case-not-found"
    title = "Case not found"


class InvalidCursorError(ProblemError):
    status = 400
    type_slug = "invalid-cursor"
    title = "Cursor is not valid"
