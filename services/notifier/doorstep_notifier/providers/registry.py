"""Picks the configured channel provider."""

from __future__ import annotations

from collections.abc import Callable

from doorstep_notifier.providers.base import Channel, ChannelProvider
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


def language_support(settings: NotifierSettings) -> Callable[[Channel, str], bool]:
    """Which languages the configured provider can show per channel, without opening any
    connection (for previews). Only letters are limited: by the fonts configured."""
    if settings.provider == "channels":
        letters = LetterProvider(settings)
        return lambda channel, language: (
            channel != "letter" or letters.supports_language(channel, language)
        )
    return LocalProvider().supports_language
