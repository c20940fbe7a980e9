from doorstep_shared.errors import NotFoundError, ProblemError


class NotificationNotFoundError(NotFoundError):
    type_slug = "notification-not-found"
    title = "Notification not found"


class ContactDataNotFoundError(NotFoundError):
    type_slug = "contact-not-found"
    title = "case-api has no contact data for the case"


class ContactDataUnavailableError(ProblemError):
    status = 503
    type_slug = "contact-unavailable"
    title = "Contact data cannot be fetched now"


class ChannelNotPossibleError(ProblemError):
    status = 409
    type_slug = "channel-not-possible"
    title = "The customer cannot be reached by this channel"
