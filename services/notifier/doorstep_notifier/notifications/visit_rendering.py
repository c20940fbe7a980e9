"""Renders a visit notice (an appointment, or its cancellation) in the customer's local time.

Templates (``templates/``), per kind and language:

* ``<kind>.<language>.j2``: e-mail and letter; the e-mail adds the opt-out.
* ``<kind>.sms.<language>.j2``: short; its first line names the bank only.
* ``<kind>.subject.<language>.j2``: neutral, as every subject (lock screens, inbox lists).

An appointment states the date, the likely time window and the purpose, and how to rearrange;
one that replaces an earlier appointment says which. A visit notice states no amounts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from doorstep_notifier.notifications.models import NoticeKind, Notification
from doorstep_notifier.notifications.rendering import (
    BankDetails,
    RenderedNotice,
    check_renderable,
    format_date,
    render_templates,
)
from doorstep_notifier.providers.base import Channel

_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "zh-CN": ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
}
_LOCAL_TIME = {"en": "your local time", "zh-CN": "当地时间"}


@dataclass(frozen=True, slots=True)
class VisitNoticeFacts:
    """What a visit notice states; no personal data."""

    kind: NoticeKind
    case_id: uuid.UUID
    window_start: datetime
    window_end: datetime
    previous_window_start: datetime | None = None  # the appointment this one replaces
    previous_window_end: datetime | None = None

    @classmethod
    def of(cls, notification: Notification) -> VisitNoticeFacts:
        kind = NoticeKind(notification.kind)
        if not kind.about_a_visit or not (notification.window_start and notification.window_end):
            raise ValueError(f"notification {notification.id} is not about a visit")
        return cls(
            kind=kind,
            case_id=notification.case_id,
            window_start=notification.window_start,
            window_end=notification.window_end,
            previous_window_start=notification.previous_window_start,
            previous_window_end=notification.previous_window_end,
        )


@dataclass(frozen=True, slots=True)
class WindowText:
    """A visit window as the customer reads it: ``Saturday 5 December 2026``, ``14:00``."""

    day: str
    day_short: str
    start: str
    end: str  # with its own date when the window runs past midnight


def window_text(start: datetime, end: datetime, zone: tzinfo, language: str) -> WindowText:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    weekday = _WEEKDAYS[language][local_start.weekday()]
    day = format_date(local_start.date(), language)
    short = format_date(local_start.date(), language, short=True)
    end_text = f"{local_end:%H:%M}"
    if local_end.date() != local_start.date():
        end_text = f"{format_date(local_end.date(), language, short=True)} {end_text}"
    if language == "zh-CN":
        return WindowText(f"{day}（{weekday}）", day, f"{local_start:%H:%M}", end_text)
    return WindowText(
        f"{weekday} {day}", f"{weekday[:3]} {short}", f"{local_start:%H:%M}", end_text
    )


def render_visit_notice(
    facts: VisitNoticeFacts,
    *,
    channel: Channel,
    name: str,
    language: str,
    bank: BankDetails,
    zone: tzinfo | None,
) -> RenderedNotice:
    """``zone``: the customer's; None (unknown, only in a preview) shows the times in UTC."""
    check_renderable(channel, language)
    shown_in = zone or UTC
    previous = None
    if facts.previous_window_start and facts.previous_window_end:
        previous = window_text(
            facts.previous_window_start, facts.previous_window_end, shown_in, language
        )
    context: dict[str, object] = {
        "channel": channel,
        "name": name,
        "reference": str(facts.case_id),
        "window": window_text(facts.window_start, facts.window_end, shown_in, language),
        "previous": previous,
        "time_label": _LOCAL_TIME[language] if zone else "UTC",
        "bank_name": bank.name,
        "bank_contact": bank.contact,
        "unsubscribe_mailto": bank.unsubscribe_mailto,
        "sms_opt_out_keyword": bank.sms_opt_out_keyword,
    }
    kind = facts.kind.value
    body = f"{kind}.sms.{language}.j2" if channel == "sms" else f"{kind}.{language}.j2"
    return render_templates(
        body=body,
        subject=f"{kind}.subject.{language}.j2",
        context=context,
        channel=channel,
        language=language,
    )
