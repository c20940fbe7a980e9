"""Generated reference documents stay in step with the code."""

from __future__ import annotations

from doorstep_local.configref import SETTINGS, TARGET, render


def test_configuration_reference_is_current() -> None:
    assert TARGET.read_text() == render(), (
        "docs/configuration.md is stale: run `python -m doorstep_local.configref`"
    )


def test_every_setting_is_documented_with_a_meaning() -> None:
    for _service, settings_class in SETTINGS:
        for name, field in settings_class.model_fields.items():
            assert field.description, f"{settings_class.__name__}.{name} has no description"
