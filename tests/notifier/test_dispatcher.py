"""The dispatcher against a real HTTP server standing in for case-api's contact endpoint."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

from doorstep_notifier.notifications.models import Notification
from tests.notifier.conftest import CaseEventSink, MakeDispatcher, NotifierDb, SteppingClock
from tests.notifier.contact_stub import ContactStub, Slow
from tests.notifier.factories import hold_lifted, hold_placed, opened, resolved, stage_changed

PERSONAL_DATA = ("Li Wei", "8613800138000", "li.wei@example.com", "Century Avenue", "200120")


def outbox_events(rows: list[Any], case_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    return [
        (row.event_type, json.loads(row.payload)) for row in rows if row.message_key == str(case_id)
    ]


async def test_due_notice_is_sent_recorded_and_announced(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    await publish(opened(case_id))
    worker = await make_dispatcher()

    assert await worker.round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "sent"
    assert (notice.channel, notice.provider, notice.attempts) == ("sms", "local", 1)
    assert notice.sent_at == worker.clock.now
    [message] = [m for m in await notifier_db.local_messages() if m.notification_id == notice.id]
    assert (message.channel, message.recipient, message.language) == (
        "sms", "+8613800138000", "zh-CN"
    )  # fmt: skip
    assert message.subject is None
    assert "1,259.75 CNY" in message.body
    assert message.body.startswith("【Example Bank】Li Wei您好")  # the short SMS template
    [(event_type, payload)] = outbox_events(await notifier_db.outbox(), case_id)
    assert event_type == "doorstep.notification.sent.v1"
    assert payload["notification_id"] == str(notice.id)
    assert payload["channel"] == "sms"
    assert payload["trigger_event_id"] == notice.trigger_event_id
    assert not any(personal in json.dumps(payload) for personal in PERSONAL_DATA)
    assert worker.relay_wakeups == [1]
    # Nothing is due any more.
    worker.clock.advance(3600)
    assert await worker.round() == 0
    assert contact_stub.calls_for(case_id) == 1


async def test_english_customer_without_phone_gets_an_email(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None, preferred_language="en")
    await publish(opened(case_id))
    await (await make_dispatcher()).round()

    notice = await notifier_db.only_notification(case_id)
    [message] = [m for m in await notifier_db.local_messages() if m.notification_id == notice.id]
    assert (notice.channel, message.channel, message.language) == ("email", "email", "en")
    assert message.subject == "A message about your account"
    assert message.body.startswith("Dear Li Wei,")


async def test_outage_is_retried_with_backoff_then_sent_once(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    contact_stub.script(case_id, 503)
    await publish(opened(case_id))
    worker = await make_dispatcher(dispatch_backoff_base_seconds=30)

    await worker.round()
    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "pending"
    assert notice.attempts == 1
    assert notice.last_error == "case-api answered HTTP 503"
    assert notice.next_attempt_at == worker.clock.now + timedelta(seconds=30)
    assert notice.claim_token is None

    worker.clock.advance(29)
    assert await worker.round() == 0  # still backing off
    worker.clock.advance(1)
    assert await worker.round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("sent", 2)
    assert contact_stub.calls_for(case_id) == 2
    assert [m.notification_id for m in await notifier_db.local_messages()].count(notice.id) == 1
    events = outbox_events(await notifier_db.outbox(), case_id)
    assert [event_type for event_type, _ in events] == ["doorstep.notification.sent.v1"]


async def test_backoff_doubles_and_gives_up_after_max_attempts(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    contact_stub.script(case_id, 500, 502, 503)
    await publish(opened(case_id))
    worker = await make_dispatcher(
        dispatch_max_attempts=3,
        dispatch_backoff_base_seconds=10,
        dispatch_backoff_cap_seconds=15,
    )
    delays = []
    for _ in range(2):
        await worker.round()
        notice = await notifier_db.only_notification(case_id)
        delays.append((notice.next_attempt_at - worker.clock.now).total_seconds())
        worker.clock.now = notice.next_attempt_at
    assert delays == [10, 15]  # doubled, then capped
    await worker.round()

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "failed"
    assert notice.status_reason == "gave up after 3 attempts: case-api answered HTTP 503"
    [(event_type, payload)] = outbox_events(await notifier_db.outbox(), case_id)
    assert event_type == "doorstep.notification.failed.v1"
    assert payload["reason"] == notice.status_reason
    assert payload["channel"] == "none"
    assert not [m for m in await notifier_db.local_messages() if m.notification_id == notice.id]


async def test_unknown_case_fails_at_once(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()  # no contact data: the stub answers 404
    await publish(opened(case_id))
    await (await make_dispatcher()).round()

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("failed", 1)
    assert notice.status_reason == f"case-api has no contact data for case {case_id}"
    [(event_type, payload)] = outbox_events(await notifier_db.outbox(), case_id)
    assert event_type == "doorstep.notification.failed.v1"
    assert payload["notification_id"] == str(notice.id)


async def test_customer_without_any_channel_fails(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None, email=None, address=None)
    await publish(opened(case_id))
    await (await make_dispatcher()).round()

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "failed"
    assert notice.status_reason is not None
    assert notice.status_reason.startswith("no contact channel")


async def test_slow_contact_answer_counts_as_an_outage(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    contact_stub.script(case_id, Slow(1.0))
    await publish(opened(case_id))
    worker = await make_dispatcher(contact_timeout_seconds=0.2)

    await worker.round()

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert notice.last_error == "case-api did not answer in time"


async def test_resolved_case_is_never_contacted(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    await publish(opened(case_id))
    await publish(resolved(case_id, 2))

    assert await (await make_dispatcher()).round() == 0

    assert (await notifier_db.only_notification(case_id)).status == "cancelled"
    assert contact_stub.calls_for(case_id) == 0
    assert outbox_events(await notifier_db.outbox(), case_id) == []


async def test_case_resolved_during_the_attempt_cancels_instead_of_sending(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    contact_stub.script(case_id, Slow(0.5))
    await publish(opened(case_id))
    worker = await make_dispatcher(contact_timeout_seconds=2)

    attempt = asyncio.create_task(worker.round())
    await contact_stub.first_call(case_id)  # the dispatcher is fetching contact data
    await publish(resolved(case_id, 2))
    assert await attempt == 1

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "cancelled"
    assert not [m for m in await notifier_db.local_messages() if m.notification_id == notice.id]
    assert outbox_events(await notifier_db.outbox(), case_id) == []


async def test_a_hold_placed_during_the_attempt_stops_the_notice(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    contact_stub.script(case_id, Slow(0.5))
    await publish(opened(case_id))
    worker = await make_dispatcher(contact_timeout_seconds=2)

    attempt = asyncio.create_task(worker.round())
    await contact_stub.first_call(case_id)  # the dispatcher is fetching contact data
    await publish(hold_placed(case_id, 2, "bankruptcy"))
    assert await attempt == 1

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.status_reason) == ("cancelled", "hold: bankruptcy")
    assert not [m for m in await notifier_db.local_messages() if m.notification_id == notice.id]
    assert outbox_events(await notifier_db.outbox(), case_id) == []


async def test_a_paused_case_gets_nothing_until_a_new_notice_is_due(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    await publish(opened(case_id, stage="contact", days_past_due=20))
    await publish(hold_placed(case_id, 2, "moratorium", stage="contact", days_past_due=20))
    worker = await make_dispatcher()
    assert await worker.round() == 0
    assert contact_stub.calls_for(case_id) == 0

    await publish(hold_lifted(case_id, 3, "moratorium", stage="contact", days_past_due=20))
    await publish(stage_changed(case_id, 4, stage="field", previous_stage="contact"))
    assert await worker.round() == 1
    sent = [n for n in await notifier_db.notifications(case_id) if n.status == "sent"]
    assert [n.stage for n in sent] == ["field"]


async def test_two_dispatchers_on_one_database_send_each_notice_once(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_ids = [uuid.uuid4() for _ in range(12)]
    for case_id in case_ids:
        contact_stub.add(case_id)
        await publish(opened(case_id))
    clock = SteppingClock()
    first = await make_dispatcher(clock, dispatch_batch_size=5)
    second = await make_dispatcher(clock, dispatch_batch_size=5)

    for _ in range(3):
        await asyncio.gather(first.round(), second.round())

    notices: list[Notification] = []
    for case_id in case_ids:
        notices.extend(await notifier_db.notifications(case_id))
    assert {n.status for n in notices} == {"sent"}
    messages = [m.notification_id for m in await notifier_db.local_messages()]
    assert sorted(messages) == sorted(n.id for n in notices)
    assert sum(contact_stub.calls_for(case_id) for case_id in case_ids) == 12


async def test_a_dispatcher_that_dies_mid_attempt_leaves_the_notice_to_another(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    contact_stub.script(case_id, Slow(5))
    await publish(opened(case_id))
    dying = await make_dispatcher(contact_timeout_seconds=1, dispatch_lease_seconds=10)

    attempt = asyncio.create_task(dying.round())
    await contact_stub.first_call(case_id)  # the dispatcher is fetching contact data
    attempt.cancel()  # the process is gone after its claim committed

    survivor = await make_dispatcher(contact_timeout_seconds=1, dispatch_lease_seconds=10)
    assert await survivor.round() == 0  # the claim's lease still holds
    survivor.clock.advance(10)
    assert await survivor.round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "sent"
    assert [m.notification_id for m in await notifier_db.local_messages()].count(notice.id) == 1


async def test_a_dispatcher_whose_lease_ran_out_leaves_the_notice_to_its_new_owner(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    # The first dispatcher's request takes 0.5 s; the one that takes over needs 1 s.
    contact_stub.script(case_id, Slow(0.5), Slow(1.0))
    await publish(opened(case_id))
    late = await make_dispatcher(contact_timeout_seconds=2, dispatch_lease_seconds=10)
    late_attempt = asyncio.create_task(late.round())
    await contact_stub.first_call(case_id)

    # Another process, whose clock is past the lease, claims the notice while the first one
    # still waits for its answer. The first finishes first and must leave the notice alone.
    other_clock = SteppingClock()
    other_clock.advance(11)
    other = await make_dispatcher(other_clock, contact_timeout_seconds=2, dispatch_lease_seconds=10)
    assert await other.round() == 1
    assert await late_attempt == 1

    assert late.relay_wakeups == []
    assert other.relay_wakeups == [1]
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts, notice.sent_at) == ("sent", 1, other_clock.now)
    assert [m.notification_id for m in await notifier_db.local_messages()].count(notice.id) == 1
    events = outbox_events(await notifier_db.outbox(), case_id)
    assert [event_type for event_type, _ in events] == ["doorstep.notification.sent.v1"]
