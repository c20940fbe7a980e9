"""Case events -> case view and notices, through the real inbox-guarded handler."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import update

from doorstep_notifier.cases.models import CaseView
from doorstep_notifier.notifications.handlers import HANDLED_CASE_TYPES
from doorstep_notifier.notifications.models import Notification
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseState
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import Handler
from tests.notifier.conftest import CaseEventSink, NotifierDb, case_event_handler
from tests.notifier.factories import (
    AS_OF,
    arrangement_changed,
    arrears,
    envelope,
    hold_lifted,
    hold_placed,
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


async def test_every_case_event_type_reaches_the_handler() -> None:
    # Types left out are skipped by the consumer, and their state (a hold!) would be lost.
    assert {
        "doorstep.case.hold_placed.v1",
        "doorstep.case.hold_lifted.v1",
        "doorstep.case.arrangement_changed.v1",
        "doorstep.case.payment_received.v1",
        "doorstep.case.charges_accrued.v1",
        "doorstep.case.promise_broken.v1",
        "doorstep.case.legal_referral_decided.v1",
        "doorstep.case.vulnerability_changed.v1",
    } <= HANDLED_CASE_TYPES
    assert "doorstep.notification.sent.v1" not in HANDLED_CASE_TYPES


async def test_a_hold_cancels_the_pending_notice_at_once_and_blocks_new_ones(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id, stage="contact", days_past_due=20))
    await publish(hold_placed(case_id, 2, "dispute", stage="contact", days_past_due=20))

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.status_reason) == ("cancelled", "hold: dispute")
    view = await case_view(notifier_db, case_id)
    assert view is not None
    assert (view.collection_paused, view.holds, view.last_sequence) == (True, ["dispute"], 2)

    # The ladder does not move a held case, but should a stage change arrive, it stays silent.
    await publish(
        stage_changed(
            case_id, 3, stage="field", previous_stage="contact", holds=("dispute",),
            collection_paused=True,
        )
    )  # fmt: skip
    assert len(await notifier_db.notifications(case_id)) == 1


async def test_after_the_hold_is_lifted_a_stage_change_gets_its_notice(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id, stage="contact", days_past_due=20))
    await publish(hold_placed(case_id, 2, "hardship", stage="contact", days_past_due=20))
    await publish(hold_lifted(case_id, 3, "hardship", stage="contact", days_past_due=20))
    await publish(stage_changed(case_id, 4, stage="field", previous_stage="contact"))

    first, *rest = await notifier_db.notifications(case_id)
    assert (first.stage, first.status, first.status_reason) == (
        "contact", "cancelled", "hold: hardship"
    )  # fmt: skip
    assert [(n.stage, n.status) for n in rest][-1] == ("field", "pending")
    assert sum(n.status == "pending" for n in rest) == 1


async def test_lifting_a_hold_queues_the_notice_the_hold_cancelled_before_it_went_out(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    # The ladder waits for the first notice before it moves on: it must not be lost for good.
    case_id = uuid.uuid4()
    await publish(opened(case_id, stage="reminder", days_past_due=5))
    await publish(hold_placed(case_id, 2, "dispute", stage="reminder", days_past_due=5))
    lifted = hold_lifted(case_id, 3, "dispute", stage="reminder", days_past_due=5)
    lifted_envelope = envelope(lifted)
    await handle_once(notifier_db, lifted_envelope, lifted)

    cancelled, queued = await notifier_db.notifications(case_id)
    assert (cancelled.status, queued.status) == ("cancelled", "pending")
    assert (queued.stage, queued.trigger_event_id) == ("reminder", lifted_envelope.id)
    assert queued.trigger_event_type == "doorstep.case.hold_lifted.v1"


async def test_lifting_a_hold_sends_nothing_again_when_the_stage_notice_went_out(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id))
    await mark_sent(notifier_db, case_id)
    await publish(hold_placed(case_id, 2, "cease_contact"))
    await publish(hold_lifted(case_id, 3, "cease_contact"))
    assert [n.status for n in await notifier_db.notifications(case_id)] == ["sent"]


async def test_an_active_arrangement_pauses_notices_too(
    notifier_db: NotifierDb, publish: CaseEventSink
) -> None:
    case_id = uuid.uuid4()
    await publish(opened(case_id))
    await publish(arrangement_changed(case_id, 2, status="active"))
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.status_reason) == ("cancelled", "collection paused")


async def handle_once(db: NotifierDb, wrapped: EventEnvelope, data: CaseState) -> None:
    assert await case_event_handler(db)(wrapped, data)


async def mark_sent(db: NotifierDb, case_id: uuid.UUID) -> None:
    async with db.sessionmaker() as session, session.begin():
        await session.execute(
            update(Notification)
            .where(Notification.case_id == case_id)
            .values(status="sent", sent_at=utc_now())
        )
