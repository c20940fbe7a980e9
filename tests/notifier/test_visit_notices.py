"""Appointment notices for planned field visits: through the same contact rules as overdue
notices, in the customer's local time, announced to the scheduler, withdrawn or called off when
the visit is cancelled. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from doorstep_notifier.db import inbox_table
from doorstep_notifier.decisions.models import ContactDecisionRecord
from doorstep_notifier.main import create_app
from doorstep_notifier.notifications.models import NoticeKind, Notification
from doorstep_notifier.providers.models import LocalMessage
from doorstep_notifier.settings import NotifierSettings
from doorstep_notifier.visits.handlers import CONSUMER_NAME, apply_visit_event
from doorstep_shared.events.contracts import VisitCancelled, VisitScheduled, to_envelope
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import Handler, transactional_handler
from tests.notifier.conftest import (
    CaseEventSink,
    MakeDispatcher,
    NotifierDb,
    SteppingClock,
)
from tests.notifier.contact_stub import ContactStub
from tests.notifier.factories import hold_placed, opened
from tests.support.apps import app_client
from tests.support.clocks import zone_at_hour

SCHEDULER = "urn:doorstep:scheduler"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+8 all year
PURPOSE = (
    "to talk about your account and the repayment options open to you, such as an "
    "instalment plan or a deferral"
)
PERSONAL_DATA = ("Li Wei", "8613800138000", "li.wei@example.com", "Century Avenue", "200120")
AMOUNTS = ("1,259.75", "1,200.00", "CNY")  # what the case's overdue notice states


@pytest.fixture
def handle_visit(notifier_db: NotifierDb) -> Handler:
    """The notifier's real visit-event handler (inbox guard included), as its consumer calls it."""
    return transactional_handler(
        notifier_db.sessionmaker, inbox_table, CONSUMER_NAME, apply_visit_event
    )


def clock_at_utc(hour: int) -> SteppingClock:
    """A stepping clock moved on to the next ``hour``:00 UTC (notices made now are due by then)."""
    clock = SteppingClock()
    moment = clock.now.replace(hour=hour, minute=0, second=0, microsecond=0)
    clock.now = moment if moment >= clock.now else moment + timedelta(days=1)
    return clock


def local(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """``at`` o'clock in ``zone`` on ``day``'s date there, as an aware datetime."""
    return datetime.combine(day.astimezone(zone).date(), at, tzinfo=zone)


def scheduled(
    case_id: uuid.UUID, visit_id: uuid.UUID, start: datetime, hours: float = 2
) -> tuple[EventEnvelope, VisitScheduled]:
    data = VisitScheduled(
        case_id=case_id,
        visit_id=visit_id,
        collector_id=uuid.uuid4(),
        window_start=start,
        window_end=start + timedelta(hours=hours),
    )
    return to_envelope(data, SCHEDULER), data


def cancelled(case_id: uuid.UUID, visit_id: uuid.UUID) -> tuple[EventEnvelope, VisitCancelled]:
    data = VisitCancelled(
        case_id=case_id,
        visit_id=visit_id,
        reason="team unavailable",
        cancelled_at=datetime.now(UTC),
    )
    return to_envelope(data, SCHEDULER), data


async def visit_notices(db: NotifierDb, case_id: uuid.UUID) -> list[Notification]:
    return [n for n in await db.notifications(case_id) if n.kind != NoticeKind.OVERDUE]


async def messages_of(db: NotifierDb, notice: Notification) -> list[LocalMessage]:
    return [m for m in await db.local_messages() if m.notification_id == notice.id]


async def visit_events(db: NotifierDb, case_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """Status events staged for the case other than the overdue notice's own."""
    return [
        (row.event_type, json.loads(row.payload))
        for row in await db.outbox()
        if row.message_key == str(case_id) and not row.event_type.startswith("doorstep.notif")
    ]


async def decisions(db: NotifierDb, notice: Notification) -> list[ContactDecisionRecord]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(ContactDecisionRecord)
            .where(ContactDecisionRecord.notification_id == notice.id)
            .order_by(ContactDecisionRecord.id)
        )
        return list(rows.scalars())


async def open_case(
    publish: CaseEventSink, contact_stub: ContactStub, zone: str, **contact: Any
) -> uuid.UUID:
    """A case the notifier knows from case events, its customer in ``zone``, in English."""
    case_id = uuid.uuid4()
    contact_stub.add(case_id, timezone=zone, preferred_language="en", **contact)
    await publish(opened(case_id))
    return case_id


def short_day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


async def test_a_planned_visit_is_announced_in_the_customers_local_time(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = clock_at_utc(3)  # 11:00 in Shanghai
    case_id = await open_case(publish, contact_stub, "Asia/Shanghai")
    start = local(clock.now + timedelta(days=3), time(14, 0), SHANGHAI)  # 06:00 UTC
    event, data = scheduled(case_id, uuid.uuid4(), start)
    assert await handle_visit(event, data)

    assert await (await make_dispatcher(clock)).round() == 2  # the overdue notice, and this

    [notice] = await visit_notices(notifier_db, case_id)
    assert (notice.kind, notice.status, notice.channel) == ("visit_appointment", "sent", "sms")
    [message] = await messages_of(notifier_db, notice)
    assert message.body.startswith("Example Bank: a message for Li Wei about your account.")
    assert f"on {short_day(start)}, 14:00-16:00 (your local time)" in message.body
    assert "06:00" not in message.body
    assert PURPOSE in message.body
    assert "To rearrange: +1 555 0100 (Mon-Fri 08:00-20:00), care@bank.example." in message.body
    assert not any(amount in message.body for amount in AMOUNTS)
    [(event_type, payload)] = await visit_events(notifier_db, case_id)
    assert event_type == "doorstep.visit.notice_sent.v1"
    assert payload["trigger_event_id"] == event.id
    assert payload["visit_id"] == str(data.visit_id)
    assert payload["notification_id"] == str(notice.id)
    assert payload["channel"] == "sms"
    assert datetime.fromisoformat(payload["sent_at"]) == clock.now
    assert not any(personal in json.dumps(payload) for personal in PERSONAL_DATA)
    # Only the overdue notice is an overdue notice: the ladder must not count this one.
    sent = [r.payload for r in await notifier_db.outbox() if r.event_type.endswith("sent.v1")]
    assert len([p for p in sent if str(notice.id) in p]) == 1


async def test_an_email_states_date_time_purpose_and_how_to_rearrange(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = clock_at_utc(3)
    case_id = await open_case(publish, contact_stub, "Asia/Shanghai", phone=None)
    start = local(clock.now + timedelta(days=4), time(9, 30), SHANGHAI)
    assert await handle_visit(*scheduled(case_id, uuid.uuid4(), start, hours=2.5))
    await (await make_dispatcher(clock)).round()

    [notice] = await visit_notices(notifier_db, case_id)
    [message] = await messages_of(notifier_db, notice)
    assert (message.channel, message.subject) == ("email", "An appointment about your account")
    weekday = f"{start:%A} {start.day} {start:%B %Y}"
    assert f"on {weekday}, between 09:30 and 12:00 (your local time)." in message.body
    assert f"The purpose of the visit is {PURPOSE}." in message.body
    assert "contact us before the visit and we will rearrange it" in message.body
    assert "To stop receiving these e-mails" in message.body
    assert not any(amount in message.body for amount in AMOUNTS)


async def test_a_redelivered_visit_event_sends_nothing_twice(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = await open_case(publish, contact_stub, zone_at_hour(12))
    event, data = scheduled(case_id, uuid.uuid4(), datetime.now(UTC) + timedelta(days=3))
    assert await handle_visit(event, data)
    assert not await handle_visit(event, data)  # the inbox has it
    worker = await make_dispatcher()
    await worker.round()
    assert not await handle_visit(event, data)  # and after the notice went out
    worker.clock.advance(3600)
    assert await worker.round() == 0

    [notice] = await visit_notices(notifier_db, case_id)
    assert len(await messages_of(notifier_db, notice)) == 1
    assert [t for t, _ in await visit_events(notifier_db, case_id)] == [
        "doorstep.visit.notice_sent.v1"
    ]


async def test_a_notice_due_at_night_waits_for_the_lawful_window_and_is_announced_then(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = SteppingClock()
    zone = zone_at_hour(2, clock.now)  # 02:xx there; the UK pack allows 08:00-21:00
    case_id = uuid.uuid4()
    contact_stub.add(case_id, timezone=zone)
    await publish(opened(case_id))
    event, data = scheduled(case_id, uuid.uuid4(), clock.now + timedelta(days=4))
    assert await handle_visit(event, data)
    worker = await make_dispatcher(clock)

    await worker.round()
    [waiting] = await visit_notices(notifier_db, case_id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    wake = waiting.next_attempt_at.astimezone(ZoneInfo(zone))
    assert (wake.hour, wake.minute) == (8, 0)
    assert await messages_of(notifier_db, waiting) == []
    assert await visit_events(notifier_db, case_id) == []  # notice is not given yet

    clock.now = waiting.next_attempt_at
    await worker.round()
    [notice] = await visit_notices(notifier_db, case_id)
    assert (notice.status, notice.sent_at) == ("sent", waiting.next_attempt_at)
    assert len(await messages_of(notifier_db, notice)) == 1
    assert [d.outcome for d in await decisions(notifier_db, notice)] == ["deferred", "allowed"]
    [(event_type, payload)] = await visit_events(notifier_db, case_id)
    assert event_type == "doorstep.visit.notice_sent.v1"
    assert payload["trigger_event_id"] == event.id
    assert datetime.fromisoformat(payload["sent_at"]) == waiting.next_attempt_at


async def test_inside_the_notice_period_the_notice_fails_and_nothing_is_sent(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = SteppingClock()
    case_id = await open_case(publish, contact_stub, zone_at_hour(12, clock.now))
    event, data = scheduled(case_id, uuid.uuid4(), clock.now + timedelta(hours=47))
    assert await handle_visit(event, data)
    await (await make_dispatcher(clock)).round()

    reason = "too late for the 48 h notice period (uk.conc.7_9_12.visit_notice)"
    [notice] = await visit_notices(notifier_db, case_id)
    assert (notice.status, notice.status_reason) == ("failed", reason)
    assert await messages_of(notifier_db, notice) == []
    [(event_type, payload)] = await visit_events(notifier_db, case_id)
    assert event_type == "doorstep.visit.notice_failed.v1"
    assert (payload["reason"], payload["trigger_event_id"]) == (reason, event.id)
    assert payload["visit_id"] == str(data.visit_id)


async def test_a_deferral_past_the_notice_period_fails_the_notice_instead(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = SteppingClock()
    case_id = await open_case(publish, contact_stub, zone_at_hour(2, clock.now))
    # 48 h + 1 h ahead: the notice could go out until 03:xx there, the rules allow 08:00.
    assert await handle_visit(*scheduled(case_id, uuid.uuid4(), clock.now + timedelta(hours=49)))
    worker = await make_dispatcher(clock)
    await worker.round()

    [notice] = await visit_notices(notifier_db, case_id)
    assert notice.status == "failed"
    assert notice.status_reason is not None
    assert notice.status_reason.startswith(
        "too late for the 48 h notice period (uk.conc.7_9_12.visit_notice): the contact rules "
        "allow it only from "
    )
    assert notice.status_reason.endswith("(uk.conc.reasonable_hours)")
    assert [d.outcome for d in await decisions(notifier_db, notice)] == ["deferred"]
    [(event_type, payload)] = await visit_events(notifier_db, case_id)
    assert (event_type, payload["reason"]) == (
        "doorstep.visit.notice_failed.v1",
        notice.status_reason,
    )
    clock.advance(86_400)
    await worker.round()
    assert await messages_of(notifier_db, notice) == []


async def test_a_hold_refuses_the_notice_naming_the_rule(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = await open_case(publish, contact_stub, zone_at_hour(12))
    await publish(hold_placed(case_id, 2, "hardship"))
    assert await handle_visit(
        *scheduled(case_id, uuid.uuid4(), datetime.now(UTC) + timedelta(days=3))
    )
    await (await make_dispatcher()).round()

    [notice] = await visit_notices(notifier_db, case_id)
    assert notice.status == "suppressed"
    assert await messages_of(notifier_db, notice) == []
    [decision] = await decisions(notifier_db, notice)
    assert (decision.outcome, decision.rule_id) == ("suppressed", "uk.conc.7_3_4.forbearance")
    [(event_type, payload)] = await visit_events(notifier_db, case_id)
    assert event_type == "doorstep.visit.notice_failed.v1"
    assert payload["reason"].startswith("uk.conc.7_3_4.forbearance: the case is on hold (hardship)")
    assert payload["channel"] == "sms"


async def test_a_moved_visit_gets_a_new_notice_replacing_the_first(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = clock_at_utc(3)
    case_id = await open_case(publish, contact_stub, "Asia/Shanghai")
    visit_id = uuid.uuid4()
    first_start = local(clock.now + timedelta(days=3), time(10, 0), SHANGHAI)
    second_start = local(clock.now + timedelta(days=5), time(15, 0), SHANGHAI)
    assert await handle_visit(*scheduled(case_id, visit_id, first_start))
    worker = await make_dispatcher(clock)
    await worker.round()
    moved, data = scheduled(case_id, visit_id, second_start)
    assert await handle_visit(moved, data)
    clock.advance(60)
    await worker.round()

    first, second = await visit_notices(notifier_db, case_id)
    assert (first.status, second.status) == ("sent", "sent")
    assert second.replaces_notification_id == first.id
    [message] = await messages_of(notifier_db, second)
    assert f"This replaces the appointment for {short_day(first_start)}, 10:00-12:00." in (
        message.body
    )
    assert f"on {short_day(second_start)}, 15:00-17:00 (your local time)" in message.body
    events = await visit_events(notifier_db, case_id)
    assert [(t, p["notification_id"]) for t, p in events] == [
        ("doorstep.visit.notice_sent.v1", str(first.id)),
        ("doorstep.visit.notice_sent.v1", str(second.id)),
    ]
    assert events[1][1]["trigger_event_id"] == moved.id


async def test_a_visit_moved_before_its_notice_went_out_gets_only_the_new_notice(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = await open_case(publish, contact_stub, zone_at_hour(12))
    visit_id = uuid.uuid4()
    now = datetime.now(UTC)
    assert await handle_visit(*scheduled(case_id, visit_id, now + timedelta(days=3)))
    assert await handle_visit(*scheduled(case_id, visit_id, now + timedelta(days=4)))
    await (await make_dispatcher()).round()

    first, second = await visit_notices(notifier_db, case_id)
    assert (first.status, second.status) == ("cancelled", "sent")
    assert second.replaces_notification_id is None  # the customer never heard of the first
    [message] = await messages_of(notifier_db, second)
    assert "replaces" not in message.body
    assert len(await visit_events(notifier_db, case_id)) == 1


async def test_a_visit_cancelled_after_its_notice_gets_a_cancellation_message(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = clock_at_utc(3)
    case_id = await open_case(publish, contact_stub, "Asia/Shanghai")
    visit_id = uuid.uuid4()
    start = local(clock.now + timedelta(days=3), time(14, 0), SHANGHAI)
    assert await handle_visit(*scheduled(case_id, visit_id, start))
    worker = await make_dispatcher(clock)
    await worker.round()
    assert await handle_visit(*cancelled(case_id, visit_id))
    clock.advance(60)
    await worker.round()

    appointment, cancellation = await visit_notices(notifier_db, case_id)
    assert (cancellation.kind, cancellation.status) == ("visit_cancellation", "sent")
    assert cancellation.replaces_notification_id == appointment.id
    [message] = await messages_of(notifier_db, cancellation)
    assert (
        f"The visit arranged for {short_day(start)}, 14:00-16:00 (your local time) is cancelled"
        in message.body
    )
    assert not any(amount in message.body for amount in AMOUNTS)
    assert "repayment" not in message.body
    # The scheduler was told of the appointment; the cancellation is its own news.
    assert [t for t, _ in await visit_events(notifier_db, case_id)] == [
        "doorstep.visit.notice_sent.v1"
    ]


async def test_a_visit_cancelled_before_its_notice_went_out_sends_nothing(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = SteppingClock()
    case_id = await open_case(publish, contact_stub, zone_at_hour(2, clock.now))  # night
    visit_id = uuid.uuid4()
    assert await handle_visit(*scheduled(case_id, visit_id, clock.now + timedelta(days=4)))
    worker = await make_dispatcher(clock)
    await worker.round()
    [waiting] = await visit_notices(notifier_db, case_id)
    assert waiting.status == "pending"  # deferred to 08:00 there

    assert await handle_visit(*cancelled(case_id, visit_id))
    clock.now = waiting.next_attempt_at + timedelta(hours=1)
    await worker.round()

    [notice] = await visit_notices(notifier_db, case_id)
    assert notice.status == "cancelled"
    assert await messages_of(notifier_db, notice) == []
    assert await visit_events(notifier_db, case_id) == []


async def test_a_cancellation_under_a_hold_is_logged_and_not_sent(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = await open_case(publish, contact_stub, zone_at_hour(12))
    visit_id = uuid.uuid4()
    assert await handle_visit(*scheduled(case_id, visit_id, datetime.now(UTC) + timedelta(days=3)))
    worker = await make_dispatcher()
    await worker.round()
    await publish(hold_placed(case_id, 2, "dispute"))
    assert await handle_visit(*cancelled(case_id, visit_id))
    worker.clock.advance(60)
    await worker.round()

    _, cancellation = await visit_notices(notifier_db, case_id)
    assert cancellation.status == "suppressed"
    assert await messages_of(notifier_db, cancellation) == []
    [decision] = await decisions(notifier_db, cancellation)
    assert (decision.outcome, decision.rule_id) == ("suppressed", "uk.doorstep.hold")


@pytest.fixture
async def client(notifier_db: NotifierDb) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotifierSettings(database_url=notifier_db.url, background_workers_enabled=False)
    async with app_client(create_app(settings)) as http:
        yield http


async def test_the_api_lists_visit_notices_by_kind_with_their_visit(
    client: httpx.AsyncClient,
    publish: CaseEventSink,
    handle_visit: Handler,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = await open_case(publish, contact_stub, zone_at_hour(12))
    event, data = scheduled(case_id, uuid.uuid4(), datetime.now(UTC) + timedelta(days=3))
    assert await handle_visit(event, data)
    await (await make_dispatcher()).round()

    everything = await client.get("/v1/notifications", params={"case_id": str(case_id)})
    assert sorted(n["kind"] for n in everything.json()["items"]) == [
        "overdue",
        "visit_appointment",
    ]
    visits = await client.get(
        "/v1/notifications", params={"case_id": str(case_id), "kind": "visit_appointment"}
    )
    [summary] = visits.json()["items"]
    assert summary["trigger"] == {"event_id": event.id, "event_type": event.type}
    assert summary["arrears"] is None
    assert summary["visit"]["visit_id"] == str(data.visit_id)
    assert datetime.fromisoformat(summary["visit"]["window_start"]) == data.window_start
    detail = (await client.get(f"/v1/notifications/{summary['id']}")).json()
    assert detail["status"] == "sent"
    assert PURPOSE in detail["message"]["body"]
    assert [d["outcome"] for d in detail["decisions"]] == ["allowed"]
    overdue = await client.get(
        "/v1/notifications", params={"case_id": str(case_id), "kind": "overdue"}
    )
    [only] = overdue.json()["items"]
    assert only["arrears"]["total"] == "1259.75"
    assert (await client.get("/v1/notifications", params={"kind": "nonsense"})).status_code == 422
