"""The ``channels`` provider against real local servers: an HTTP SMS gateway, an SMTP server,
and the print-queue folder. The dispatcher drives each, as in production."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PageObject, PdfReader

from doorstep_notifier.main import create_app
from doorstep_notifier.providers.letter import (
    BODY_TOP_MM,
    LEFT_MM,
    WINDOW_TOP_MM,
    WINDOW_WIDTH_MM,
)
from doorstep_notifier.providers.local import LocalProvider
from doorstep_notifier.providers.registry import build_provider
from doorstep_notifier.settings import NotifierSettings, reveals_debt
from tests.notifier.conftest import (
    CaseEventSink,
    DispatcherUnderTest,
    MakeDispatcher,
    NotifierDb,
)
from tests.notifier.contact_stub import ContactStub
from tests.notifier.factories import opened
from tests.notifier.gateway_stub import (
    GATEWAY_CREDENTIAL,
    Refuse,
    Slow,
    SmsGatewayStub,
    running_gateway,
)
from tests.notifier.servers import Mailbox, running_smtp_server
from tests.notifier.test_dispatcher import PERSONAL_DATA, outbox_events
from tests.support.apps import app_client

RECEIPT_SECRET = "receipt-secret-0123456789"
BANK_NAME = "Harbour Bank"
BANK_CONTACT = "+86 400 820 8820, care@harbour.example"
SENDER = "Harbour Bank, PO Box 8, 200001 Shanghai"
MAIL_FROM = "Harbour Bank <notices@harbour.example>"
UNSUBSCRIBE = "no-email@harbour.example"
ADDRESS_LINES = ["Li Wei", "88 Century Avenue", "200120 Shanghai", "CN"]
AMOUNT = re.compile(r"\d[\d,]*\.\d\d|CNY")


@pytest.fixture
async def gateway() -> AsyncIterator[SmsGatewayStub]:
    async with running_gateway() as stub:
        yield stub


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    async with running_smtp_server() as server:
        yield server


@pytest.fixture
def channel_settings(gateway: SmsGatewayStub, mailbox: Mailbox, tmp_path: Path) -> dict[str, Any]:
    return {
        "provider": "channels",
        "sms_gateway_url": gateway.url,
        "sms_gateway_auth_value": GATEWAY_CREDENTIAL,
        "sms_gateway_timeout_seconds": 1.0,
        "sms_sender_id": BANK_NAME,
        "sms_receipt_secret": RECEIPT_SECRET,
        "smtp_host": "127.0.0.1",
        "smtp_port": mailbox.port,
        "smtp_timeout_seconds": 2.0,
        "email_from": MAIL_FROM,
        "email_unsubscribe_mailto": UNSUBSCRIBE,
        "letter_queue_dir": tmp_path / "print-queue",
        "letter_sender": SENDER,
        "bank_name": BANK_NAME,
        "bank_contact": BANK_CONTACT,
    }


async def channels_dispatcher(
    make_dispatcher: MakeDispatcher, channel_settings: dict[str, Any], **overrides: Any
) -> DispatcherUnderTest:
    return await make_dispatcher(
        provider_factory=build_provider, **{**channel_settings, **overrides}
    )


def test_local_provider_stays_the_default() -> None:
    settings = NotifierSettings()
    assert settings.provider == "local"
    assert isinstance(build_provider(settings), LocalProvider)


# --- SMS through the HTTP gateway ------------------------------------------------------------


async def test_sms_goes_to_the_gateway_with_its_credential_and_idempotency_key(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    gateway: SmsGatewayStub,
    channel_settings: dict[str, Any],
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, preferred_language="en")
    await publish(opened(case_id))
    worker = await channels_dispatcher(make_dispatcher, channel_settings)

    assert await worker.round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.channel, notice.provider) == ("sent", "sms", "sms-gateway")
    [(headers, body)] = gateway.requests_for(str(notice.id))
    assert headers["authorization"] == GATEWAY_CREDENTIAL
    assert headers["idempotency-key"] == str(notice.id)
    assert notice.provider_message_id == gateway.message_ids[str(notice.id)]
    assert (body["to"], body["from"], body["reference"]) == (
        "+8613800138000", BANK_NAME, str(notice.id)
    )  # fmt: skip
    text = body["text"]
    assert text.startswith(f"{BANK_NAME}: a message for Li Wei about your account.\n")
    assert "1,259.75 CNY as of 28 Nov 2026" in text
    assert BANK_CONTACT in text
    assert text.endswith("Reply STOP to opt out.")
    [(event_type, payload)] = outbox_events(await notifier_db.outbox(), case_id)
    assert event_type == "doorstep.notification.sent.v1"
    assert not any(personal in str(payload) for personal in PERSONAL_DATA)


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_gateway_outage_is_retried_with_backoff_and_the_sms_sent_once(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    gateway: SmsGatewayStub,
    channel_settings: dict[str, Any],
    status: int,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    gateway.script(Refuse(status, "try later"))
    await publish(opened(case_id))
    worker = await channels_dispatcher(
        make_dispatcher, channel_settings, dispatch_backoff_base_seconds=30
    )

    await worker.round()
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert notice.last_error == f"provider channels: SMS gateway answered HTTP {status}: try later"
    assert notice.next_attempt_at == worker.clock.now + timedelta(seconds=30)
    assert outbox_events(await notifier_db.outbox(), case_id) == []

    worker.clock.advance(29)
    assert await worker.round() == 0  # still backing off
    worker.clock.advance(1)
    assert await worker.round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("sent", 2)
    requests = gateway.requests_for(str(notice.id))
    assert [h["idempotency-key"] for h, _ in requests] == [str(notice.id)] * 2
    assert list(gateway.taken) == [str(notice.id)]
    events = outbox_events(await notifier_db.outbox(), case_id)
    assert [event_type for event_type, _ in events] == ["doorstep.notification.sent.v1"]


async def test_a_gateway_that_stays_down_fails_the_notice_after_the_last_attempt(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    gateway: SmsGatewayStub,
    channel_settings: dict[str, Any],
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    gateway.script(Refuse(503), Refuse(503))
    await publish(opened(case_id))
    worker = await channels_dispatcher(make_dispatcher, channel_settings, dispatch_max_attempts=2)

    await worker.round()
    worker.clock.now = (await notifier_db.only_notification(case_id)).next_attempt_at
    await worker.round()

    notice = await notifier_db.only_notification(case_id)
    reason = "gave up after 2 attempts: provider channels: SMS gateway answered HTTP 503"
    assert (notice.status, notice.attempts, notice.status_reason) == ("failed", 2, reason)
    [(event_type, payload)] = outbox_events(await notifier_db.outbox(), case_id)
    assert (event_type, payload["reason"]) == ("doorstep.notification.failed.v1", reason)
    assert gateway.taken == {}


async def test_slow_gateway_times_out_and_the_retry_sends_no_second_sms(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    gateway: SmsGatewayStub,
    channel_settings: dict[str, Any],
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    # The gateway takes the message but answers after our timeout.
    gateway.script(Slow(1.5))
    await publish(opened(case_id))
    worker = await channels_dispatcher(
        make_dispatcher, channel_settings, sms_gateway_timeout_seconds=0.3
    )

    await worker.round()
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert notice.last_error == "provider channels: SMS gateway did not answer in time"

    worker.clock.now = notice.next_attempt_at
    assert await worker.round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "sent"
    assert len(gateway.requests_for(str(notice.id))) == 2
    # The same idempotency key: the gateway hands the customer one SMS, not two.
    assert list(gateway.taken) == [str(notice.id)]
    assert notice.provider_message_id == gateway.message_ids[str(notice.id)]


async def test_gateway_rejection_fails_the_notice_with_the_reason(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    gateway: SmsGatewayStub,
    channel_settings: dict[str, Any],
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    gateway.script(Refuse(400, "invalid destination +86 138 0013 8000"))
    await publish(opened(case_id))
    worker = await channels_dispatcher(make_dispatcher, channel_settings)

    await worker.round()

    notice = await notifier_db.only_notification(case_id)
    reason = "provider channels: SMS gateway answered HTTP 400: invalid destination ***"
    assert (notice.status, notice.attempts, notice.status_reason) == ("failed", 1, reason)
    [(event_type, payload)] = outbox_events(await notifier_db.outbox(), case_id)
    assert event_type == "doorstep.notification.failed.v1"
    assert (payload["channel"], payload["reason"]) == ("sms", reason)
    assert gateway.taken == {}
    # Permanent: never tried again.
    worker.clock.advance(3600)
    assert await worker.round() == 0


async def test_a_wrong_gateway_credential_keeps_the_notice_pending(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    gateway: SmsGatewayStub,
    channel_settings: dict[str, Any],
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    await publish(opened(case_id))
    worker = await channels_dispatcher(
        make_dispatcher, channel_settings, sms_gateway_auth_value="Bearer wrong"
    )

    await worker.round()

    notice = await notifier_db.only_notification(case_id)
    # Our credential was refused, not the message: it waits for an operator to fix it.
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert notice.last_error == "provider channels: SMS gateway answered HTTP 401: unauthorised"
    assert gateway.unauthorised == 1


# --- Delivery receipts -------------------------------------------------------------------------


@pytest.fixture
async def receipts(notifier_db: NotifierDb) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotifierSettings(
        database_url=notifier_db.url,
        background_workers_enabled=False,
        sms_receipt_secret=RECEIPT_SECRET,
    )
    async with app_client(create_app(settings), scopes=None) as http:
        yield http


def receipt_headers(secret: str = RECEIPT_SECRET) -> dict[str, str]:
    return {"X-Doorstep-Receipt-Secret": secret}


async def sent_sms(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],
) -> tuple[uuid.UUID, uuid.UUID, str]:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    await publish(opened(case_id))
    await (await channels_dispatcher(make_dispatcher, channel_settings)).round()
    notice = await notifier_db.only_notification(case_id)
    assert notice.status == "sent"
    assert notice.provider_message_id is not None
    return case_id, notice.id, notice.provider_message_id


async def test_delivered_receipt_is_recorded_on_the_notice(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],
    receipts: httpx.AsyncClient,
) -> None:
    case_id, notice_id, message_id = await sent_sms(
        notifier_db, publish, make_dispatcher, contact_stub, channel_settings
    )

    answer = await receipts.post(
        "/v1/providers/sms/receipts",
        json={"message_id": message_id, "status": "delivered"},
        headers=receipt_headers(),
    )

    assert answer.status_code == 200
    assert answer.json() == {
        "notification_id": str(notice_id), "delivery_status": "delivered", "applied": True
    }  # fmt: skip
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.delivery_status) == ("sent", "delivered")
    delivered = [
        "doorstep.notification.sent.v1",
        "doorstep.notification.delivered.v1",
    ]
    events = outbox_events(await notifier_db.outbox(), case_id)
    assert [event_type for event_type, _ in events] == delivered
    # A repeated or contradicting receipt changes nothing.
    again = await receipts.post(
        "/v1/providers/sms/receipts",
        json={"reference": str(notice_id), "status": "failed", "reason": "late"},
        headers=receipt_headers(),
    )
    assert again.json()["applied"] is False
    assert (await notifier_db.only_notification(case_id)).status == "sent"
    events = outbox_events(await notifier_db.outbox(), case_id)
    assert [event_type for event_type, _ in events] == delivered


async def test_failed_receipt_fails_the_notice_and_announces_it(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],
    receipts: httpx.AsyncClient,
) -> None:
    case_id, notice_id, _ = await sent_sms(
        notifier_db, publish, make_dispatcher, contact_stub, channel_settings
    )

    answer = await receipts.post(
        "/v1/providers/sms/receipts",
        json={
            "reference": str(notice_id),
            "status": "failed",
            "reason": "handset +8613800138000 unreachable",
        },
        headers=receipt_headers(),
    )

    assert answer.status_code == 200
    assert answer.json()["delivery_status"] == "failed"
    notice = await notifier_db.only_notification(case_id)
    reason = "provider sms-gateway reported the message undelivered: handset *** unreachable"
    assert (notice.status, notice.status_reason) == ("failed", reason)
    events = outbox_events(await notifier_db.outbox(), case_id)
    assert [event_type for event_type, _ in events] == [
        "doorstep.notification.sent.v1",
        "doorstep.notification.failed.v1",
    ]
    assert (events[1][1]["reason"], events[1][1]["channel"]) == (reason, "sms")


async def test_receipt_without_the_shared_secret_is_refused(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],
    receipts: httpx.AsyncClient,
) -> None:
    case_id, notice_id, _ = await sent_sms(
        notifier_db, publish, make_dispatcher, contact_stub, channel_settings
    )
    receipt = {"reference": str(notice_id), "status": "failed"}

    for headers in ({}, receipt_headers("guessed")):
        answer = await receipts.post("/v1/providers/sms/receipts", json=receipt, headers=headers)
        assert answer.status_code == 401

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.delivery_status) == ("sent", None)


# --- E-mail through SMTP -----------------------------------------------------------------------


def parts(message: EmailMessage) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if not part.is_multipart():
            assert isinstance(part, EmailMessage)
            found[part.get_content_type()] = str(part.get_content())
    return found


@pytest.mark.parametrize(
    ("language", "subject", "opt_out"),
    [
        ("en", "A message about your account", f"To stop receiving these e-mails, write to {UNSUBSCRIBE}"),  # noqa: E501
        ("zh-CN", "关于您账户的信息", f"如不希望再收到此类电子邮件，请发送邮件至 {UNSUBSCRIBE}"),
    ],
)  # fmt: skip
async def test_email_is_multipart_with_a_neutral_subject_and_the_opt_out_in_both_parts(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    mailbox: Mailbox,
    channel_settings: dict[str, Any],
    language: str,
    subject: str,
    opt_out: str,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None, preferred_language=language)
    await publish(opened(case_id))
    worker = await channels_dispatcher(make_dispatcher, channel_settings)

    assert await worker.round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.channel, notice.provider) == ("sent", "email", "smtp")
    [message] = mailbox.to("li.wei@example.com")
    assert mailbox.envelopes[-1][1] == ["li.wei@example.com"]
    assert message["From"] == MAIL_FROM
    assert message["Subject"] == subject
    assert not reveals_debt(message["Subject"])
    assert message["List-Unsubscribe"] == f"<mailto:{UNSUBSCRIBE}?subject=unsubscribe>"
    assert message["Message-ID"] == f"<{notice.id}@doorstep.notifier>"
    assert notice.provider_message_id == message["Message-ID"]
    assert message["Content-Language"] == language
    assert message.get_content_type() == "multipart/alternative"
    bodies = parts(message)
    assert set(bodies) == {"text/plain", "text/html"}
    for content in bodies.values():
        assert opt_out in content
        assert "1,259.75 CNY" in content
        assert BANK_CONTACT in content
        assert content.count(opt_out) == 1
    assert bodies["text/html"].startswith("<!DOCTYPE html>")


async def test_smtp_refusing_the_recipient_fails_the_notice_for_good(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    mailbox: Mailbox,
    channel_settings: dict[str, Any],
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None, email="gone@example.com")
    mailbox.refuse["gone@example.com"] = "550 5.1.1 mailbox unavailable"
    await publish(opened(case_id))
    await (await channels_dispatcher(make_dispatcher, channel_settings)).round()

    notice = await notifier_db.only_notification(case_id)
    reason = "provider channels: SMTP server refused the recipient ([550])"
    assert (notice.status, notice.status_reason) == ("failed", reason)
    [(event_type, payload)] = outbox_events(await notifier_db.outbox(), case_id)
    assert (event_type, payload["channel"]) == ("doorstep.notification.failed.v1", "email")
    assert mailbox.received == []


async def test_smtp_deferral_is_retried_then_sent(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    mailbox: Mailbox,
    channel_settings: dict[str, Any],
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None, email="busy@example.com")
    mailbox.refuse["busy@example.com"] = "451 4.3.2 try again later"
    await publish(opened(case_id))
    worker = await channels_dispatcher(make_dispatcher, channel_settings)

    await worker.round()
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert notice.last_error == "provider channels: SMTP server deferred the recipient ([451])"

    del mailbox.refuse["busy@example.com"]
    worker.clock.now = notice.next_attempt_at
    await worker.round()
    assert (await notifier_db.only_notification(case_id)).status == "sent"
    assert len(mailbox.to("busy@example.com")) == 1


async def test_smtp_server_down_keeps_the_notice_pending(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],
) -> None:
    from doorstep_local.broker import free_port

    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None)
    await publish(opened(case_id))
    worker = await channels_dispatcher(make_dispatcher, channel_settings, smtp_port=free_port())

    await worker.round()

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert notice.last_error is not None
    assert notice.last_error.startswith("provider channels: SMTP server unavailable")


# --- Letters to the print queue ----------------------------------------------------------------

MM_PER_POINT = 25.4 / 72


def pdf_lines(pdf: bytes) -> list[tuple[int, float, float, str]]:
    """(page number, mm from the left, mm from the top, text) of every text line."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return [
        (number, x, y, text)
        for number, page in enumerate(pages, start=1)
        for x, y, text in page_lines(page)
    ]


def page_lines(page: PageObject) -> list[tuple[float, float, str]]:
    height = float(page.mediabox.height)
    found: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x * MM_PER_POINT, (height - y) * MM_PER_POINT, text.strip()))

    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_letter_lands_in_the_print_queue_with_only_a_neutral_window(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],
    language: str,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None, email=None, preferred_language=language)
    await publish(opened(case_id))

    assert await (await channels_dispatcher(make_dispatcher, channel_settings)).round() == 1

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.channel, notice.provider) == ("sent", "letter", "letter")
    queue: Path = channel_settings["letter_queue_dir"]
    assert sorted(p.name for p in queue.iterdir()) == [f"{notice.id}.pdf"]  # noqa: ASYNC240
    assert notice.provider_message_id == f"{notice.id}.pdf"
    pdf = (queue / f"{notice.id}.pdf").read_bytes()
    lines = pdf_lines(pdf)
    # What an envelope window shows: everything above the body, all inside the window.
    window = [(x, y, text) for page, x, y, text in lines if page == 1 and y < BODY_TOP_MM]
    assert [text for _x, _y, text in window] == [SENDER, *ADDRESS_LINES]
    for x, y, text in window:
        assert LEFT_MM - 0.5 <= x <= LEFT_MM + WINDOW_WIDTH_MM
        assert WINDOW_TOP_MM <= y <= 90.0
        assert not reveals_debt(text)
        assert not AMOUNT.search(text)
    # Below it, the notice itself; no CJK font is configured, so a Chinese customer's letter
    # is written in English rather than with missing glyphs.
    body = " ".join(text for page, _x, y, text in lines if page > 1 or y >= BODY_TOP_MM)
    assert "Overdue payment on your personal-loan account" in body
    assert "Dear Li Wei," in body
    assert "1,259.75 CNY" in body
    assert BANK_CONTACT in body
    assert "opt out" not in body
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.title is None
    assert metadata.subject is None


async def test_unwritable_print_queue_is_an_outage_not_a_lost_letter(
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
    channel_settings: dict[str, Any],
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the queue folder should be")
    case_id = uuid.uuid4()
    contact_stub.add(case_id, phone=None, email=None)
    await publish(opened(case_id))
    worker = await channels_dispatcher(
        make_dispatcher, channel_settings, letter_queue_dir=blocked / "queue"
    )

    await worker.round()

    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("pending", 1)
    assert notice.last_error == "provider channels: print queue not writable (NotADirectoryError)"
