"""E-mail through SMTP (aiosmtplib): multipart plain text + HTML, with an opt-out in each.

The HTML part is the same text, escaped and wrapped in ``<pre>`` so the itemised table keeps
its columns; nothing of the message is interpreted as markup. Every message states how to
stop e-mail (12 CFR 1006.6(e)): the e-mail templates end with the opt-out line, which both
parts therefore carry, and the message has a ``List-Unsubscribe`` mailto header.

The ``Message-ID`` is derived from the notification id, so a retried send after a rolled-back
transaction is recognisable as the same message by the receiving side.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.providers.base import (
    Channel,
    Delivery,
    MessageRejectedError,
    OutgoingMessage,
    ProviderUnavailableError,
)
from doorstep_notifier.settings import NotifierSettings


def html_body(text: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        '<pre style="font-family: monospace; white-space: pre-wrap">'
        f"{html.escape(text)}</pre>\n</body></html>\n"
    )


class SmtpProvider:
    name = "smtp"

    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings

    def supports_language(self, channel: Channel, language: str) -> bool:
        return True  # UTF-8 mail

    def build(self, message: OutgoingMessage) -> EmailMessage:
        settings = self._settings
        mailto = settings.email_unsubscribe_mailto
        text = message.body
        email = EmailMessage()
        email["From"] = settings.email_from
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.notification_id}@doorstep.notifier>"
        email["List-Unsubscribe"] = f"<mailto:{mailto}?subject=unsubscribe>"
        email.set_content(text)
        email.add_alternative(html_body(text), subtype="html")
        # After the parts: making the message multipart moves Content-* headers into them.
        email["Content-Language"] = message.language
        return email

    async def send(self, session: AsyncSession, message: OutgoingMessage) -> Delivery:
        if message.channel != "email":
            raise MessageRejectedError(f"SMTP cannot send {message.channel}")
        settings = self._settings
        email = self.build(message)
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                use_tls=settings.smtp_tls,
                start_tls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=password,
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({error.code for error in exc.recipients})
            if all(500 <= code < 600 for code in codes):
                raise MessageRejectedError(f"SMTP server refused the recipient ({codes})") from exc
            raise ProviderUnavailableError(f"SMTP server deferred the recipient ({codes})") from exc
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as exc:
            # Our configuration, not this message: keep it pending until it is fixed.
            raise ProviderUnavailableError(f"SMTP server refused us ({exc.code})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            detail = f"SMTP server answered {exc.code}"
            if 500 <= exc.code < 600:
                raise MessageRejectedError(detail) from exc
            raise ProviderUnavailableError(detail) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise ProviderUnavailableError(
                f"SMTP server unavailable ({type(exc).__name__})"
            ) from exc
        return Delivery(provider=self.name, provider_message_id=str(email["Message-ID"]))
