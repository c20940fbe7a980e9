"""Why contact data could not be had. Messages name no personal data (they are stored)."""


class ContactNotFoundError(Exception):
    """case-api has no such case: the notice can never be sent."""


class ContactUnavailableError(Exception):
    """case-api could not answer now (down, slow, 5xx): try again later."""
