"""The notice text per channel, stage and language: itemised amounts with currency, as-of
date, charges, consequences, choices, the bank's contact, opt-out, and a neutral outside."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.notifications.channels import choose_destination
from doorstep_notifier.notifications.masking import mask_recipient
from doorstep_notifier.notifications.rendering import (
    CHANNELS,
    SUPPORTED_LANGUAGES,
    BankDetails,
    NoticeFacts,
    RenderedNotice,
    format_money,
    notice_language,
    render_notice,
)
from doorstep_notifier.providers.base import Channel
from doorstep_notifier.settings import reveals_debt
from tests.notifier.contact_stub import contact_for

CASE_ID = uuid.UUID("3f1c2b7e-9d4a-4c8e-b1a2-5e6f7a8b9c0d")
BANK = BankDetails(
    name="Harbour Bank",
    contact="+86 400 820 8820, care@harbour.example",
    unsubscribe_mailto="no-email@harbour.example",
    sms_opt_out_keyword="TD",
)
STAGES = ("reminder", "contact", "field", "legal", "a_bank_own_stage")
EMAIL_OPT_OUT = {
    "en": "To stop receiving these e-mails, write to no-email@harbour.example",
    "zh-CN": "如不希望再收到此类电子邮件，请发送邮件至 no-email@harbour.example",
}
SMS_OPT_OUT = {"en": "Reply TD to opt out.", "zh-CN": "回复TD退订。"}


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


def render(
    channel: Channel = "email", language: str = "en", name: str = "Li Wei", **changes: object
) -> RenderedNotice:
    return render_notice(facts(**changes), channel=channel, name=name, language=language, bank=BANK)


ITEMISED = ["1,200.00 CNY", "35.50 CNY", "20.00 CNY", "4.25 CNY", "1,259.75 CNY"]
EVERY_NOTICE = [
    (channel, language, stage)
    for channel in CHANNELS
    for language in SUPPORTED_LANGUAGES
    for stage in STAGES
]


@pytest.mark.parametrize("channel", ["email", "letter"])
def test_english_notice_states_everything_the_customer_needs(channel: Channel) -> None:
    notice = render(channel)
    body = notice.body
    assert notice.language == "en"
    assert body.startswith("Dear Li Wei,")
    for amount in ITEMISED:
        assert amount in body
    assert "As of 28 November 2026" in body
    assert "35 days past due" in body
    assert "charged so far come to 24.25 CNY" in body
    assert "personal credit record" in body
    assert "in your bank's app, through online banking or at any branch" in body
    assert "repayment plan" in body
    assert "financial difficulty" in body
    assert "not your debt" in body
    assert "Contact us: +86 400 820 8820, care@harbour.example" in body
    assert body.rstrip().endswith("Harbour Bank") == (channel == "letter")
    assert str(CASE_ID) in body
    assert "{{" not in body
    assert "}}" not in body


@pytest.mark.parametrize("channel", ["email", "letter"])
def test_chinese_notice_states_everything_the_customer_needs(channel: Channel) -> None:
    notice = render(channel, "zh-CN", name="李伟")
    body = notice.body
    assert notice.language == "zh-CN"
    assert body.startswith("尊敬的李伟：")
    for amount in ITEMISED:
        assert amount in body
    assert "截至2026年11月28日" in body
    assert "已逾期35天" in body
    assert "逾期费用及罚息共计24.25 CNY" in body
    assert "个人信用记录" in body
    assert "手机银行、网上银行或任一营业网点" in body
    assert "分期还款或延期还款" in body
    assert "经济困难" in body
    assert "该笔欠款不属于您" in body
    assert "联系方式：+86 400 820 8820, care@harbour.example" in body
    assert str(CASE_ID) in body


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_sms_is_short_and_states_the_essentials(language: str) -> None:
    body = render("sms", language).body
    # At most three concatenated segments: 3 x 153 GSM-7 characters, or 5 x 67 UCS-2 ones
    # for Chinese (carriers there bill long messages by 67 characters).
    assert len(body) <= (459 if language == "en" else 335)
    for amount in ("1,259.75 CNY", "1,200.00", "35.50", "20.00", "4.25"):
        assert amount in body
    assert ("28 Nov 2026" if language == "en" else "2026年11月28日") in body
    assert ("credit record" if language == "en" else "个人信用记录") in body
    assert "+86 400 820 8820, care@harbour.example" in body
    assert str(CASE_ID) in body
    assert body.rstrip().endswith(SMS_OPT_OUT[language])
    assert "尊敬的" not in body
    assert "Dear" not in body


@pytest.mark.parametrize(("channel", "language", "stage"), EVERY_NOTICE)
def test_every_notice_renders_with_the_bank_contact(
    channel: Channel, language: str, stage: str
) -> None:
    notice = render(channel, language, stage=stage)
    assert "{{" not in notice.body
    assert "{%" not in notice.body
    assert "1,259.75 CNY" in notice.body
    assert BANK.contact in notice.body
    assert (notice.subject is None) == (channel == "sms")


@pytest.mark.parametrize(("channel", "language", "stage"), EVERY_NOTICE)
def test_every_electronic_message_says_how_to_opt_out(
    channel: Channel, language: str, stage: str
) -> None:
    body = render(channel, language, stage=stage).body
    if channel == "email":
        assert EMAIL_OPT_OUT[language] in body
    elif channel == "sms":
        assert SMS_OPT_OUT[language] in body
    else:  # a letter is not an electronic message: no opt-out line
        assert BANK.unsubscribe_mailto not in body
        assert "TD" not in body


AMOUNT = re.compile(r"\d[\d,]*\.\d\d|CNY")


@pytest.mark.parametrize(
    ("language", "stage"), [(lang, s) for lang in SUPPORTED_LANGUAGES for s in STAGES]
)
def test_what_others_may_see_does_not_reveal_a_debt(language: str, stage: str) -> None:
    # E-mail subjects show in inbox lists and on lock screens, the first line of an SMS in
    # its preview: neither may say "overdue", name a product or show an amount.
    subject = render("email", language, stage=stage).subject
    assert subject == {"en": "A message about your account", "zh-CN": "关于您账户的信息"}[language]
    first_line = render("sms", language, stage=stage).body.splitlines()[0]
    assert (
        first_line
        == {
            "en": "Harbour Bank: a message for Li Wei about your account.",
            "zh-CN": "【Harbour Bank】Li Wei您好，这是关于您账户的信息。",
        }[language]
    )
    for shown in (subject, first_line):
        assert not reveals_debt(shown)
        assert not AMOUNT.search(shown)
        assert "personal-loan" not in shown


@pytest.mark.parametrize(
    ("stage", "says"),
    [
        ("reminder", "friendly reminder"),
        ("contact", "we would like to hear from you"),
        ("field", "may visit you"),
        ("legal", "legal steps"),
        ("a_bank_own_stage", "has not been received"),
        ("../../etc/passwd", "has not been received"),
    ],
)
def test_each_stage_has_its_own_words(stage: str, says: str) -> None:
    assert says in render("letter", stage=stage).body


@pytest.mark.parametrize(
    ("stage", "says"),
    [
        ("reminder", "温馨提示"),
        ("contact", "希望能与您取得联系"),
        ("field", "上门"),
        ("legal", "法律"),
    ],
)
def test_each_stage_has_its_own_words_in_chinese(stage: str, says: str) -> None:
    assert says in render("email", "zh-CN", stage=stage).body


def test_field_stage_sms_announces_visits_with_notice() -> None:
    assert "We may visit; we will tell you beforehand." in render("sms", stage="field").body
    assert "visit" not in render("sms", stage="reminder").body


def test_doorstep_charges_are_itemised_and_added_when_known() -> None:
    charged: dict[str, Any] = {
        "late_fees": Decimal("25.0000"),
        "penalty_interest": Decimal("1.2"),
    }
    body = render("letter", **charged).body
    assert re.search(r"Late fees +25\.00 CNY", body)
    assert re.search(r"Penalty interest +1\.20 CNY", body)
    assert re.search(r"Total due +1,285\.95 CNY", body)
    assert "the amount due is 1,285.95 CNY" in body
    assert "charged so far come to 50.45 CNY" in body
    sms = render("sms", **charged).body
    assert "1,285.95 CNY" in sms
    assert "late fees 25.00, penalty interest 1.20" in sms
    chinese = render("email", "zh-CN", **charged).body
    assert re.search(r"滞纳金\s+25\.00 CNY", chinese)
    assert re.search(r"应还合计\s+1,285\.95 CNY", chinese)


def test_without_known_charges_the_notice_states_the_arrears() -> None:
    body = render("letter").body
    assert re.search(r"Total overdue +1,259\.75 CNY", body)
    assert "Late fees  " not in body


def test_amount_column_is_aligned() -> None:
    body = render("letter", late_fees=Decimal("25"), penalty_interest=Decimal("1.2")).body
    rows = [line for line in body.splitlines() if line.startswith("  ") and "CNY" in line]
    assert len(rows) == 7
    assert len({len(row) for row in rows}) == 1


def test_subject_does_not_reveal_a_debt() -> None:
    for language in SUPPORTED_LANGUAGES:
        subject = render("email", language).subject
        assert subject is not None
        assert "overdue" not in subject.lower()
        assert "逾期" not in subject
        assert "CNY" not in subject


def test_letter_heading_below_the_window_names_the_notice() -> None:
    assert render("letter").subject == "Overdue payment on your personal-loan account"
    assert render("letter", "zh-CN").subject == "关于您的personal-loan账户逾期还款的通知"


def test_one_day_past_due_is_singular() -> None:
    assert "1 day past due" in render("letter", name="A", days_past_due=1).body
    assert "1 day past due" in render("sms", name="A", days_past_due=1).body


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
        render("email", "fr")
    with pytest.raises(ValueError, match="no notice templates"):
        render("fax")  # type: ignore[arg-type]


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
