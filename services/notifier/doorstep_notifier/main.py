"""notifier application factory."""

from __future__ import annotations

from fastapi import FastAPI

from doorstep_notifier.contacts.client import CaseApiContacts
from doorstep_notifier.db import api_key_table, inbox_table, outbox_table
from doorstep_notifier.notifications.dispatcher import Dispatcher
from doorstep_notifier.notifications.handlers import (
    CASE_ORDER,
    CONSUMER_NAME,
    HANDLED_CASE_TYPES,
    apply_case_event,
)
from doorstep_notifier.notifications.router import cases_router as notice_preview_router
from doorstep_notifier.notifications.router import router as notifications_router
from doorstep_notifier.opt_outs.router import router as opt_outs_router
from doorstep_notifier.providers.base import ChannelProvider
from doorstep_notifier.providers.channels import Closeable
from doorstep_notifier.providers.registry import build_provider
from doorstep_notifier.providers.router import router as providers_router
from doorstep_notifier.settings import NotifierSettings
from doorstep_notifier.visits.handlers import CONSUMER_NAME as VISIT_CONSUMER_NAME
from doorstep_notifier.visits.handlers import HANDLED_VISIT_TYPES, apply_visit_event
from doorstep_shared.app import build_app, seal_routes, service_lifespan
from doorstep_shared.events.topics import CASE_EVENTS, CASE_STATUS
from doorstep_shared.messaging.case_order import GapWorker
from doorstep_shared.messaging.consumer import EventConsumer, transactional_handler

SERVICE = "notifier"

DESCRIPTION = """
Doorstep's notifier sends overdue notices, and notice of each planned field visit.

* It follows case events on Kafka topic `doorstep.case-events.v1`: a case that opens or enters
  a new stage gets one notice stating the itemised arrears, days past due and as-of date. A
  hold or any other pause of collection cancels the case's pending notices at once and no new
  ones are queued until it ends; a resolved case's pending notices are cancelled too.
* It follows the scheduler's visit events on `doorstep.case-status.v1`: a planned visit gets
  an appointment notice (date, likely time window in the customer's local time, purpose, how
  to rearrange); a moved visit a new notice that replaces the earlier; a cancelled visit
  withdraws a notice not yet sent, or sends a short cancellation notice. An appointment notice
  that could only go out later than the rule pack's notice period before the visit is not sent.
* A dispatcher fetches the customer's contact data from case-api only when sending, renders
  the notice in the customer's language and hands it to the channel provider (SMS, else
  e-mail, else letter). The `local` provider (default) records the message in the notifier's
  database; the `channels` provider sends SMS through an HTTP gateway, e-mail over SMTP and
  letters as PDFs to a print-queue folder.
* The SMS gateway posts delivery receipts to `POST /v1/providers/sms/receipts`.
* Operations preview a notice as it would go out now (`GET /v1/notifications/{id}/preview`,
  `GET /v1/cases/{id}/notice-preview`); nothing is sent, and each preview is audited.
* Outcomes are published to `doorstep.case-status.v1` (`doorstep.notification.sent.v1`,
  `doorstep.notification.failed.v1`...; for appointment notices `doorstep.visit.notice_sent.v1`
  and `doorstep.visit.notice_failed.v1`) through a transactional outbox, with no personal data.

Errors are RFC 9457 problem details (`application/problem+json`).
"""


async def _run_dispatcher(
    dispatcher: Dispatcher, contacts: CaseApiContacts, provider: ChannelProvider
) -> None:
    try:
        await dispatcher.run()
    finally:
        await contacts.aclose()
        if isinstance(provider, Closeable):
            await provider.aclose()


def _start_workers(app: FastAPI) -> None:
    settings: NotifierSettings = app.state.settings
    contacts = CaseApiContacts(settings)
    provider = build_provider(settings)
    dispatcher = Dispatcher(
        app.state.sessionmaker,
        contacts,
        provider,
        settings,
        on_outbox_rows=app.state.relay.notify,
    )
    consumer = EventConsumer(
        settings,
        topics=(CASE_EVENTS,),
        group_id=settings.consumer_group,
        client_id=SERVICE,
        handled_types=HANDLED_CASE_TYPES,
        handler=transactional_handler(
            app.state.sessionmaker,
            inbox_table,
            CONSUMER_NAME,
            apply_case_event,
            after_commit=dispatcher.wake,
        ),
    )
    # Its own group: the status topic is read from its start without touching the case
    # events' offsets, and a slow topic holds up neither.
    visit_consumer = EventConsumer(
        settings,
        topics=(CASE_STATUS,),
        group_id=settings.visit_consumer_group,
        client_id=f"{SERVICE}-visits",
        handled_types=HANDLED_VISIT_TYPES,
        handler=transactional_handler(
            app.state.sessionmaker,
            inbox_table,
            VISIT_CONSUMER_NAME,
            apply_visit_event,
            after_commit=dispatcher.wake,
        ),
    )
    # Gives up waiting for case events that never came, so a parked case moves on.
    gap_worker = GapWorker(
        app.state.sessionmaker,
        CASE_ORDER,
        settings.gap_wait_seconds,
        after_commit=dispatcher.wake,
    )
    app.state.dispatcher = dispatcher
    app.state.case_consumer = consumer
    app.state.visit_consumer = visit_consumer
    app.state.workers.start_consumer("case-consumer", consumer)
    app.state.workers.start_consumer("visit-consumer", visit_consumer)
    app.state.workers.start("gap-worker", gap_worker.run(), request_stop=gap_worker.request_stop)
    app.state.workers.start(
        "dispatcher",
        _run_dispatcher(dispatcher, contacts, provider),
        request_stop=dispatcher.request_stop,
    )


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    app = build_app(
        title="Doorstep notifier",
        description=DESCRIPTION,
        lifespan=service_lifespan(
            SERVICE, settings, outbox_table, _start_workers, api_keys=api_key_table
        ),
        settings=settings,
    )
    app.include_router(notifications_router)
    app.include_router(notice_preview_router)
    app.include_router(providers_router)
    app.include_router(opt_outs_router)
    # The SMS gateway authenticates with its own shared secret, not a Doorstep credential.
    return seal_routes(
        app,
        settings,
        exempt=frozenset({"/v1/providers/sms/receipts", "/v1/providers/sms/opt-outs"}),
    )
