"""case-api's audit trail: decisions land in the hash chain in their own transaction, and the
``audit verify|purge`` commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from doorstep_case_api.audit_trail import record_personal_data_read
from doorstep_case_api.cli import main
from doorstep_case_api.db import audit_table
from doorstep_case_api.legal.service import confirm_referral, return_referral
from doorstep_shared.audit import append
from doorstep_shared.clock import utc_now
from tests.case_api.test_arrangements import open_case_over_http, plan_body
from tests.case_api.test_holds import api, day, pin
from tests.case_api.test_legal import drive_into_legal
from tests.case_api.test_promises import DAY, etag
from tests.shared.test_audit_chain import as_dba


async def entries(engine: AsyncEngine) -> list[Any]:
    """Every decision entry in chain order (personal-data reads left out)."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(audit_table)
                .where(audit_table.c.action != "pii.read")
                .order_by(audit_table.c.id)
            )
        ).all()
    return list(rows)


async def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *argv: str) -> int:
    monkeypatch.setenv("CASE_API_DATABASE_URL", database_url)
    # The command runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(main, list(argv))


async def test_decisions_over_http_are_audited_with_actor_and_action(
    database_url: str,
) -> None:
    async with api(database_url) as (client, db):
        pinned = await client.put("/v1/business-date", json={"business_date": DAY.isoformat()})
        assert pinned.status_code == 200, pinned.text
        case_id = await open_case_over_http(client)
        proposed = await client.post(
            f"/v1/cases/{case_id}/arrangements",
            json=plan_body(),
            headers={"If-Match": await etag(client, case_id)},
        )
        assert proposed.status_code == 201, proposed.text
        arrangement_id = proposed.json()["id"]
        approved = await client.post(
            f"/v1/arrangements/{arrangement_id}/approve",
            json={"approver": "sup-003", "approver_role": "agent"},
        )
        assert approved.status_code == 200, approved.text
        placed = await client.post(
            f"/v1/cases/{case_id}/holds",
            json={"hold_type": "dispute", "reason": "says the loan is not his", "placed_by": "a-7"},
        )
        assert placed.status_code == 201, placed.text
        hold_id = placed.json()["id"]
        lifted = await client.post(
            f"/v1/cases/{case_id}/holds/{hold_id}/lift",
            json={"reason": "debt verified", "lifted_by": "a-8"},
        )
        assert lifted.status_code == 200, lifted.text
        flagged = await client.put(
            f"/v1/cases/{case_id}/vulnerability",
            json={"category": "health", "note": "in hospital until March"},
        )
        assert flagged.status_code == 200, flagged.text
        assert (await client.delete(f"/v1/cases/{case_id}/vulnerability")).status_code == 200
        assert (await client.delete("/v1/business-date")).status_code == 200

        rows = await entries(db.engine)
        # The actor is the authenticated credential, whatever names the request body gives.
        me = "key:" + client.headers["Authorization"].split()[1][4:12]

    case = uuid.UUID(case_id)
    assert [(row.action, row.actor, row.case_id) for row in rows] == [
        ("business_date.set", me, None),
        ("arrangement.approved", me, case),
        ("hold.placed", me, case),
        ("hold.lifted", me, case),
        ("vulnerability.set", me, case),
        ("vulnerability.cleared", me, case),
        ("business_date.cleared", me, None),
    ]
    by_action = {row.action: row.details for row in rows}
    assert by_action["business_date.set"] == {"business_date": "2026-11-30"}
    assert by_action["arrangement.approved"] == {
        "arrangement_id": arrangement_id,
        "kind": "instalment_plan",
        "amount": "1000.00",
        "currency": "CNY",
        "decided_by": "sup-003",
        "approver_role": "agent",
    }
    assert by_action["hold.placed"] == {
        "hold_id": hold_id,
        "hold_type": "dispute",
        "freezes_fees": False,
        "ends_on": None,
        "placed_by": "a-7",
    }
    assert by_action["hold.lifted"] == {
        "hold_id": hold_id,
        "hold_type": "dispute",
        "lifted_by": "a-8",
        "because": "operations",
    }
    # Reasons, notes and the vulnerability category stay out of the log.
    assert by_action["vulnerability.set"] == {}
    text = repr([row.details for row in rows])
    for private in ("not his", "verified", "hospital", "health"):
        assert private not in text


async def test_a_refused_decision_leaves_no_audit_entry(database_url: str) -> None:
    async with api(database_url) as (client, db):
        await pin(db, DAY)
        case_id = await open_case_over_http(client)
        before = len(await entries(db.engine))
        body = {"hold_type": "moratorium", "reason": "x", "placed_by": "a-7"}  # needs ends_on
        refused = await client.post(f"/v1/cases/{case_id}/holds", json=body)
        assert refused.status_code == 422
        assert len(await entries(db.engine)) == before


async def test_legal_decisions_name_the_actor_passed_down(database_url: str) -> None:
    async with api(database_url) as (_client, db):
        confirmed_case = await drive_into_legal(db, "ACC-L1")
        returned_case = await drive_into_legal(db, "ACC-L2")
        async with db.change(confirmed_case, day(9)) as ctx:
            await confirm_referral(ctx, decided_by="legal-1", reason="complete", actor="jwt:lee")
        async with db.change(returned_case, day(9)) as ctx:
            await return_referral(ctx, decided_by="legal-2", reason="reachable")
        rows = [row for row in await entries(db.engine) if row.action.startswith("legal")]
    assert [(row.action, row.actor, row.case_id) for row in rows] == [
        ("legal_referral.confirmed", "jwt:lee", confirmed_case),
        ("legal_referral.returned", "legal-2", returned_case),  # no actor: the decider
    ]
    assert rows[0].details["decided_by"] == "legal-1"
    assert rows[1].details["stage"] == "field"


async def test_audit_verify_passes_then_names_the_tampered_entry(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with api(database_url) as (client, db):
        await pin(db, DAY)
        case_id = await open_case_over_http(client)
        placed = await client.post(
            f"/v1/cases/{case_id}/holds",
            json={"hold_type": "hardship", "reason": "lost job", "placed_by": "a-7"},
        )
        assert placed.status_code == 201, placed.text
        await pin(db, DAY + timedelta(days=1))
        [hold_entry] = [row for row in await entries(db.engine) if row.action == "hold.placed"]

        # The migration installed the guard: the application cannot rewrite an entry.
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.engine.begin() as conn:
                await conn.execute(
                    audit_table.update()
                    .where(audit_table.c.id == hold_entry.id)
                    .values(actor="someone-else")
                )

        assert await cli(monkeypatch, database_url, "audit", "verify") == 0
        out = capsys.readouterr().out
        assert "intact" in out
        assert "entries checked" in out

        await as_dba(
            db.engine,
            'UPDATE audit_entry SET details = \'{"hold_type": "dispute"}\' '
            f"WHERE id = {hold_entry.id}",
        )
        assert await cli(monkeypatch, database_url, "audit", "verify") == 1
        err = capsys.readouterr().err
        assert f"BROKEN at entry {hold_entry.id}: hash mismatch" in err


async def test_audit_purge_applies_the_retention_setting(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with api(database_url) as (_client, db):
        long_ago = utc_now() - timedelta(days=3 * 366)
        async with db.engine.begin() as conn:
            for number in range(3):
                await append(
                    conn,
                    audit_table,
                    actor="key:0ld0ld00",
                    action="hold.placed",
                    now=long_ago + timedelta(minutes=number),
                )
        await pin(db, DAY)  # a recent entry, kept
        monkeypatch.setenv("CASE_API_AUDIT_RETENTION_YEARS", "3")
        assert await cli(monkeypatch, database_url, "audit", "purge") == 0
        assert "deleted 3 entries" in capsys.readouterr().out
        rows = await entries(db.engine)
    assert [row.action for row in rows] == ["business_date.set", "audit.purged"]
    assert rows[1].actor.startswith("cli")
    assert rows[1].details["deleted"] == 3
    assert await cli(monkeypatch, database_url, "audit", "verify") == 0
    # Nothing more is old enough: a second purge deletes and records nothing.
    assert await cli(monkeypatch, database_url, "audit", "purge") == 0
    assert "deleted 0 entries" in capsys.readouterr().out


async def test_a_personal_data_read_is_recorded_ready_for_the_contact_endpoint(
    database_url: str,
) -> None:
    async with api(database_url) as (client, db):
        case_id = uuid.UUID(await open_case_over_http(client))
        async with db.sessionmaker() as session:
            await record_personal_data_read(
                session,
                actor="key:ab12cd34",
                case_id=case_id,
                fields=["phone", "name"],
                purpose="notice-delivery",
            )
            await session.commit()
        async with db.engine.connect() as conn:
            row = (
                await conn.execute(select(audit_table).where(audit_table.c.action == "pii.read"))
            ).one()
    assert (row.actor, row.case_id) == ("key:ab12cd34", case_id)
    assert row.details == {"fields": ["name", "phone"], "purpose": "notice-delivery"}
