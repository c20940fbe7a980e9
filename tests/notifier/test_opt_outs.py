"""Opt-outs: recorded by operations or from a STOP reply, honoured at once, even by notices
already waiting for their window."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from doorstep_notifier.main import create_app
from doorstep_notifier.settings import NotifierSettings
from tests.notifier.conftest import CaseEventSink, MakeDispatcher, NotifierDb, SteppingClock
from tests.notifier.contact_stub import TOKEN, ContactStub
from tests.notifier.factories import opened, stage_changed
from tests.support.apps import app_client
from tests.support.clocks import zone_at_hour

SECRET = "gateway-secret-for-opt-outs"
GATEWAY = {"X-Doorstep-Receipt-Secret": SECRET}


@pytest.fixture
async def client(
    notifier_db: NotifierDb, contact_stub: ContactStub
) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotifierSettings(
        database_url=notifier_db.url,
        background_workers_enabled=False,
        sms_receipt_secret=SECRET,
        case_api_url=contact_stub.url,
        case_api_token=TOKEN,
    )
    async with app_client(create_app(settings)) as http:
        yield http


async def test_an_opt_out_from_operations_moves_the_notice_to_another_channel(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id, preferred_language="en")
    await publish(opened(case_id))
    recorded = await client.post(f"/v1/cases/{case_id}/opt-outs", json={"channel": "sms"})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["new"] is True
    again = await client.post(f"/v1/cases/{case_id}/opt-outs", json={"channel": "sms"})
    assert again.json()["new"] is False

    await (await make_dispatcher()).round()
    notice = await notifier_db.only_notification(case_id)
    assert (notice.status, notice.channel) == ("sent", "email")
    listed = (await client.get(f"/v1/cases/{case_id}/opt-outs")).json()["items"]
    assert [(item["channel"], item["source"]) for item in listed] == [("sms", "operations")]
    bad = await client.post(f"/v1/cases/{case_id}/opt-outs", json={"channel": "pigeon"})
    assert bad.status_code == 422


async def test_a_stop_reply_suppresses_a_notice_already_waiting_for_its_window(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    make_dispatcher: MakeDispatcher,
    contact_stub: ContactStub,
) -> None:
    clock = SteppingClock()
    case_id = uuid.uuid4()
    # SMS only, and night there: the first notice goes out by day, the second waits.
    contact_stub.add(case_id, email=None, address=None, timezone=zone_at_hour(12, clock.now))
    await publish(opened(case_id))
    worker = await make_dispatcher(clock)
    await worker.round()
    first = await notifier_db.only_notification(case_id)
    assert (first.status, first.channel) == ("sent", "sms")

    contact_stub.add(case_id, email=None, address=None, timezone=zone_at_hour(2, clock.now))
    await publish(stage_changed(case_id, 2, stage="contact", previous_stage="reminder"))
    await worker.round()
    waiting = (await notifier_db.notifications(case_id))[-1]
    assert waiting.status == "pending"
    assert waiting.next_attempt_at > clock.now

    # The customer answers the first SMS with STOP; the gateway forwards it.
    refused = await client.post("/v1/providers/sms/opt-outs", json={"reference": str(first.id)})
    assert refused.status_code == 401
    stop = await client.post(
        "/v1/providers/sms/opt-outs", json={"reference": str(first.id)}, headers=GATEWAY
    )
    assert stop.status_code == 200, stop.text
    assert stop.json() == {
        "case_id": str(case_id),
        "channel": "sms",
        "new": True,
        "notices_rejudged": 1,
    }
    # Judged again at once, not at 08:00: no channel left, so it ends suppressed.
    assert await worker.round() == 1
    suppressed = (await notifier_db.notifications(case_id))[-1]
    assert suppressed.status == "suppressed"
    assert suppressed.status_reason is not None
    assert suppressed.status_reason.startswith("uk.conc.7_3_10.refused_channel")
    unknown = await client.post(
        "/v1/providers/sms/opt-outs", json={"reference": str(uuid.uuid4())}, headers=GATEWAY
    )
    assert unknown.status_code == 404


async def test_the_preview_takes_the_channel_the_dispatcher_would(
    client: httpx.AsyncClient,
    notifier_db: NotifierDb,
    publish: CaseEventSink,
    contact_stub: ContactStub,
) -> None:
    case_id = uuid.uuid4()
    contact_stub.add(case_id)
    await publish(opened(case_id))
    notice = await notifier_db.only_notification(case_id)
    before = (await client.get(f"/v1/notifications/{notice.id}/preview")).json()
    assert before["channel"] == "sms"
    await client.post(f"/v1/cases/{case_id}/opt-outs", json={"channel": "sms"})
    after = (await client.get(f"/v1/notifications/{notice.id}/preview")).json()
    assert after["channel"] == "email"
