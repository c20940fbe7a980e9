"""Which visits go first when the teams cannot make them all."""

from __future__ import annotations

from decimal import Decimal

from doorstep_scheduler.plans.priority import visit_priority


def score(**changes: object) -> int:
    values: dict[str, object] = {
        "days_past_due": 40,
        "total_due": Decimal("1200.00"),
        "broken_promises": 0,
        "capacity": "unknown",
        "attempt": 1,
    }
    values.update(changes)
    return visit_priority(**values)  # type: ignore[arg-type]


def test_later_larger_and_broken_promises_come_first() -> None:
    assert score(days_past_due=80) > score(days_past_due=40)
    assert score(total_due=Decimal("50000")) > score(total_due=Decimal("500"))
    assert score(broken_promises=2) > score(broken_promises=1) > score()


def test_a_customer_with_money_to_spare_comes_before_one_without() -> None:
    assert score(capacity="some") > score(capacity="unknown") > score(capacity="none")


def test_a_customer_who_waited_through_a_visit_comes_slightly_ahead() -> None:
    assert score(attempt=2) > score(attempt=1)
    # ...but lateness still counts for more than one attempt.
    assert score(days_past_due=70) > score(attempt=2)


def test_lateness_is_capped_and_nothing_owed_adds_nothing() -> None:
    assert score(days_past_due=400) == score(days_past_due=180)
    assert score(total_due=None) == score(total_due=Decimal(0))
