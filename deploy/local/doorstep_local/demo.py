"""``make demo``: post sample overdue accounts and print the case timelines."""

from __future__ import annotations

import contextlib
import time
from datetime import date, timedelta
from typing import Any

import httpx

from doorstep_local.stack import Stack
from doorstep_shared.clock import utc_now

SAMPLES: list[dict[str, Any]] = [
    {
        "account": "DEMO-LOAN-001",
        "dpd": 5,
        "name": "Wang Fang",
        "phone": "+8613800000001",
        "tz": "Asia/Shanghai",
        "lang": "zh-CN",
        "currency": "CNY",
        "principal": "820.00",
        "lat": 31.2304,
        "lon": 121.4737,
        "city": "Shanghai",
        "country": "CN",
    },
    {
        "account": "DEMO-LOAN-002",
        "dpd": 22,
        "name": "Priya Raman",
        "phone": "+919800000002",
        "tz": "Asia/Kolkata",
        "lang": "en",
        "currency": "INR",
        "principal": "15400.00",
        "lat": 12.9716,
        "lon": 77.5946,
        "city": "Bengaluru",
        "country": "IN",
    },
    {
        "account": "DEMO-LOAN-003",
        "dpd": 35,
        "name": "Li Wei",
        "phone": "+8613800000003",
        "tz": "Asia/Shanghai",
        "lang": "zh-CN",
        "currency": "CNY",
        "principal": "1200.00",
        "lat": 39.9042,
        "lon": 116.4074,
        "city": "Beijing",
        "country": "CN",
    },
    {
        "account": "DEMO-LOAN-004",
        "dpd": 47,
        "name": "Sam Carter",
        "phone": None,
        "email": "sam.carter@example.com",
        "tz": "America/New_York",
        "lang": "en",
        "currency": "USD",
        "principal": "640.00",
        "lat": 40.7128,
        "lon": -74.0060,
        "city": "New York",
        "country": "US",
    },
    {
        "account": "DEMO-LOAN-005",
        "dpd": 95,
        "name": "Olivia Brown",
        "phone": "+447700900005",
        "tz": "Europe/London",
        "lang": "en",
        "currency": "GBP",
        "principal": "2300.00",
        "lat": 51.5074,
        "lon": -0.1278,
        "city": "London",
        "country": "GB",
    },
]


def snapshot(sample: dict[str, Any], as_of: date, cured: bool = False) -> dict[str, Any]:
    zero = "0.00"
    return {
        "as_of_date": as_of.isoformat(),
        "customer": {
            "customer_id": f"CUST-{sample['account']}",
            "name": sample["name"],
            "phone": sample.get("phone"),
            "email": sample.get("email"),
            "address": {
                "line1": "1 Demo Street",
                "city": sample["city"],
                "country": sample["country"],
                "latitude": sample["lat"],
                "longitude": sample["lon"],
            },
            "timezone": sample["tz"],
            "preferred_language": sample["lang"],
        },
        "loan": {
            "product": "personal-loan",
            "currency": sample["currency"],
            "arrears": {
                "principal": zero if cured else sample["principal"],
                "interest": zero if cured else "12.50",
                "fees": zero if cured else "25.00",
                "penalties": zero if cured else "3.10",
            },
            "days_past_due": 0 if cured else sample["dpd"],
            "oldest_unpaid_due_date": None
            if cured
            else (as_of - timedelta(sample["dpd"])).isoformat(),
        },
    }


SENT = "doorstep.notification.sent.v1"
DEFERRED = "doorstep.notification.deferred.v1"


def timeline_types(client: httpx.Client, case_id: str) -> set[str]:
    return {e["event_type"] for e in client.get(f"/v1/cases/{case_id}").json()["timeline"]}


def wait_for_notice(client: httpx.Client, sample: dict[str, Any], case_id: str) -> bool:
    """True when the first notice went out; False when the contact rules deferred it (night
    where the customer lives): then the ladder waits for it too."""
    wait_for(client, case_id, {SENT}, any_of={SENT, DEFERRED})
    if SENT not in timeline_types(client, case_id):
        print(f"  {sample['account']}: notice deferred to the customer's lawful hours")
        return False
    if sample["dpd"] >= 16:
        wait_for(client, case_id, {"doorstep.case.stage_changed.v1"})  # on to "contact"
    return True


def print_timeline(client: httpx.Client, case_id: str, title: str) -> None:
    case = client.get(f"/v1/cases/{case_id}").json()
    arrears = case["arrears"]
    print(f"\n{title}  case {case_id}")
    print(
        f"  status {case['status']}, stage {case['stage']}, {case['days_past_due']} DPD, "
        f"total {arrears['total']} {arrears['currency']}"
    )
    for entry in case["timeline"]:
        print(f"  {entry['occurred_at'][:19]}  {entry['source']:<24} {entry['summary']}")


def wait_for(
    client: httpx.Client,
    case_id: str,
    types: set[str],
    timeout: float = 30,
    any_of: set[str] | None = None,
) -> None:
    """Until every one of ``types`` is on the timeline, or (with ``any_of``) one of those."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = timeline_types(client, case_id)
        if types <= seen or (any_of and any_of & seen):
            return
        time.sleep(0.3)
    print(f"  (still waiting for {sorted(types)} on {case_id}; see var/log/)")


def add_field_teams(stack: Stack, samples: list[dict[str, Any]]) -> None:
    """A two-collector team by each customer the demo takes to the field stage, working their
    zone's daytime every day and speaking their language (the scheduler's own demo teams are
    in London). Kept across runs: a second run finds them by name."""
    with httpx.Client(
        base_url=stack.url("scheduler"), timeout=10, headers=stack.operator_headers
    ) as scheduler:
        for sample in samples:
            if sample["dpd"] < 31:
                continue
            team = scheduler.post(
                "/v1/teams",
                json={
                    "name": f"Demo field team {sample['city']}",
                    "timezone": sample["tz"],
                    "base": {"latitude": sample["lat"], "longitude": sample["lon"]},
                    "max_visits_per_day": 8,
                },
            )
            if team.status_code == 409:
                continue  # made by an earlier run
            team.raise_for_status()
            for member in range(2):
                scheduler.post(
                    "/v1/collectors",
                    json={
                        "employee_ref": f"DEMO-{sample['city'].upper()}-{member + 1}",
                        "name": f"{sample['city']} collector {member + 1}",
                        "team_id": team.json()["id"],
                        "working_hours": {"start": "08:00", "end": "20:00"},
                        "working_weekdays": [0, 1, 2, 3, 4, 5, 6],
                        "languages": [sample["lang"]],
                        "skills": [],
                        "max_visits_per_day": 8,
                    },
                ).raise_for_status()


def run_demo(stack: Stack) -> None:
    started = False
    try:
        case_api = stack.url("case-api")
        if not _up(case_api):
            stack.start()
            started = True
        today = utc_now().date()
        # Fresh accounts each run, so the demo repeats on the same ./var databases.
        run = utc_now().strftime("%H%M%S")
        samples = [{**sample, "account": f"{sample['account']}-{run}"} for sample in SAMPLES]
        add_field_teams(stack, samples)
        with httpx.Client(base_url=case_api, timeout=10, headers=stack.operator_headers) as client:
            client.delete("/v1/business-date").raise_for_status()  # start from today
            case_ids: dict[str, str] = {}
            for sample in samples:
                response = client.put(
                    f"/v1/accounts/{sample['account']}/delinquency", json=snapshot(sample, today)
                )
                response.raise_for_status()
                case_ids[sample["account"]] = response.json()["case"]["id"]
                print(
                    f"posted {sample['account']}: {sample['dpd']} DPD -> "
                    f"{response.json()['outcome']}"
                )
            notified = {
                sample["account"]: wait_for_notice(client, sample, case_ids[sample["account"]])
                for sample in samples
            }
            week_later = today + timedelta(days=7)
            print(f"\nbusiness date -> {week_later}; running the daily evaluation")
            client.put("/v1/business-date", json={"business_date": week_later.isoformat()})
            client.post("/v1/evaluations", json={}).raise_for_status()
            for sample in samples:
                if sample["dpd"] >= 31 and notified[sample["account"]]:
                    wait_for(client, case_ids[sample["account"]], {"doorstep.visit.scheduled.v1"})
                print_timeline(client, case_ids[sample["account"]], sample["account"])
            cured = samples[2]
            client.put(
                f"/v1/accounts/{cured['account']}/delinquency",
                json=snapshot(cured, week_later, cured=True),
            ).raise_for_status()
            had_visit = "doorstep.visit.scheduled.v1" in timeline_types(
                client, case_ids[cured["account"]]
            )
            wait_for(
                client,
                case_ids[cured["account"]],
                {"doorstep.visit.cancelled.v1" if had_visit else "doorstep.case.resolved.v1"},
            )
            print_timeline(
                client,
                case_ids[cured["account"]],
                f"{cured['account']} after the customer paid in full",
            )
    finally:
        # Leave the platform on the bank's calendar again.
        with contextlib.suppress(httpx.HTTPError):
            httpx.delete(
                f"{stack.url('case-api')}/v1/business-date",
                headers=stack.operator_headers,
                timeout=5,
            )
        if started:
            stack.stop()


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
