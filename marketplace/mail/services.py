"""Queue and deliver e-mail."""

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale

from .. import jobs
from ..clock import utcnow
from ..extensions import db
from .models import OutboxMessage

log = logging.getLogger(__name__)

MAIL_LANGUAGES = ("ko", "en")

# What a stored body shows where its secret goes; delivery writes the secret in.
MASK = "********"

# secret kind -> function(message) answering the body to send, or None when the secret may no
# longer be issued (the addressee was deactivated, say).
_secret_fillers: dict[str, Callable[[OutboxMessage], str | None]] = {}


def reading_language(user) -> str:
    """The language e-mail to `user` is written in: their preference, else Korean."""
    return user.preferred_language if user.preferred_language in MAIL_LANGUAGES else "ko"


def email_in_language(user, write: Callable[[Any, str], tuple[str, str]], *,
                      deal_id: int | None = None) -> None:
    """E-mail `user` the (subject, body) that `write(user, lang)` gives, written in the user's
    reading language `lang`."""
    lang = reading_language(user)
    with force_locale(lang):
        subject, body = write(user, lang)
    send_email(user.email, subject, body, deal_id=deal_id)


def secret_filler(kind: str):
    """Register how delivery writes the secret of messages of `kind` into their body."""

    def register(fn: Callable[[OutboxMessage], str | None]):
        _secret_fillers[kind] = fn
        return fn

    return register


def send_email(recipient: str, subject: str, body: str, *, deal_id: int | None = None,
               secret: str | None = None) -> OutboxMessage:
    """Write the message to the outbox; it is delivered after the current transaction commits.

    A message about a deal names it (`deal_id`). A message carrying a secret has `MASK` in its
    body where the secret goes and names the registered `secret_filler` that writes it in at
    delivery, so that the secret is never stored, shown to staff or logged."""
    if secret is not None and secret not in _secret_fillers:
        raise ValueError(f"no secret filler registered for {secret!r}")
    message = OutboxMessage(recipient=recipient, subject=str(subject), body=str(body),
                            deal_id=deal_id, secret=secret)
    db.session.add(message)
    db.session.flush()
    jobs.enqueue(deliver, message.id)
    return message


def body_to_send(message: OutboxMessage) -> str | None:
    """The body with its secret written in (None: the secret may no longer be issued)."""
    if message.secret is None:
        return message.body
    return _secret_fillers[message.secret](message)


@jobs.job(queue="mail", timeout=60, retries=3)
def deliver(message_id: int) -> str:
    """Idempotent: a message already sent, logged or dropped is left alone. Without a mail
    server the message is only logged, as stored: its secret stays masked."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "queued":
        return "skipped"
    if not current_app.config["MAIL_SERVER"]:
        log.info("e-mail to %s: %s\n%s", message.recipient, message.subject, message.body)
        message.status = "logged"
    else:
        body = body_to_send(message)
        if body is None:
            message.status = "dropped"
            return message.status
        _send_smtp(message.recipient, message.subject, body)
        message.status = "sent"
    message.sent_at = utcnow()
    return message.status


def _send_smtp(recipient: str, subject: str, body: str) -> None:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = recipient
    email["Subject"] = subject
    email.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
