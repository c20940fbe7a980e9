"""case-api application factory."""

from __future__ import annotations

from fastapi import FastAPI

from doorstep_case_api.accounts.batch_router import BATCH_PATH, document_batch_record
from doorstep_case_api.accounts.batch_router import router as batch_intake_router
from doorstep_case_api.accounts.router import router as intake_router
from doorstep_case_api.arrangements.router import router as arrangements_router
from doorstep_case_api.cases.handlers import HANDLED_STATUS_TYPES, status_writeback
from doorstep_case_api.cases.router import router as cases_router
from doorstep_case_api.db import api_key_table, inbox_table, outbox_table
from doorstep_case_api.evaluation.router import router as evaluation_router
from doorstep_case_api.evaluation.service import DailyEvaluation
from doorstep_case_api.evaluation.worker import run_daily
from doorstep_case_api.holds.router import router as holds_router
from doorstep_case_api.legal.router import router as legal_router
from doorstep_case_api.operations.idempotency import install_idempotency
from doorstep_case_api.operations.router import router as operations_router
from doorstep_case_api.payments.router import router as payments_router
from doorstep_case_api.policy.model import load_policy
from doorstep_case_api.promises.router import router as promises_router
from doorstep_case_api.settings import CaseApiSettings
from doorstep_case_api.visit_terms.router import router as visit_terms_router
from doorstep_shared.app import build_app, seal_routes, service_lifespan
from doorstep_shared.events.topics import CASE_STATUS
from doorstep_shared.messaging.consumer import EventConsumer, transactional_handler
from doorstep_shared.security.crypto import field_crypto

SERVICE = "case-api"

DESCRIPTION = """
Doorstep's system of record for collection cases.

* **Intake**: core banking reports each overdue account's snapshot with
  `PUT /v1/accounts/{account_id}/delinquency`, and payments with
  `POST /v1/accounts/{account_id}/payments`.
* **Cases**: operations read cases and their timelines, record promises, propose and approve
  arrangements, place and lift holds, record customers' visit terms, and decide legal
  referrals.
* **Ladder**: each product's collection policy (stages, prerequisites, charges) drives the case;
  a daily evaluation job moves stages, accrues charges, settles promises and instalments.
* Every case change is published to Kafka topic `doorstep.case-events.v1` through a
  transactional outbox; status updates from the notifier and scheduler arrive on
  `doorstep.case-status.v1` and appear on the case timeline.

Errors are RFC 9457 problem details (`application/problem+json`). Every POST accepts an
`Idempotency-Key`; case mutations accept `If-Match` with the case's `ETag`.
"""


def _start_workers(app: FastAPI) -> None:
    settings: CaseApiSettings = app.state.settings
    writeback = status_writeback(app.state.policy, settings.bank_timezone, settings.event_source)
    consumer = EventConsumer(
        settings,
        topics=(CASE_STATUS,),
        group_id=settings.consumer_group,
        client_id=SERVICE,
        handled_types=HANDLED_STATUS_TYPES,
        handler=transactional_handler(
            app.state.sessionmaker,
            inbox_table,
            "case-status-writeback",
            writeback,
            after_commit=app.state.relay.notify,
        ),
    )
    app.state.status_consumer = consumer
    app.state.workers.start_consumer("status-consumer", consumer)
    if settings.daily_evaluation_enabled:
        evaluation = DailyEvaluation(
            app.state.sessionmaker, app.state.policy, settings.event_source
        )
        app.state.workers.start(
            "daily-evaluation", run_daily(settings, app.state.sessionmaker, evaluation)
        )


def create_app(settings: CaseApiSettings | None = None) -> FastAPI:
    settings = settings or CaseApiSettings()
    policy = load_policy(settings.policy_file)  # a bad policy file stops start-up here
    app = build_app(
        title="Doorstep case-api",
        description=DESCRIPTION,
        lifespan=service_lifespan(
            SERVICE, settings, outbox_table, _start_workers, api_keys=api_key_table
        ),
        settings=settings,
    )
    app.state.policy = policy
    app.state.field_cipher, app.state.blind_index = field_crypto(settings)  # bad keys stop here
    for router in (
        intake_router,
        batch_intake_router,
        payments_router,
        cases_router,
        promises_router,
        arrangements_router,
        holds_router,
        visit_terms_router,
        legal_router,
        operations_router,
        evaluation_router,
    ):
        app.include_router(router)
    install_idempotency(app)
    document_batch_record(app)
    return seal_routes(app, settings, streamed_bodies={BATCH_PATH: settings.max_batch_body_bytes})
