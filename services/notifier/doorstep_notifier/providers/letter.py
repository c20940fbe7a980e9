"""Letters: a printable PDF per notice, written to the print-queue folder.

Privacy by layout (12 CFR 1006.22(f); never disclose the debt to others): the top of the first
page — what an envelope window shows — holds only the neutral sender line and the recipient's
address. The notice, with its amounts, starts below the fold line.

The file is named by the notification id and written atomically (temporary file, then rename),
so a retried send replaces the same file instead of printing a second letter.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_notifier.providers.base import (
    Channel,
    Delivery,
    MessageRejectedError,
    OutgoingMessage,
    ProviderUnavailableError,
)
from doorstep_notifier.settings import NotifierSettings

# A4, DIN 5008 form B window envelope (C5/6, DL): window 20 mm from the left, 45-90 mm down.
LEFT_MM = 20.0
WINDOW_TOP_MM = 45.0
WINDOW_WIDTH_MM = 85.0
ADDRESS_TOP_MM = 51.0
BODY_TOP_MM = 105.0  # below the window and the first fold
LATIN_1_LANGUAGES = frozenset({"en"})
_CORE_FONT = "Courier"


class LetterProvider:
    name = "letter"

    def __init__(self, settings: NotifierSettings, *, compress: bool = True) -> None:
        self._queue = settings.letter_queue_dir
        self._sender = settings.letter_sender
        self._font = _existing(settings.letter_font_path)
        self._cjk_font = _existing(settings.letter_cjk_font_path)
        # Tests switch compression off to read the page's text without a PDF parser.
        self._compress = compress

    def supports_language(self, channel: Channel, language: str) -> bool:
        if language == "zh-CN":
            return self._cjk_font is not None
        return language in LATIN_1_LANGUAGES or self._font is not None

    def path_for(self, message: OutgoingMessage) -> Path:
        return self._queue / f"{message.notification_id}.pdf"

    async def send(self, session: AsyncSession, message: OutgoingMessage) -> Delivery:
        if message.channel != "letter":
            raise MessageRejectedError(f"the letter printer cannot send {message.channel}")
        try:
            path = await asyncio.to_thread(self._write, message)
        except OSError as exc:
            raise ProviderUnavailableError(
                f"print queue not writable ({type(exc).__name__})"
            ) from exc
        return Delivery(provider=self.name, provider_message_id=path.name)

    def render(self, message: OutgoingMessage) -> bytes:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_compression(self._compress)
        pdf.set_creator("Doorstep")  # no title or subject: metadata stays neutral too
        pdf.set_margins(LEFT_MM, 20.0, 20.0)
        pdf.set_auto_page_break(auto=True, margin=20.0)
        font_path = self._cjk_font if message.language == "zh-CN" else self._font
        if font_path is not None:
            pdf.add_font("letter", fname=str(font_path))
            family = "letter"
        else:
            family = _CORE_FONT
        pdf.add_page()

        def printable(text: str) -> str:
            return _printable(pdf, text, core=font_path is None)

        # Window: neutral sender line, then the address. Nothing else above BODY_TOP_MM.
        pdf.set_font(family, size=7)
        pdf.set_xy(LEFT_MM, WINDOW_TOP_MM)
        pdf.cell(WINDOW_WIDTH_MM, 4, printable(self._sender))
        pdf.set_font(family, size=10)
        pdf.set_xy(LEFT_MM, ADDRESS_TOP_MM)
        pdf.multi_cell(WINDOW_WIDTH_MM, 5, printable(message.recipient))

        pdf.set_xy(LEFT_MM, BODY_TOP_MM)
        if message.subject:
            pdf.set_font(family, size=11)
            pdf.multi_cell(0, 6, printable(message.subject))
            pdf.ln(4)
        pdf.set_font(family, size=9.5)
        pdf.multi_cell(0, 4.6, printable(message.body))
        return bytes(pdf.output())

    def _write(self, message: OutgoingMessage) -> Path:
        content = self.render(message)
        self._queue.mkdir(parents=True, exist_ok=True)
        target = self.path_for(message)
        descriptor, temporary = tempfile.mkstemp(dir=self._queue, suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target


def _existing(path: Path | None) -> Path | None:
    return path if path is not None and path.is_file() else None


def _printable(pdf: FPDF, text: str, *, core: bool) -> str:
    """``text`` with characters the font lacks shown as '?'.

    fpdf2 would otherwise log the missing glyphs — characters of a name or address.
    """
    font = pdf.current_font
    if core or not isinstance(font, TTFFont):
        return text.encode("latin-1", "replace").decode("latin-1")
    cmap = font.cmap
    return "".join(ch if ch in "\n\r" or ord(ch) in cmap else "?" for ch in text)
