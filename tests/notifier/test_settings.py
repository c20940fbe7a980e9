"""Configuration: NOTIFIER_ environment variables, documented fields, sane combinations."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from doorstep_notifier.settings import NotifierSettings


def test_environment_variables_use_the_notifier_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIER_CASE_API_URL", "http://case-api:8000")
    monkeypatch.setenv("NOTIFIER_DISPATCH_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("CASE_API_DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    settings = NotifierSettings()
    assert settings.case_api_url == "http://case-api:8000"
    assert settings.dispatch_max_attempts == 3
    assert settings.database_url == "sqlite+aiosqlite:///var/notifier.db"
    assert settings.provider == "local"


def test_every_setting_is_described() -> None:
    undocumented = [
        name for name, field in NotifierSettings.model_fields.items() if not field.description
    ]
    assert undocumented == []


def test_a_lease_shorter_than_an_attempt_is_refused() -> None:
    with pytest.raises(ValidationError, match="dispatch_lease_seconds"):
        NotifierSettings(contact_timeout_seconds=30, dispatch_lease_seconds=40)


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ValidationError):
        NotifierSettings(provider="carrier-pigeon")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("letter_sender", "Collections Department, PO Box 9"),
        ("email_from", "Debt Recovery <recovery@bank.example>"),
        ("sms_sender_id", "Overdue"),
        ("bank_name", "某银行催收中心"),
    ],
)
def test_what_others_may_see_must_not_reveal_a_debt(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=f"{name} must not mention debt or collection"):
        NotifierSettings.model_validate({name: value})


def test_neutral_names_are_accepted() -> None:
    settings = NotifierSettings(
        letter_sender="Harbour Bank, PO Box 8", bank_name="海港银行", sms_sender_id="HarbourBk"
    )
    assert settings.letter_sender == "Harbour Bank, PO Box 8"


def test_production_needs_the_bank_own_name_and_contact() -> None:
    example = NotifierSettings(case_api_token="dsk_x_y")
    assert example.production_problems() == [
        "bank_name still has its example value",
        "bank_contact still has its example value",
    ]
    ready = NotifierSettings(
        case_api_token="dsk_x_y", bank_name="Harbour Bank", bank_contact="+86 400 820 8820"
    )
    assert ready.production_problems() == []
