"""Picks the configured channel provider."""

from __future__ import annotations

from doorstep_notifier.providers.base import ChannelProvider
from doorstep_notifier.providers.local import LocalProvider
from doorstep_notifier.settings import NotifierSettings


def build_provider(settings: NotifierSettings) -> ChannelProvider:
    if settings.provider == "local":
        return LocalProvider()
    raise ValueError(f"unknown provider {settings.provider!r}")
