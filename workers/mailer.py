"""Email through SMTP (stdlib ``smtplib`` in a thread): the notifications worker's outbox.

Mail goes out only for notifications just recorded, so each is sent at most once; a failure
is logged (with the notification's id and the error's type: never an address or a body,
which an SMTP error may quote) and the notification stays in the recipient's in-app list.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from uuid import UUID

import msgspec

from workers.settings import Settings

log = logging.getLogger(__name__)


class Mail(msgspec.Struct, frozen=True):
    to: str
    subject: str
    body: str
    notification_id: UUID


class SmtpConfig(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 1025
    tls: bool = False  # STARTTLS before anything else is said
    sender: str = "KazRockets <noreply@kazrockets.local>"
    user: str = ""
    password: str = ""
    timeout_seconds: float = 10.0

    def __repr__(self) -> str:  # never print the password
        return f"SmtpConfig(host={self.host!r}, port={self.port}, tls={self.tls})"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            sender=settings.smtp_sender,
            user=settings.smtp_user,
            password=settings.smtp_password,
            timeout_seconds=settings.smtp_timeout_seconds,
        )


def one_line(text: str) -> str:
    """A header value: line breaks (from a title, say) would be refused or inject headers."""
    return " ".join(text.split())


def message(config: SmtpConfig, mail: Mail) -> EmailMessage:
    domain = parseaddr(config.sender)[1].rpartition("@")[2] or "kazrockets.local"
    out = EmailMessage()
    out["From"] = config.sender
    out["To"] = mail.to
    out["Subject"] = one_line(mail.subject)
    out["Date"] = formatdate(localtime=False, usegmt=True)
    # The notification's id: a receiving system can tell a copy from a new message.
    out["Message-ID"] = f"<{mail.notification_id}@{domain}>"
    out.set_content(mail.body)
    return out


class Mailer:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send_all(self, mails: Sequence[Mail]) -> int:
        """Send over one connection; how many the server accepted."""
        if not mails:
            return 0
        return await asyncio.to_thread(self._send_all, mails)

    def _connect(self) -> smtplib.SMTP:
        config = self._config
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        try:
            if config.tls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _send_all(self, mails: Sequence[Mail]) -> int:
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            log.warning(
                "email not sent: no SMTP session",
                extra={"error": type(error).__name__, "messages": len(mails)},
            )
            return 0
        sent = 0
        try:
            for index, mail in enumerate(mails):
                try:
                    smtp.send_message(message(self._config, mail))
                    sent += 1
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                    _not_sent(mail, error)  # this message only; the session goes on
                except (OSError, smtplib.SMTPException) as error:
                    _not_sent(mail, error)  # the session is gone: the rest are not sent
                    left = len(mails) - index - 1
                    log.warning("email not sent: SMTP session lost", extra={"messages": left})
                    break
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
        return sent


def _not_sent(mail: Mail, error: Exception) -> None:
    log.warning(
        "email not sent",
        extra={"notification_id": str(mail.notification_id), "error": type(error).__name__},
    )
