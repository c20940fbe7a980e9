from doorstep_shared.errors import NotFoundError


class NotificationNotFoundError(NotFoundError):
    type_slug = "notification-not-found"
    title = "Notification not found"
