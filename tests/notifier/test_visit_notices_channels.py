"""Appointment notices through the ``channels`` provider against real local servers: the HTTP
SMS gateway, an SMTP server on loopback, and the letter print queue."""

from __future__ import annotations

import io
import uuid
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from doorstep_notifier.providers.letter import BODY_TOP_MM
from doorstep_notifier.settings import reveals_debt
from doorstep_shared.messaging.consumer import Handler
from tests.notifier.conftest import CaseEventSink, MakeDispatcher, NotifierDb
from tests.notifier.contact_stub import ContactStub
from tests.notifier.gateway_stub import SmsGatewayStub
from tests.notifier.servers import Mailbox
from tests.notifier.test_channels import (  # noqa: F401  (fixtures used by name)
    ADDRESS_LINES,
    AMOUNT,
    BANK_CONTACT,
    BANK_NAME,
    SENDER,
    UNSUBSCRIBE,
    channel_settings,
    channels_dispatcher,
    gateway,
    mailbox,
    parts,
    pdf_lines,
)
from tests.notifier.test_visit_notices import (  # noqa: F401  (fixture used by name)
    PURPOSE,
    SHANGHAI,
    clock_at_utc,
    handle_visit,
    local,
    open_case,
    scheduled,
    short_day,
    visit_events,
    visit_notices,
)


async def test_the_sms_goes_to_the_gateway_with_the_local_window(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,  # noqa: F811
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    gateway: SmsGatewayStub,  # noqa: F811
    channel_settings: dict[str, Any],  # noqa: F811
) -> None:
    clock = clock_at_utc(3)
    case_id = await open_case(publish, contact_stub, "Asia/Shanghai")
    start = local(clock.now + timedelta(days=3), time(10, 0), SHANGHAI)
    event, data = scheduled(case_id, uuid.uuid4(), start)
    assert await handle_visit(event, data)
    await (await channels_dispatcher(make_dispatcher, channel_settings, clock=clock)).round()

    [notice] = await visit_notices(notifier_db, case_id)
    assert (notice.status, notice.provider) == ("sent", "sms-gateway")
    [(headers, body)] = gateway.requests_for(str(notice.id))
    assert headers["idempotency-key"] == str(notice.id)
    text = body["text"]
    assert text.startswith(f"{BANK_NAME}: a message for Li Wei about your account.\n")
    assert f"on {short_day(start)}, 10:00-12:00 (your local time)" in text
    assert f"To rearrange: {BANK_CONTACT}." in text
    assert not AMOUNT.search(text)
    assert text.endswith("Reply STOP to opt out.")
    [(event_type, payload)] = await visit_events(notifier_db, case_id)
    assert (event_type, payload["trigger_event_id"]) == ("doorstep.visit.notice_sent.v1", event.id)


async def test_the_email_has_a_neutral_subject_and_the_opt_out(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,  # noqa: F811
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    mailbox: Mailbox,  # noqa: F811
    channel_settings: dict[str, Any],  # noqa: F811
) -> None:
    clock = clock_at_utc(3)
    case_id = await open_case(publish, contact_stub, "Asia/Shanghai", phone=None)
    start = local(clock.now + timedelta(days=3), time(16, 0), SHANGHAI)
    assert await handle_visit(*scheduled(case_id, uuid.uuid4(), start))
    await (await channels_dispatcher(make_dispatcher, channel_settings, clock=clock)).round()

    [notice] = await visit_notices(notifier_db, case_id)
    assert (notice.status, notice.provider) == ("sent", "smtp")
    message = next(
        m
        for m in mailbox.to("li.wei@example.com")
        if m["Message-ID"] == (f"<{notice.id}@doorstep.notifier>")
    )
    assert message["Subject"] == "An appointment about your account"
    assert not reveals_debt(message["Subject"])
    for content in parts(message).values():
        assert "between 16:00 and 18:00 (your local time)" in content
        assert PURPOSE in content
        assert f"To stop receiving these e-mails, write to {UNSUBSCRIBE}" in content
        assert not AMOUNT.search(content)


async def test_the_letter_shows_nothing_of_collection_through_the_window(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,  # noqa: F811
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],  # noqa: F811
) -> None:
    clock = clock_at_utc(3)
    case_id = await open_case(publish, contact_stub, "Asia/Shanghai", phone=None, email=None)
    start = local(clock.now + timedelta(days=6), time(11, 0), SHANGHAI)
    assert await handle_visit(*scheduled(case_id, uuid.uuid4(), start))
    await (await channels_dispatcher(make_dispatcher, channel_settings, clock=clock)).round()

    [notice] = await visit_notices(notifier_db, case_id)
    assert (notice.status, notice.channel) == ("sent", "letter")
    queue: Path = channel_settings["letter_queue_dir"]
    lines = pdf_lines((queue / f"{notice.id}.pdf").read_bytes())
    window = [text for page, _x, y, text in lines if page == 1 and y < BODY_TOP_MM]
    assert window == [SENDER, *ADDRESS_LINES]
    assert not any(reveals_debt(text) for text in window)
    body = " ".join(text for page, _x, y, text in lines if page > 1 or y >= BODY_TOP_MM)
    assert "An appointment about your account" in body
    assert "between 11:00 and 13:00 (your local time)" in body
    assert BANK_CONTACT in body
    assert not AMOUNT.search(body)
    metadata = PdfReader(io.BytesIO((queue / f"{notice.id}.pdf").read_bytes())).metadata
    assert metadata is not None
    assert metadata.title is None


async def test_a_refused_recipient_fails_the_notice_and_the_scheduler_is_told(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    handle_visit: Handler,  # noqa: F811
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    mailbox: Mailbox,  # noqa: F811
    channel_settings: dict[str, Any],  # noqa: F811
) -> None:
    clock = clock_at_utc(3)
    case_id = await open_case(
        publish, contact_stub, "Asia/Shanghai", phone=None, email="gone@example.com"
    )
    mailbox.refuse["gone@example.com"] = "550 5.1.1 mailbox unavailable"
    start = local(clock.now + timedelta(days=3), time(16, 0), SHANGHAI)
    event, data = scheduled(case_id, uuid.uuid4(), start)
    assert await handle_visit(event, data)
    await (await channels_dispatcher(make_dispatcher, channel_settings, clock=clock)).round()

    reason = "provider channels: SMTP server refused the recipient ([550])"
    [notice] = await visit_notices(notifier_db, case_id)
    assert (notice.status, notice.status_reason) == ("failed", reason)
    [(event_type, payload)] = await visit_events(notifier_db, case_id)
    assert event_type == "doorstep.visit.notice_failed.v1"
    assert (payload["reason"], payload["channel"], payload["trigger_event_id"]) == (
        reason,
        "email",
        event.id,
    )
