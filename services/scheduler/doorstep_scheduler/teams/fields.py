"""Validated field types of the teams API: zones, countries, local hours, languages, skills."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from typing import Annotated
from zoneinfo import available_timezones

import holidays
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

# Files some hosts keep in the zone directory that are not IANA zone names.
_HOST_ZONE_FILES = frozenset({"localtime", "posixrules", "Factory"})

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LANGUAGE_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|\d{3}))?$"
)
SKILL_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _HOST_ZONE_FILES


@lru_cache(maxsize=1)
def holiday_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes the ``holidays`` package has a calendar for."""
    return frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


def _known_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("not an IANA time zone (e.g. Europe/London)")
    return value


def _holiday_country(value: str) -> str:
    code = value.upper()
    if code not in holiday_countries():
        raise ValueError("not an ISO 3166-1 alpha-2 country with a public-holiday calendar")
    return code


def _hhmm(value: object) -> object:
    # Only "HH:MM": seconds or an offset would suggest a precision the planner does not have.
    if isinstance(value, str) and not _HHMM.match(value):
        raise ValueError("a local time as HH:MM, e.g. 09:00")
    return value


def normalise_language(value: str) -> str:
    """``ZH_cn`` → ``zh-CN``, ``zh-hant-tw`` → ``zh-Hant-TW``: the case BCP 47 recommends."""
    found = _LANGUAGE_TAG.match(value.strip().replace("_", "-").lower())
    if found is None:
        raise ValueError("a BCP 47 language tag: language[-Script][-REGION], e.g. en or zh-CN")
    parts = [found["language"]]
    if found["script"]:
        parts.append(found["script"].title())
    if found["region"]:
        parts.append(found["region"].upper())
    return "-".join(parts)


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


IanaZone = Annotated[
    str,
    AfterValidator(_known_zone),
    Field(description="IANA time zone.", examples=["Europe/London", "Asia/Shanghai"]),
]
HolidayCountry = Annotated[
    str,
    AfterValidator(_holiday_country),
    Field(
        min_length=2,
        max_length=2,
        description="ISO 3166-1 alpha-2 country whose national public holidays are days off.",
        examples=["GB", "CN"],
    ),
]
LocalTime = Annotated[
    time,
    BeforeValidator(_hhmm),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _HHMM.pattern}),
]
LanguageTag = Annotated[str, AfterValidator(normalise_language), Field(max_length=35)]
SkillSlug = Annotated[
    str, BeforeValidator(_lower), Field(min_length=1, max_length=40, pattern=SKILL_PATTERN)
]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")]
VisitsPerDay = Annotated[int, Field(ge=1, le=24, description="Visits in one working day.")]
