"""Notification reads for operations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from doorstep_notifier.dependencies import SessionDep
from doorstep_notifier.notifications.models import NotificationStatus
from doorstep_notifier.notifications.schemas import NotificationPage, NotificationRead
from doorstep_notifier.notifications.service import NotificationQueryService
from doorstep_shared.errors import PROBLEM_JSON
from doorstep_shared.security.guard import require
from doorstep_shared.security.principal import Scope

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])
_problem: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.get(
    "",
    dependencies=[require(Scope.CASES_READ)],
    response_model=NotificationPage,
    summary="List notifications",
    description=(
        "Overdue notices, newest first, optionally for one case and in one status "
        "(pending, sent, failed, cancelled)."
    ),
    responses={422: {"description": "Invalid filter (values are not echoed).", **_problem}},
)
async def list_notifications(
    session: SessionDep,
    case_id: uuid.UUID | None = None,
    status: NotificationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationPage:
    items = await NotificationQueryService(session).page(
        case_id=case_id, status=status.value if status else None, limit=limit
    )
    return NotificationPage(items=items)


@router.get(
    "/{notification_id}",
    dependencies=[require(Scope.CASES_READ)],
    response_model=NotificationRead,
    summary="Get a notification with its message",
    description=(
        "One notice: its status, trigger, the amounts it states and, once sent, the message "
        "the provider recorded (recipient masked)."
    ),
    responses={404: {"description": "No such notification.", **_problem}},
)
async def get_notification(notification_id: uuid.UUID, session: SessionDep) -> NotificationRead:
    return await NotificationQueryService(session).read(notification_id)
