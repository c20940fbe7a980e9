"""SMS through a generic HTTP gateway: one JSON POST per message.

The request is ``{"to", "from", "text", "reference"}`` with ``Idempotency-Key`` set to the
notification id (also the ``reference``), so a retried send — after a timeout, or after our
transaction rolled back once the gateway had accepted — is not sent twice by the gateway.
The gateway answers 2xx with its message id (``message_id`` or ``id``), which its delivery
receipts name later.

Outcomes: 2xx accepted; 4xx other than 401/403/408/429 rejected for good; 5xx, 408, 429,
timeouts and connection errors are an outage, retried by the dispatcher's backoff. 401 and 403
refuse our credential, not the message: the notice waits until an operator fixes it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.providers.base import (
    Channel,
    Delivery,
    MessageRejectedError,
    OutgoingMessage,
    ProviderUnavailableError,
)
from doorstep_notifier.settings import NotifierSettings

_RETRYABLE_CLIENT_ERRORS = {401, 403, 408, 429}
_REASON_LIMIT = 200
# Gateways like to quote the number they refused; reasons are stored and logged, so no digits
# runs that could be one.
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{4,}\d")


def _gateway_reason(response: httpx.Response) -> str:
    """The gateway's own short reason, if its JSON body has one; never our message content."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    for key in ("reason", "error", "message", "detail", "title"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return _PHONE_LIKE.sub("***", value)[:_REASON_LIMIT]
    return ""


class SmsGatewayProvider:
    name = "sms-gateway"

    def __init__(self, settings: NotifierSettings, client: httpx.AsyncClient | None = None) -> None:
        self._url = settings.sms_gateway_url
        self._sender = settings.sms_sender_id
        headers = {"Accept": "application/json"}
        credential = settings.sms_gateway_auth_value.get_secret_value()
        if credential:
            headers[settings.sms_gateway_auth_header] = credential
        self._client = client or httpx.AsyncClient(
            timeout=settings.sms_gateway_timeout_seconds, headers=headers
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def supports_language(self, channel: Channel, language: str) -> bool:
        return True  # the gateway takes Unicode text

    async def send(self, session: AsyncSession, message: OutgoingMessage) -> Delivery:
        if message.channel != "sms":
            raise MessageRejectedError(f"the SMS gateway cannot send {message.channel}")
        reference = str(message.notification_id)
        try:
            response = await self._client.post(
                self._url,
                json={
                    "to": message.recipient,
                    "from": self._sender,
                    "text": message.body,
                    "reference": reference,
                },
                headers={"Idempotency-Key": reference},
            )
        except httpx.TimeoutException as exc:
            raise ProviderUnavailableError("SMS gateway did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError(
                f"SMS gateway unreachable ({type(exc).__name__})"
            ) from exc
        status = response.status_code
        if 200 <= status < 300:
            return Delivery(provider=self.name, provider_message_id=self._message_id(response))
        reason = _gateway_reason(response)
        detail = f"SMS gateway answered HTTP {status}" + (f": {reason}" if reason else "")
        if 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS:
            raise MessageRejectedError(detail)
        raise ProviderUnavailableError(detail)

    @staticmethod
    def _message_id(response: httpx.Response) -> str:
        try:
            body: Any = response.json()
        except ValueError as exc:
            # Accepted, but we cannot match its receipts: still sent (the idempotency key
            # keeps a retry from sending twice), so fail loudly rather than silently resend.
            raise ProviderUnavailableError("SMS gateway accepted without a JSON body") from exc
        if isinstance(body, dict):
            for key in ("message_id", "id"):
                value = body.get(key)
                if isinstance(value, str | int) and str(value):
                    return str(value)[:128]
        raise ProviderUnavailableError("SMS gateway accepted without a message id")
