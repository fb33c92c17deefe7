"""Queue and deliver e-mail."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from .. import jobs
from ..accounts.models import utcnow
from ..extensions import db
from .models import OutboxMessage

log = logging.getLogger(__name__)

MAIL_LANGUAGES = ("ko", "en")


def reading_language(user) -> str:
    """The language e-mail to `user` is written in: their preference, else Korean."""
    return user.preferred_language if user.preferred_language in MAIL_LANGUAGES else "ko"


def send_email(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Write the message to the outbox; it is delivered after the current transaction commits."""
    message = OutboxMessage(recipient=recipient, subject=str(subject), body=str(body))
    db.session.add(message)
    db.session.flush()
    jobs.enqueue(deliver, message.id)
    return message


@jobs.job(queue="mail", timeout=60, retries=3)
def deliver(message_id: int) -> str:
    """Idempotent: a message already sent or logged is left alone."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "queued":
        return "skipped"
    config = current_app.config
    if config.get("MAIL_SERVER"):
        email = EmailMessage()
        email["From"] = config["MAIL_SENDER"]
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
        message.status = "sent"
    else:
        log.info("e-mail to %s: %s\n%s", message.recipient, message.subject, message.body)
        message.status = "logged"
    message.sent_at = utcnow()
    return message.status
