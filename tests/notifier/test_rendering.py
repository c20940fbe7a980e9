"""The notice text: itemised amounts with currency, as-of date, consequences, choices."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.notifications.channels import choose_destination
from doorstep_notifier.notifications.masking import mask_recipient
from doorstep_notifier.notifications.rendering import (
    NoticeFacts,
    format_money,
    notice_language,
    render_notice,
)
from tests.notifier.contact_stub import contact_for

CASE_ID = uuid.UUID("3f1c2b7e-9d4a-4c8e-b1a2-5e6f7a8b9c0d")


def facts(**changes: object) -> NoticeFacts:
    values: dict[str, object] = {
        "case_id": CASE_ID,
        "product": "personal-loan",
        "stage": "field",
        "days_past_due": 35,
        "currency": "CNY",
        # As PostgreSQL's NUMERIC(20, 4) returns them.
        "principal": Decimal("1200.0000"),
        "interest": Decimal("35.5000"),
        "fees": Decimal("20.0000"),
        "penalties": Decimal("4.2500"),
        "total": Decimal("1259.7500"),
        "as_of_date": date(2026, 11, 28),
    }
    values.update(changes)
    return NoticeFacts(**values)  # type: ignore[arg-type]


ITEMISED = ["1,200.00 CNY", "35.50 CNY", "20.00 CNY", "4.25 CNY", "1,259.75 CNY"]


def test_english_notice_states_everything_the_customer_needs() -> None:
    notice = render_notice(facts(), name="Li Wei", language="en")
    body = notice.body
    assert notice.language == "en"
    assert body.startswith("Dear Li Wei,")
    for amount in ITEMISED:
        assert amount in body
    assert "As of 28 November 2026" in body
    assert "35 days past due" in body
    assert "charged so far come to 24.25 CNY" in body
    assert "personal credit record" in body
    assert "repayment plan" in body
    assert "not your debt" in body
    assert str(CASE_ID) in body
    assert "{{" not in body
    assert "}}" not in body
    assert notice.subject == "Important information about your personal-loan account"


def test_chinese_notice_states_everything_the_customer_needs() -> None:
    notice = render_notice(facts(), name="李伟", language="zh-CN")
    body = notice.body
    assert notice.language == "zh-CN"
    assert body.startswith("尊敬的李伟：")
    for amount in ITEMISED:
        assert amount in body
    assert "截至2026年11月28日" in body
    assert "已逾期35天" in body
    assert "逾期费用及罚息共计24.25 CNY" in body
    assert "个人信用记录" in body
    assert "分期还款或延期还款" in body
    assert "该笔欠款不属于您" in body
    assert str(CASE_ID) in body


def test_subject_does_not_reveal_a_debt() -> None:
    # Subjects show on lock screens and envelopes: nothing there may say "overdue".
    for language in ("en", "zh-CN"):
        subject = render_notice(facts(), name="Li Wei", language=language).subject
        assert "overdue" not in subject.lower()
        assert "逾期" not in subject
        assert "CNY" not in subject


def test_one_day_past_due_is_singular() -> None:
    assert "1 day past due" in render_notice(facts(days_past_due=1), name="A", language="en").body


def test_amounts_use_the_currency_minor_digits() -> None:
    assert format_money(Decimal("5000.0000"), "JPY") == "5,000 JPY"
    assert format_money(Decimal("12.5"), "KWD") == "12.500 KWD"
    assert format_money(Decimal("1234567.8"), "USD") == "1,234,567.80 USD"


@pytest.mark.parametrize(
    ("preferred", "language"),
    [
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", "en"),
    ],
)
def test_language_follows_the_customer_preference(preferred: str, language: str) -> None:
    assert notice_language(preferred) == language


def test_unknown_template_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no notice templates"):
        render_notice(facts(), name="A", language="fr")


@pytest.mark.parametrize(
    ("channel", "recipient", "masked"),
    [
        ("sms", "+8613800138000", "+86*******8000"),
        ("sms", "+14155550123", "+14*****0123"),
        ("email", "li.wei@example.com", "l***@example.com"),
        ("email", "not-an-address", "***"),
        ("letter", "Li Wei\n88 Century Avenue\n200120 Shanghai\nCN", "***, CN"),
        ("fax", "anything", "***"),
    ],
)
def test_recipients_are_masked(channel: str, recipient: str, masked: str) -> None:
    assert mask_recipient(channel, recipient) == masked


def contact(**overrides: object) -> Contact:
    return Contact.model_validate(contact_for(str(CASE_ID), **overrides))


def test_channel_is_sms_then_email_then_letter() -> None:
    assert choose_destination(contact()) is not None
    assert choose_destination(contact()).channel == "sms"  # type: ignore[union-attr]
    email = choose_destination(contact(phone=None))
    assert email is not None
    assert (email.channel, email.recipient) == ("email", "li.wei@example.com")
    letter = choose_destination(contact(phone=None, email=None))
    assert letter is not None
    assert letter.channel == "letter"
    assert letter.recipient == "Li Wei\n88 Century Avenue\n200120 Shanghai\nCN"
    assert choose_destination(contact(phone=None, email=None, address=None)) is None


def test_contact_repr_shows_no_personal_data() -> None:
    shown = repr(contact())
    for personal in ("Li Wei", "+8613800138000", "li.wei@example.com", "Century"):
        assert personal not in shown
