"""Renders a notice for one channel, in the customer's language, from the packaged templates.

The templates (Jinja2, plain text, in ``templates/``):

* ``stage.<stage>.<language>.j2``: what the stage says, as two macros: ``paragraph()`` for
  e-mail and letter, ``short()`` for SMS. A stage without its own file (a bank's own ladder
  names) uses ``stage.default``.
* ``_notice.<language>.j2``: the full notice, which ``email`` and ``letter`` extend; the
  e-mail adds the opt-out.
* ``email.subject.<language>.j2``: neutral. Subjects show in inbox lists and on lock screens.
* ``letter.subject.<language>.j2``: the heading printed below the envelope window.
* ``sms.<language>.j2``: short; its first line names the bank and nothing of the debt.
* ``visit_appointment.*`` and ``visit_cancellation.*``: the visit notices
  (``visit_rendering.py``).

Every notice states the itemised amount due with its as-of date, the fees and penalties so
far, the credit-record consequence, how to pay, how to ask for a repayment plan or report
hardship, how to dispute, and the bank's contact; e-mail and SMS also say how to opt out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from doorstep_notifier.notifications.amounts import in_currency_digits
from doorstep_notifier.notifications.models import Notification
from doorstep_notifier.providers.base import Channel
from doorstep_notifier.settings import NotifierSettings

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "zh-CN")
CHANNELS: tuple[Channel, ...] = ("sms", "email", "letter")
DEFAULT_STAGE = "default"
_STAGE_NAME = re.compile(r"[a-z_]{1,32}")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

LanguageSupport = Callable[[Channel, str], bool]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What the notice must state; no personal data.

    ``late_fees`` and ``penalty_interest`` are Doorstep's own charges (the case events'
    ``charges``), on top of the arrears core banking reported. The notification does not
    store them yet, so :meth:`of` leaves them unknown and the notice states the arrears only.
    """

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
    late_fees: Decimal | None = None
    penalty_interest: Decimal | None = None

    @classmethod
    def of(cls, notification: Notification) -> NoticeFacts:
        """The facts an overdue notice states; ValueError for a notice without them."""

        def stated(value: _T | None) -> _T:
            if value is None:
                raise ValueError(f"notification {n.id} ({n.kind}) states no arrears")
            return value

        n = notification
        return cls(
            case_id=n.case_id,
            product=stated(n.product),
            stage=stated(n.stage),
            days_past_due=stated(n.days_past_due),
            currency=stated(n.currency),
            principal=stated(n.principal),
            interest=stated(n.interest),
            fees=stated(n.fees),
            penalties=stated(n.penalties),
            total=stated(n.total),
            as_of_date=stated(n.as_of_date),
            late_fees=n.late_fees,
            penalty_interest=n.penalty_interest,
        )

    @property
    def charges_known(self) -> bool:
        return self.late_fees is not None and self.penalty_interest is not None


@dataclass(frozen=True, slots=True)
class BankDetails:
    """Who a notice comes from and how to reach them (settings; no personal data)."""

    name: str
    contact: str
    unsubscribe_mailto: str
    sms_opt_out_keyword: str

    @classmethod
    def from_settings(cls, settings: NotifierSettings) -> BankDetails:
        return cls(
            name=settings.bank_name,
            contact=settings.bank_contact,
            unsubscribe_mailto=settings.email_unsubscribe_mailto,
            sms_opt_out_keyword=settings.sms_opt_out_keyword,
        )


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    language: str
    channel: Channel
    subject: str | None  # None for SMS
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


def language_for(preferred_language: str, channel: Channel, supports: LanguageSupport) -> str:
    """The customer's language if ``channel`` can show it (a letter needs a font with its
    glyphs), else the default language."""
    language = notice_language(preferred_language)
    return language if supports(channel, language) else DEFAULT_LANGUAGE


def format_money(amount: Decimal, currency: str) -> str:
    """``1200.5`` CNY -> ``1,200.50 CNY``: the currency's minor digits, grouped thousands."""
    return f"{in_currency_digits(amount, currency):,} {currency}"


def format_date(value: date, language: str, *, short: bool = False) -> str:
    """``28 November 2026`` (short: ``28 Nov 2026``), ``2026年11月28日``."""
    if language == "zh-CN":
        return f"{value.year}年{value.month}月{value.day}日"
    month = _MONTHS[value.month - 1]
    return f"{value.day} {month[:3] if short else month} {value.year}"


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
        keep_trailing_newline=False,
    )


@cache
def _templates() -> frozenset[str]:
    return frozenset(_environment().list_templates(extensions=["j2"]))


def stage_template(stage: str, language: str) -> str:
    """The stage's own template, or the generic one for a stage the templates do not know."""
    if _STAGE_NAME.fullmatch(stage):
        name = f"stage.{stage}.{language}.j2"
        if name in _templates():
            return name
    return f"stage.{DEFAULT_STAGE}.{language}.j2"


def _context(facts: NoticeFacts, name: str, language: str, bank: BankDetails) -> dict[str, object]:
    def money(amount: Decimal) -> str:
        return format_money(amount, facts.currency)

    charges = facts.fees + facts.penalties
    amount_due = facts.total
    rows = ["principal", "interest", "fees", "penalties"]
    context: dict[str, object] = {
        "name": name,
        "reference": str(facts.case_id),
        "product": facts.product,
        "stage": facts.stage,
        "days_past_due": facts.days_past_due,
        "as_of_date": format_date(facts.as_of_date, language),
        "as_of_date_short": format_date(facts.as_of_date, language, short=True),
        "currency": facts.currency,
        "principal": money(facts.principal),
        "interest": money(facts.interest),
        "fees": money(facts.fees),
        "penalties": money(facts.penalties),
        "total": money(facts.total),
        "charges_known": facts.charges_known,
        "stage_template": stage_template(facts.stage, language),
        "bank_name": bank.name,
        "bank_contact": bank.contact,
        "unsubscribe_mailto": bank.unsubscribe_mailto,
        "sms_opt_out_keyword": bank.sms_opt_out_keyword,
    }
    if facts.late_fees is not None and facts.penalty_interest is not None:
        charges += facts.late_fees + facts.penalty_interest
        amount_due += facts.late_fees + facts.penalty_interest
        context["late_fees"] = money(facts.late_fees)
        context["penalty_interest"] = money(facts.penalty_interest)
        rows += ["late_fees", "penalty_interest"]
    # Amounts without the currency code, for the SMS (its total names the currency once).
    context["plain"] = {
        key: f"{in_currency_digits(getattr(facts, key), facts.currency):,}" for key in rows
    }
    context["charges"] = money(charges)
    context["amount_due"] = money(amount_due)
    # Width of the right-aligned amount column in the itemised table.
    context["column"] = max(len(str(context[key])) for key in [*rows, "amount_due"])
    return context


def render_notice(
    facts: NoticeFacts, *, channel: Channel, name: str, language: str, bank: BankDetails
) -> RenderedNotice:
    check_renderable(channel, language)
    return render_templates(
        body=f"{channel}.{language}.j2",
        subject=f"{channel}.subject.{language}.j2",
        context=_context(facts, name, language, bank),
        channel=channel,
        language=language,
    )


def check_renderable(channel: Channel, language: str) -> None:
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"no notice templates for language {language!r}")
    if channel not in CHANNELS:
        raise ValueError(f"no notice templates for channel {channel!r}")


def render_templates(
    *, body: str, subject: str, context: dict[str, object], channel: Channel, language: str
) -> RenderedNotice:
    """Render the ``body`` template, and for e-mail and letter the ``subject`` template."""
    environment = _environment()
    text = environment.get_template(body).render(context).strip()
    heading = None
    if channel != "sms":  # an SMS counts its characters: no trailing newline
        text += "\n"
        heading = " ".join(environment.get_template(subject).render(context).split())
    return RenderedNotice(language=language, channel=channel, subject=heading, body=text)
