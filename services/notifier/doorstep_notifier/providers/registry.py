"""Picks the configured channel provider."""

from __future__ import annotations

from doorstep_notifier.providers.base import ChannelProvider
from doorstep_notifier.providers.channels import ChannelsProvider
from doorstep_notifier.providers.letter import LetterProvider
from doorstep_notifier.providers.local import LocalProvider
from doorstep_notifier.providers.sms_gateway import SmsGatewayProvider
from doorstep_notifier.providers.smtp import SmtpProvider
from doorstep_notifier.settings import NotifierSettings


def build_provider(settings: NotifierSettings) -> ChannelProvider:
    if settings.provider == "local":
        return LocalProvider()
    if settings.provider == "channels":
        return ChannelsProvider(
            {
                "sms": SmsGatewayProvider(settings),
                "email": SmtpProvider(settings),
                "letter": LetterProvider(settings),
            }
        )
    raise ValueError(f"unknown provider {settings.provider!r}")
