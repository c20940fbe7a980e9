"""The dispatcher asks the contact rules before every send: deferred notices wait durably for
their window, suppressed ones end, every answer is logged and announced with its rule."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from doorstep_notifier.decisions.models import ContactDecisionRecord
from doorstep_shared.events.contracts import Charges
from tests.notifier.conftest import CaseEventSink, MakeDispatcher, NotifierDb, SteppingClock
from tests.notifier.contact_stub import ContactStub
from tests.notifier.factories import opened
from tests.support.clocks import zone_at_hour


async def decisions(db: NotifierDb, case_id: uuid.UUID) -> list[ContactDecisionRecord]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(ContactDecisionRecord)
            .where(ContactDecisionRecord.case_id == case_id)
            .order_by(ContactDecisionRecord.id)
        )
        return list(rows.scalars())


def status_events(rows: list[Any], case_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    return [
        (row.event_type, json.loads(row.payload)) for row in rows if row.message_key == str(case_id)
    ]


async def test_a_notice_at_night_waits_for_8am_local_then_goes_once(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = SteppingClock()
    zone = zone_at_hour(2, clock.now)  # 02:xx there: the UK pack allows 08:00-21:00
    case_id = uuid.uuid4()
    contact_stub.add(case_id, timezone=zone)
    await publish(opened(case_id))
    worker = await make_dispatcher(clock)

    assert await worker.round() == 1
    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "pending"
    assert notice.attempts == 0  # waiting is not a failed attempt
    local_wake = notice.next_attempt_at.astimezone(ZoneInfo(zone))
    assert (local_wake.hour, local_wake.minute) == (8, 0)
    assert notice.next_attempt_at > clock.now
    [decision] = await decisions(notifier_db, case_id)
    assert (decision.outcome, decision.rule_id, decision.pack_id, decision.pack_version) == (
        "deferred",
        "uk.conc.reasonable_hours",
        "UK",
        "2026.1",
    )
    assert decision.timezone_source == "record"
    [(event_type, payload)] = status_events(await notifier_db.outbox(), case_id)
    assert event_type == "doorstep.notification.deferred.v1"
    assert payload["decision"]["rule_id"] == "uk.conc.reasonable_hours"
    assert datetime.fromisoformat(payload["decision"]["not_before"]) == notice.next_attempt_at

    # An hour later nothing is due; a new dispatcher (a restart) finds the notice waiting.
    clock.advance(3600)
    assert await worker.round() == 0
    restarted = await make_dispatcher(clock)
    clock.now = notice.next_attempt_at
    assert await restarted.round() == 1
    sent = await notifier_db.only_notification(case_id)
    assert sent.status == "sent"
    assert sent.sent_at == notice.next_attempt_at
    assert [d.outcome for d in await decisions(notifier_db, case_id)] == ["deferred", "allowed"]
    assert [t for t, _ in status_events(await notifier_db.outbox(), case_id)] == [
        "doorstep.notification.deferred.v1",
        "doorstep.notification.sent.v1",
    ]
    assert len([m for m in await notifier_db.local_messages() if m.notification_id == sent.id]) == 1


async def test_a_refused_channel_is_skipped_for_the_next_one(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, contact_preferences={"refused_channels": ["sms"]})
    await publish(opened(case_id))
    await (await make_dispatcher()).round()
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.channel) == ("sent", "email")


async def test_every_channel_refused_or_cease_contact_suppresses_with_the_rule(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    refused, ceased = uuid.uuid4(), uuid.uuid4()
    contact_stub.add(
        refused,
        email=None,
        address=None,
        contact_preferences={"refused_channels": ["sms"]},
    )
    contact_stub.add(ceased, contact_preferences={"cease_contact": True})
    await publish(opened(refused))
    await publish(opened(ceased))
    worker = await make_dispatcher()
    assert await worker.round() == 2

    for case_id, rule in (
        (refused, "uk.conc.7_3_10.refused_channel"),
        (ceased, "uk.doorstep.cease_contact"),
    ):
        notice = await notifier_db.only_notification(case_id)
        assert notice.status == "suppressed"
        assert notice.status_reason is not None
        assert notice.status_reason.startswith(rule)
        [(event_type, payload)] = status_events(await notifier_db.outbox(), case_id)
        assert event_type == "doorstep.notification.suppressed.v1"
        assert payload["decision"]["rule_id"] == rule
        assert payload["decision"]["outcome"] == "suppressed"
    assert await notifier_db.local_messages() == []
    worker.clock.advance(86_400)
    assert await worker.round() == 0  # suppressed is final


async def test_a_missing_zone_is_taken_from_the_phone_number_and_said_so(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, timezone=None, address=None)
    await publish(opened(case_id))
    await (await make_dispatcher()).round()
    [decision] = await decisions(notifier_db, case_id)
    assert decision.timezone == "Asia/Shanghai"  # +86
    assert decision.timezone_source.startswith("phone")


async def test_no_zone_at_all_fails_the_notice_rather_than_guess(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, timezone=None, phone=None, address=None)
    await publish(opened(case_id))
    await (await make_dispatcher()).round()
    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "failed"
    assert notice.status_reason is not None
    assert "no timezone" in notice.status_reason


async def test_the_notice_states_doorsteps_late_fee_and_penalty_interest(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, preferred_language="en")
    charges = Charges(
        late_fees=Decimal("25.00"), penalty_interest=Decimal("4.20"), total=Decimal("29.20")
    )
    await publish(opened(case_id, charges=charges))
    await (await make_dispatcher()).round()
    notice = await notifier_db.only_notification(case_id)
    assert (notice.late_fees, notice.penalty_interest) == (Decimal("25.00"), Decimal("4.20"))
    [message] = [m for m in await notifier_db.local_messages() if m.notification_id == notice.id]
    assert "late fees 25.00" in message.body
    assert "penalty interest 4.20" in message.body
    assert "1,288.95 CNY" in message.body  # 1,259.75 arrears + 29.20 charges
