from doorstep_shared.errors import NotFoundError


class VisitNotFoundError(NotFoundError):
    type_slug = "visit-not-found"
    title = "Visit not found"
