from doorstep_shared.errors import NotFoundError, ProblemError


class TeamNotFoundError(NotFoundError):
    type_slug = "team-not-found"
    title = "Team not found"


class CollectorNotFoundError(NotFoundError):
    type_slug = "collector-not-found"
    title = "Collector not found"


class AbsenceNotFoundError(NotFoundError):
    type_slug = "absence-not-found"
    title = "Absence not found"


class TeamNameTakenError(ProblemError):
    status = 409
    type_slug = "team-name-taken"
    title = "A team with this name exists"


class EmployeeRefTakenError(ProblemError):
    status = 409
    type_slug = "employee-ref-taken"
    title = "A collector with this employee reference exists"


class UnknownTeamError(ProblemError):
    """A body names a team that does not exist: the request is invalid, not the URL."""

    status = 422
    type_slug = "unknown-team"
    title = "No team with this id"
