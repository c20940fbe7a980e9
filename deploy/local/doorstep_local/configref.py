"""Write docs/configuration.md from the three services' settings classes.

``python -m doorstep_local.configref`` regenerates; a test checks the file is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from doorstep_case_api.settings import CaseApiSettings
from doorstep_notifier.settings import NotifierSettings
from doorstep_scheduler.settings import SchedulerSettings

TARGET = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
SETTINGS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("case-api", CaseApiSettings),
    ("notifier", NotifierSettings),
    ("scheduler", SchedulerSettings),
)


def _default(value: object) -> str:
    if isinstance(value, SecretStr):
        return "(a local-only secret: set your own in production)"
    return "" if value in (None, "") else f"`{value}`"


def render() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from the settings classes by `python -m doorstep_local.configref`; do not",
        "edit by hand. Every service reads only variables with its own prefix.",
        "",
    ]
    for service, settings_class in SETTINGS:
        prefix = str(settings_class.model_config.get("env_prefix", ""))
        lines += [
            f"## {service} (`{prefix}*`)",
            "",
            "| variable | default | meaning |",
            "|---|---|---|",
        ]
        for name, field in settings_class.model_fields.items():
            default = _default(field.get_default(call_default_factory=True))
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{prefix}{name.upper()}` | {default} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    TARGET.write_text(render())
    print(TARGET)
    sys.exit(0)
