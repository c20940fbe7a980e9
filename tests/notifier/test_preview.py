"""Notice previews over the real ASGI app, with contact data from the case-api stand-in."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from doorstep_notifier.db import audit_table
from doorstep_notifier.decisions.models import ContactDecisionRecord
from doorstep_notifier.main import create_app
from doorstep_notifier.settings import NotifierSettings
from doorstep_shared.security.principal import Scope
from tests.notifier.conftest import CaseEventSink, MakeDispatcher, NotifierDb
from tests.notifier.contact_stub import TOKEN, ContactStub
from tests.notifier.factories import opened, stage_changed
from tests.support.apps import app_client
from tests.support.clocks import zone_at_hour

PREVIEWER = (Scope.CASES_READ, Scope.PII_READ)
Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(notifier_db: NotifierDb, contact_stub: ContactStub) -> Client:
    def make(
        scopes: tuple[str, ...] = PREVIEWER, **overrides: Any
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        settings = NotifierSettings(
            database_url=notifier_db.url,
            background_workers_enabled=False,
            case_api_url=contact_stub.url,
            case_api_token=TOKEN,
            contact_timeout_seconds=0.5,
            **overrides,
        )
        return app_client(create_app(settings), scopes)

    return make


@pytest.fixture
async def client(make_client: Client) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as http:
        yield http


async def pending_notice(
    notifier_db: NotifierDb, publish: CaseEventSink, contact_stub: ContactStub, **contact: Any
) -> tuple[uuid.UUID, uuid.UUID]:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, **contact)
    await publish(opened(case_id))
    return case_id, (await notifier_db.only_notification(case_id)).id


async def audit_entries(notifier_db: NotifierDb, case_id: uuid.UUID) -> list[Any]:
    async with notifier_db.engine.connect() as conn:
        query = select(audit_table).where(audit_table.c.case_id == case_id)
        return list((await conn.execute(query)).all())


async def test_preview_shows_the_notice_exactly_as_the_dispatcher_then_sends_it(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
    make_dispatcher: MakeDispatcher,
) -> None:
    case_id, notice_id = await pending_notice(notifier_db, publish, contact_stub)

    answer = await client.get(f"/v1/notifications/{notice_id}/preview")

    assert answer.status_code == 200
    preview = answer.json()
    rules = preview.pop("contact_rules")
    # It is about noon where the test customer lives: the UK pack lets the SMS out now.
    assert (rules["outcome"], rules["rule_id"], rules["pack_id"]) == ("allowed", "uk.allowed", "UK")
    assert {k: v for k, v in preview.items() if k != "body"} == {
        "notification_id": str(notice_id),
        "case_id": str(case_id),
        "notification_status": "pending",
        "channel": "sms",
        "sender": "Doorstep",
        "recipient": "+86*******8000",
        "language": "zh-CN",
        "subject": None,
    }
    assert preview["body"].startswith("【Example Bank】Li Wei您好，这是关于您账户的信息。")
    assert "应还1,259.75 CNY" in preview["body"]
    # Nothing went out.
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.attempts) == ("pending", 0)
    assert await notifier_db.local_messages() == []

    await (await make_dispatcher()).round()
    [message] = [m for m in await notifier_db.local_messages() if m.notification_id == notice_id]
    assert message.body == preview["body"]
    assert (message.channel, message.language, message.subject) == ("sms", "zh-CN", None)


async def test_preview_by_channel(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
) -> None:
    _, notice_id = await pending_notice(notifier_db, publish, contact_stub)
    url = f"/v1/notifications/{notice_id}/preview"

    email = (await client.get(url, params={"channel": "email"})).json()
    assert (email["channel"], email["recipient"]) == ("email", "l***@example.com")
    assert (email["sender"], email["subject"]) == (
        "Customer Care <notices@bank.example>", "关于您账户的信息"
    )  # fmt: skip
    assert email["body"].startswith("尊敬的Li Wei：")
    assert "如不希望再收到此类电子邮件，请发送邮件至 unsubscribe@bank.example" in email["body"]

    letter = (await client.get(url, params={"channel": "letter"})).json()
    assert (letter["channel"], letter["recipient"]) == ("letter", "***, CN")
    assert letter["contact_rules"]["outcome"] == "allowed"  # letters are never timed
    assert letter["sender"] == "Customer Services, PO Box 123"
    assert letter["subject"] == "关于您的personal-loan账户逾期还款的通知"
    assert "unsubscribe@bank.example" not in letter["body"]


async def test_letter_preview_follows_the_fonts_of_the_channels_provider(
    make_client: Client,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
) -> None:
    _, notice_id = await pending_notice(notifier_db, publish, contact_stub)
    async with make_client(provider="channels", letter_cjk_font_path=None) as http:
        url = f"/v1/notifications/{notice_id}/preview"
        letter = (await http.get(url, params={"channel": "letter"})).json()
        sms = (await http.get(url)).json()
    # No font with Chinese glyphs: the letter would be printed in English, the SMS not.
    assert (letter["language"], letter["subject"]) == (
        "en", "Overdue payment on your personal-loan account"
    )  # fmt: skip
    assert letter["body"].startswith("Dear Li Wei,")
    assert sms["language"] == "zh-CN"


async def test_case_preview_takes_the_pending_notice_else_the_newest(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
    make_dispatcher: MakeDispatcher,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, preferred_language="en")
    await publish(opened(case_id, stage="contact", days_past_due=20))
    await publish(stage_changed(case_id, 2, stage="field", previous_stage="contact"))
    cancelled, pending = await notifier_db.notifications(case_id)
    assert (cancelled.status, pending.status) == ("cancelled", "pending")
    url = f"/v1/cases/{case_id}/notice-preview"

    preview = (await client.get(url)).json()
    assert (preview["notification_id"], preview["notification_status"]) == (
        str(pending.id), "pending"
    )  # fmt: skip
    assert "We may visit; we will tell you beforehand." in preview["body"]

    await (await make_dispatcher()).round()
    after = (await client.get(url, params={"channel": "email"})).json()
    assert (after["notification_id"], after["notification_status"]) == (str(pending.id), "sent")
    assert after["subject"] == "A message about your account"

    unknown = await client.get(f"/v1/cases/{uuid.uuid4()}/notice-preview")
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("/notification-not-found")


async def test_every_preview_is_audited_with_the_caller_and_purpose(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
) -> None:
    case_id, notice_id = await pending_notice(notifier_db, publish, contact_stub)

    await client.get(
        f"/v1/notifications/{notice_id}/preview", headers={"X-Purpose": "quality check"}
    )
    await client.get(f"/v1/cases/{case_id}/notice-preview")

    entries = await audit_entries(notifier_db, case_id)
    assert [(e.action, e.details) for e in entries] == [
        ("pii.read", {"fields": ["name"], "purpose": "quality check"}),
        ("pii.read", {"fields": ["name"], "purpose": None}),
    ]
    assert all(e.actor.startswith("key:") for e in entries)
    # case-api is told why the notifier reads the contact data this time.
    assert [p for c, p in contact_stub.purposes if c == str(case_id)] == ["notice-preview"] * 2


@pytest.mark.parametrize(
    ("script", "status", "problem"),
    [(404, 404, "contact-not-found"), (503, 503, "contact-unavailable")],
)
async def test_contact_data_missing_or_unavailable(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
    script: int,
    status: int,
    problem: str,
) -> None:
    case_id, notice_id = await pending_notice(notifier_db, publish, contact_stub)
    contact_stub.script(case_id, script)

    answer = await client.get(f"/v1/notifications/{notice_id}/preview")

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith(f"/{problem}")
    assert await audit_entries(notifier_db, case_id) == []


async def test_a_channel_the_contact_data_does_not_allow_is_a_conflict(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
) -> None:
    case_id, notice_id = await pending_notice(notifier_db, publish, contact_stub, email=None)
    url = f"/v1/notifications/{notice_id}/preview"

    answer = await client.get(url, params={"channel": "email"})
    assert answer.status_code == 409
    assert answer.json()["type"].endswith("/channel-not-possible")
    invalid = await client.get(url, params={"channel": "fax"})
    assert invalid.status_code == 422
    assert "fax" not in invalid.text
    missing = await client.get(f"/v1/notifications/{uuid.uuid4()}/preview")
    assert missing.status_code == 404
    assert await audit_entries(notifier_db, case_id) == []


async def test_preview_needs_personal_data_access(
    make_client: Client,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
) -> None:
    case_id, notice_id = await pending_notice(notifier_db, publish, contact_stub)
    async with make_client(scopes=(Scope.CASES_READ,)) as operations:
        answer = await operations.get(f"/v1/notifications/{notice_id}/preview")
        # The notice itself stays readable with cases:read.
        assert (await operations.get(f"/v1/notifications/{notice_id}")).status_code == 200
    assert answer.status_code == 403
    assert "Li Wei" not in answer.text
    assert contact_stub.calls_for(case_id) == 0


async def test_the_preview_body_is_not_logged(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, notice_id = await pending_notice(notifier_db, publish, contact_stub)
    caplog.set_level(logging.DEBUG)

    for channel in ("sms", "email", "letter"):
        answer = await client.get(
            f"/v1/notifications/{notice_id}/preview", params={"channel": channel}
        )
        assert "Li Wei" in answer.text

    assert caplog.records  # the request was logged, just not the message
    for personal in ("Li Wei", "8613800138000", "li.wei@example.com", "Century Avenue"):
        assert personal not in caplog.text
    assert "这是关于您账户的信息" not in caplog.text


async def test_the_preview_says_when_the_rules_would_let_it_out(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
) -> None:
    _, notice_id = await pending_notice(
        notifier_db, publish, contact_stub, timezone=zone_at_hour(3)
    )
    rules = (await client.get(f"/v1/notifications/{notice_id}/preview")).json()["contact_rules"]
    assert (rules["outcome"], rules["rule_id"]) == ("deferred", "uk.conc.reasonable_hours")
    assert rules["not_before"] is not None
    assert "08:00" in rules["reason"]
    # A preview decides nothing: the decision log stays empty.
    async with notifier_db.sessionmaker() as session:
        logged = await session.execute(select(ContactDecisionRecord))
        assert logged.scalars().all() == []
