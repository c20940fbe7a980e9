"""Case events -> case view and notices, through the real inbox-guarded handler."""

from __future__ import annotations

import uuid
from decimal import Decimal

from doorstep_notifier.cases.models import CaseView
from doorstep_shared.messaging.consumer import Handler
from tests.notifier.conftest import CaseEventSink, NotifierDb
from tests.notifier.factories import (
    AS_OF,
    arrears,
    envelope,
    opened,
    resolved,
    stage_changed,
    updated,
)


async def case_view(db: NotifierDb, case_id: uuid.UUID) -> CaseView | None:
    async with db.sessionmaker() as session:
        return await session.get(CaseView, case_id)


async def test_opened_case_gets_one_pending_notice_with_what_it_must_state(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    event = opened(case_id)
    await publish(event)

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "pending"
    assert notice.trigger_event_type == "doorstep.case.opened.v1"
    assert (notice.stage, notice.days_past_due, notice.as_of_date) == ("field", 35, AS_OF)
    assert notice.currency == "CNY"
    assert (notice.principal, notice.interest, notice.fees, notice.penalties, notice.total) == (
        Decimal("1200.00"), Decimal("35.50"), Decimal("20.00"), Decimal("4.25"),
        Decimal("1259.75"),
    )  # fmt: skip
    assert notice.attempts == 0
    view = await case_view(notifier_db, case_id)
    assert view is not None
    assert (view.status, view.stage, view.last_sequence) == ("open", "field", 1)


async def test_the_same_event_twice_has_one_effect(
    notifier_db: NotifierDb, handle: Handler
) -> None:
    case_id = uuid.uuid4()
    event = opened(case_id)
    same = envelope(event)
    assert await handle(same, event) is True
    assert await handle(same, event) is False

    assert len(await notifier_db.notifications(case_id)) == 1
    assert await notifier_db.processed_events() == 1


async def test_new_stage_gets_a_new_notice_that_supersedes_the_unsent_one(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id, stage="contact", days_past_due=20))
    await publish(stage_changed(case_id, 2, stage="field", previous_stage="contact"))

    first, second = await notifier_db.notifications(case_id)
    assert (first.stage, first.status) == ("contact", "cancelled")
    assert first.status_reason == "superseded by a newer notice for this case"
    assert (second.stage, second.status) == ("field", "pending")
    assert second.trigger_event_type == "doorstep.case.stage_changed.v1"


async def test_resolution_cancels_pending_notices(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id))
    await publish(resolved(case_id, 2))

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "cancelled"
    assert notice.status_reason == "case resolved"
    view = await case_view(notifier_db, case_id)
    assert view is not None
    assert (view.status, view.last_sequence) == ("resolved", 2)


async def test_update_refreshes_the_amounts_of_an_unsent_notice(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id))
    await publish(updated(case_id, 2, days_past_due=38, arrears=arrears(principal="900.00")))

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "pending"
    assert (notice.days_past_due, notice.principal, notice.total) == (
        38, Decimal("900.00"), Decimal("959.75")
    )  # fmt: skip


async def test_an_older_event_never_rolls_the_case_back(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id))
    await publish(resolved(case_id, 2))
    # A replay of the opening under a new event id (e.g. a re-published topic).
    await publish(opened(case_id))

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "cancelled"
    view = await case_view(notifier_db, case_id)
    assert view is not None
    assert (view.status, view.last_sequence) == ("resolved", 2)
