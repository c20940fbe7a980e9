"""Notification reads and notice previews for operations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.contacts.client import ContactSource
from doorstep_notifier.contacts.schemas import with_refusals
from doorstep_notifier.decisions.service import ContactJudge
from doorstep_notifier.dependencies import ContactsDep, SessionDep, SettingsDep
from doorstep_notifier.notifications.models import NoticeKind, Notification, NotificationStatus
from doorstep_notifier.notifications.preview import (
    NoticePreviewService,
    fetch_contact,
    render_preview,
)
from doorstep_notifier.notifications.schemas import (
    NoticePreview,
    NotificationPage,
    NotificationRead,
)
from doorstep_notifier.notifications.service import NotificationQueryService
from doorstep_notifier.opt_outs.repository import OptOutRepository
from doorstep_notifier.providers.base import Channel
from doorstep_notifier.providers.registry import language_support
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Principal, Scope

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])
cases_router = APIRouter(prefix="/v1/cases", tags=["notifications"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}

# A preview shows the customer's name and the notice: personal data as well as case data.
PreviewerDep = Annotated[Principal, require(Scope.CASES_READ, Scope.PII_READ)]
ChannelParam = Annotated[
    Channel | None,
    Query(description="sms, email or letter; default: the channel the dispatcher would use."),
]
PurposeHeader = Annotated[
    str | None,
    Header(alias="X-Purpose", max_length=100, description="Why the preview is asked (audited)."),
]
_PREVIEW_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such notice, or case-api has no contact data.", **_problem},
    409: {"description": "The contact data allows no such channel.", **_problem},
    422: {"description": "Invalid id or channel (values are not echoed).", **_problem},
    503: {"description": "case-api cannot give the contact data now.", **_problem},
}
_PREVIEW_DESCRIPTION = (
    "renders the notice as it would go out now: the customer's current contact data from "
    "case-api, their language, the channel's template. The body is shown in full (it names "
    "the customer); the recipient is masked. Each preview is written to the audit log with "
    "the caller and the `X-Purpose` header. Nothing is sent."
)


@router.get(
    "",
    dependencies=[require(Scope.CASES_READ)],
    response_model=NotificationPage,
    summary="List notifications",
    description=(
        "Notices (overdue notices and visit notices), newest first, optionally for one case, "
        "in one status (pending, sent, failed, cancelled, suppressed) and of one kind "
        "(overdue, visit_appointment, visit_cancellation)."
    ),
    responses={422: {"description": "Invalid filter (values are not echoed).", **_problem}},
)
async def list_notifications(
    session: SessionDep,
    case_id: uuid.UUID | None = None,
    status: NotificationStatus | None = None,
    kind: NoticeKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationPage:
    items = await NotificationQueryService(session).page(
        case_id=case_id,
        status=status.value if status else None,
        kind=kind.value if kind else None,
        limit=limit,
    )
    return NotificationPage(items=items)


@router.get(
    "/{notification_id}",
    dependencies=[require(Scope.CASES_READ)],
    response_model=NotificationRead,
    summary="Get a notification with its message",
    description=(
        "One notice: its kind, status, trigger, the amounts (overdue notice) or the visit "
        "window (visit notice) it states and, once sent, the message the provider recorded "
        "(recipient masked)."
    ),
    responses={404: {"description": "No such notification.", **_problem}},
)
async def get_notification(notification_id: uuid.UUID, session: SessionDep) -> NotificationRead:
    return await NotificationQueryService(session).read(notification_id)


@router.get(
    "/{notification_id}/preview",
    response_model=NoticePreview,
    summary="Preview a notice",
    description=f"One notice: {_PREVIEW_DESCRIPTION}",
    responses=_PREVIEW_RESPONSES,
)
async def preview_notification(
    notification_id: uuid.UUID,
    caller: PreviewerDep,
    session: SessionDep,
    contacts: ContactsDep,
    settings: SettingsDep,
    channel: ChannelParam = None,
    purpose: PurposeHeader = None,
) -> NoticePreview:
    async with session.begin():
        notification = await NoticePreviewService(session).notification(notification_id)
    return await _preview(notification, caller, session, contacts, settings, channel, purpose)


@cases_router.get(
    "/{case_id}/notice-preview",
    response_model=NoticePreview,
    summary="Preview a case's notice",
    description=(
        f"The case's pending overdue notice, else its newest overdue notice (a visit notice: "
        f"preview it by its id): {_PREVIEW_DESCRIPTION}"
    ),
    responses=_PREVIEW_RESPONSES,
)
async def preview_case_notice(
    case_id: uuid.UUID,
    caller: PreviewerDep,
    session: SessionDep,
    contacts: ContactsDep,
    settings: SettingsDep,
    channel: ChannelParam = None,
    purpose: PurposeHeader = None,
) -> NoticePreview:
    async with session.begin():
        notification = await NoticePreviewService(session).notification_of_case(case_id)
    return await _preview(notification, caller, session, contacts, settings, channel, purpose)


async def _preview(
    notification: Notification,
    caller: Principal,
    session: AsyncSession,
    contacts: ContactSource,
    settings: NotifierSettings,
    channel: Channel | None,
    purpose: str | None,
) -> NoticePreview:
    # No transaction is open while case-api answers.
    contact = await fetch_contact(contacts, notification.case_id)
    async with session.begin():
        # The channel the dispatcher would take: opt-outs recorded here count as refusals.
        refused = await OptOutRepository(session).channels(notification.case_id)
    contact = with_refusals(contact, refused)
    preview = render_preview(
        notification,
        contact,
        channel,
        settings=settings,
        supports_language=language_support(settings),
    )
    # Committed before answering: no preview leaves without its audit entry.
    async with session.begin():
        previews = NoticePreviewService(session)
        rules = await previews.rules_now(
            notification, contact, preview.channel, ContactJudge.from_settings(settings)
        )
        await previews.record(actor=caller.subject, case_id=notification.case_id, purpose=purpose)
    return preview.model_copy(update={"contact_rules": rules})
