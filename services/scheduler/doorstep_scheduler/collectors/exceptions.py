from doorstep_shared.errors import ProblemError


class CollectorNameTakenError(ProblemError):
    status = 409
    type_slug = "collector-name-taken"
    title = "A collector with this name exists"
