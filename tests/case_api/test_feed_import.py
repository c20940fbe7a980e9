"""``doorstep-case-api import``: a CSV or NDJSON file through the batch API of a real server."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from doorstep_case_api.cases.models import Case
from doorstep_case_api.cli import MIGRATIONS, main
from doorstep_case_api.db import outbox_table
from doorstep_case_api.feed_import.records import CSV_COLUMNS
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_local.broker import free_port
from tests.case_api.test_batch_intake import record
from tests.notifier.servers import serving
from tests.support.apps import app_client, migrate


def csv_row(account: str, **cells: str) -> dict[str, str]:
    row = {
        "account_id": account,
        "as_of_date": "2026-11-28",
        "customer_id": f"CUST-{account}",
        "name": "Li Wei",
        "phone": "+8613800138000",
        "address_line1": "88 Century Avenue",
        "city": "Shanghai",
        "country": "CN",
        "latitude": "31.2304",
        "longitude": "121.4737",
        "timezone": "Asia/Shanghai",
        "product": "personal-loan",
        "currency": "CNY",
        "days_past_due": "35",
        "principal": "1200.00",
        "interest": "35.50",
        "fees": "20",
        "penalties": "0",
    }
    return {**row, **cells}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


class Server:
    def __init__(self, client: httpx.AsyncClient, url: str, token_file: Path) -> None:
        self.client = client
        self.url = url
        self.token_file = token_file

    async def run(self, *args: str) -> int:
        argv = ["import", *args, "--url", self.url, "--token-file", str(self.token_file)]
        return await asyncio.to_thread(main, [*argv, "--quiet"])

    async def count(self, what: Any) -> int:
        async with self.client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
            return int(await conn.scalar(select(func.count()).select_from(what)) or 0)


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    await migrate(MIGRATIONS, database_url)
    app = create_app(CaseApiSettings(database_url=database_url, background_workers_enabled=False))
    async with app_client(app) as client, serving(app) as url:
        client.app = app  # type: ignore[attr-defined]
        token_file = tmp_path / "token"
        token_file.write_text(client.headers["Authorization"].removeprefix("Bearer "))
        yield Server(client, url, token_file)


async def test_a_csv_file_is_applied_and_its_rejects_written_with_reasons(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        csv_row("ACC-1"),
        csv_row("ACC-2", phone="ring me"),
        csv_row("ACC-3", principal="0", interest="0", fees="0"),
        csv_row("ACC-4", currency="XYZ"),
        csv_row("ACC-5", days_past_due="95"),
    ]
    feed = write_csv(tmp_path / "feed.csv", rows)

    code = await server.run(str(feed), "--batch-size", "2")

    assert code == 1
    out = capsys.readouterr().out
    assert "applied 2, unchanged 1, rejected 2 of 5 rows" in out
    assert await server.count(Case) == 2
    with (tmp_path / "feed.csv.rejected.csv").open(newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert [row["account_id"] for row in rejects] == ["ACC-2", "ACC-4"]
    assert "customer.phone" in rejects[0]["rejected_reason"]
    assert rejects[0]["phone"] == "ring me"  # the operator's own row, to fix and resend
    assert "loan" in rejects[1]["rejected_reason"]


async def test_the_same_file_imported_twice_is_applied_once(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = write_csv(tmp_path / "feed.csv", [csv_row(f"ACC-{n}") for n in range(5)])
    assert await server.run(str(feed), "--batch-size", "2") == 0
    events = await server.count(outbox_table)
    capsys.readouterr()

    assert await server.run(str(feed), "--batch-size", "2") == 0

    assert "5 replayed from an earlier import" in capsys.readouterr().out
    assert await server.count(outbox_table) == events


async def test_an_ndjson_file_goes_as_it_is(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "nightly.ndjson"
    feed.write_text("\n".join(json.dumps(record(f"ACC-{n}")) for n in range(3)) + "\n{oops\n")

    assert await server.run(str(feed)) == 1

    assert "applied 3, unchanged 0, rejected 1 of 4 rows" in capsys.readouterr().out
    rejected = [json.loads(line) for line in (tmp_path / "nightly.ndjson.rejected.ndjson").open()]
    assert rejected == [
        {"line": "{oops", "reason": rejected[0]["reason"]},
    ]
    assert rejected[0]["reason"]["title"] == "Record is not JSON"


async def test_a_file_or_server_that_cannot_be_used_exits_2(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_columns = tmp_path / "bad.csv"
    bad_columns.write_text("account_id,balance\nACC-1,100\n")
    assert await server.run(str(bad_columns)) == 2
    assert "unknown CSV columns: balance" in capsys.readouterr().err

    feed = write_csv(tmp_path / "feed.csv", [csv_row("ACC-1")])
    nobody = f"http://127.0.0.1:{free_port()}"
    code = await asyncio.to_thread(
        main, ["import", str(feed), "--url", nobody, "--token-file", str(server.token_file)]
    )
    assert code == 2
    assert "could not be reached" in capsys.readouterr().err

    wrong_token = tmp_path / "wrong"
    wrong_token.write_text("not-a-token")
    code = await asyncio.to_thread(
        main, ["import", str(feed), "--url", server.url, "--token-file", str(wrong_token)]
    )
    assert code == 2
    assert "401" in capsys.readouterr().err
    assert await server.count(Case) == 0
