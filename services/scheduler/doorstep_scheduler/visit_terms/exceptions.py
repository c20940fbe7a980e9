"""Why visit data could not be had from case-api (messages carry no personal data)."""

from __future__ import annotations


class VisitDataUnavailableError(Exception):
    """case-api did not answer usefully: the visit waits and the next planning run retries."""


class VisitDataNotFoundError(VisitDataUnavailableError):
    """case-api has no contact record for the case."""
