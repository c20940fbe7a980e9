"""Runs the daily evaluation at the configured local time, inside the web process."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.evaluation.service import DailyEvaluation
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.clock import utc_now

logger = logging.getLogger(__name__)


def seconds_until(settings: CaseApiSettings, now: datetime) -> float:
    zone = ZoneInfo(settings.bank_timezone)
    local = now.astimezone(zone)
    run_at = datetime.combine(local.date(), settings.evaluation_time, zone)
    if run_at <= local:
        run_at = datetime.combine(local.date() + timedelta(days=1), settings.evaluation_time, zone)
    return (run_at - local).total_seconds()


async def run_daily(
    settings: CaseApiSettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    evaluation: DailyEvaluation,
) -> None:
    while True:
        await asyncio.sleep(seconds_until(settings, utc_now()))
        try:
            async with sessionmaker() as session:
                business_date = await BusinessDateService(session, settings.bank_timezone).today()
            result = await evaluation.run(business_date)
            logger.info(
                "daily evaluation finished",
                extra={
                    "business_date": business_date.isoformat(),
                    "cases": result.cases_evaluated,
                    "events": result.events_recorded,
                },
            )
        except Exception:
            # The run is idempotent: the next day's run (or a manual POST) catches up.
            logger.exception("daily evaluation failed")
