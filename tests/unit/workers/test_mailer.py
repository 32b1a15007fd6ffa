"""Email as sent: headers safe from line breaks, the notification's id as Message-ID, the
SMTP password never shown."""

from __future__ import annotations

from uuid import uuid4

from workers.mailer import Mail, SmtpConfig, message
from workers.settings import load_settings, safe_view

BODY = "\u0416\u0430\u0440\u0438\u044f\nline two"  # Cyrillic, as a Kazakh body is


def test_a_message_carries_the_notification_id_and_one_line_subject() -> None:
    mail = Mail("to@kazrockets.test", "Cup\r\nBcc: x@evil.test", BODY, uuid4())
    out = message(SmtpConfig(), mail)
    assert out["Subject"] == "Cup Bcc: x@evil.test"
    assert out["Bcc"] is None
    assert out["Message-ID"] == f"<{mail.notification_id}@kazrockets.local>"
    assert out["From"] == "KazRockets <noreply@kazrockets.local>"
    assert out.get_content() == BODY + "\n"


def test_smtp_settings_have_local_defaults_and_hide_the_password() -> None:
    settings = load_settings({"KAZROCKETS_SMTP_PASSWORD": "hunter2", "KAZROCKETS_SMTP_TLS": "1"})
    config = SmtpConfig.from_settings(settings)
    assert (config.host, config.port, config.tls) == ("127.0.0.1", 1025, True)
    assert config.password == "hunter2"
    assert "hunter2" not in repr(config) and "hunter2" not in repr(settings)
    assert "smtp_password" not in safe_view(settings)
