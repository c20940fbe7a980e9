"""Renders the overdue notice in the customer's language from the packaged templates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from doorstep_notifier.notifications.amounts import in_currency_digits
from doorstep_notifier.notifications.models import Notification

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "zh-CN")
ITEMISED = ("principal", "interest", "fees", "penalties", "total")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What the notice must state; no personal data."""

    case_id: uuid.UUID
    product: str
    stage: str
    days_past_due: int
    currency: str
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    total: Decimal
    as_of_date: date

    @classmethod
    def of(cls, notification: Notification) -> NoticeFacts:
        return cls(
            case_id=notification.case_id,
            product=notification.product,
            stage=notification.stage,
            days_past_due=notification.days_past_due,
            currency=notification.currency,
            principal=notification.principal,
            interest=notification.interest,
            fees=notification.fees,
            penalties=notification.penalties,
            total=notification.total,
            as_of_date=notification.as_of_date,
        )


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    language: str
    subject: str
    body: str


def notice_language(preferred_language: str) -> str:
    """The supported language closest to the customer's preference (``zh-TW`` -> ``zh-CN``)."""
    if preferred_language in SUPPORTED_LANGUAGES:
        return preferred_language
    primary = preferred_language.split("-")[0].lower()
    for language in SUPPORTED_LANGUAGES:
        if language.split("-")[0].lower() == primary:
            return language
    return DEFAULT_LANGUAGE


def format_money(amount: Decimal, currency: str) -> str:
    """``1200.5`` CNY -> ``1,200.50 CNY``: the currency's minor digits, grouped thousands."""
    return f"{in_currency_digits(amount, currency):,} {currency}"


def format_date(value: date, language: str) -> str:
    if language == "zh-CN":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Plain-text notices: nothing to escape. StrictUndefined makes a missing fact an
        # error instead of a blank in a legal notice.
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_notice(facts: NoticeFacts, *, name: str, language: str) -> RenderedNotice:
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"no notice templates for language {language!r}")

    def money(amount: Decimal) -> str:
        return format_money(amount, facts.currency)

    context: dict[str, object] = {
        "name": name,
        "reference": str(facts.case_id),
        "product": facts.product,
        "stage": facts.stage,
        "days_past_due": facts.days_past_due,
        "as_of_date": format_date(facts.as_of_date, language),
        "currency": facts.currency,
        "principal": money(facts.principal),
        "interest": money(facts.interest),
        "fees": money(facts.fees),
        "penalties": money(facts.penalties),
        "total": money(facts.total),
        "charges": money(facts.fees + facts.penalties),
    }
    # Width of the right-aligned amount column in the itemised table.
    context["column"] = max(len(str(context[key])) for key in ITEMISED)
    environment = _environment()
    subject = environment.get_template(f"overdue_notice.{language}.subject.j2").render(context)
    body = environment.get_template(f"overdue_notice.{language}.body.j2").render(context)
    return RenderedNotice(language=language, subject=subject.strip(), body=body.strip() + "\n")
