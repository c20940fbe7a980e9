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
