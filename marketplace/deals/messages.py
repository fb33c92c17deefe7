"""A deal's conversation: messages between the parties (and the deal's staff), and the files
attached to them, stored outside `static/` under a random name. Services flush; callers commit.
"""

import hashlib
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clock import utcnow
from ..db_types import AwareDateTime, DealRecord, enum_column
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..filestore import FileStore
from .states import Side

MAX_MESSAGE = 10_000


class DealMessage(DealRecord, db.Model):
    __tablename__ = "deal_messages"

    author_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    author_side: Mapped[Side | None] = mapped_column(enum_column(Side, 10))  # None: staff
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    deal = relationship("Deal", back_populates="messages")
    author: Mapped[User] = relationship()
    attachments: Mapped[list["DealAttachment"]] = relationship(
        back_populates="message", order_by="DealAttachment.id")

    @property
    def is_staff(self) -> bool:
        return self.author_side is None


class DealAttachment(DealRecord, db.Model):
    """A file sent in a deal's conversation, stored outside `static/` under a random name."""

    __tablename__ = "deal_attachments"

    message_id: Mapped[int] = mapped_column(sa.ForeignKey("deal_messages.id",
                                                          ondelete="RESTRICT"), index=True)
    uploader_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id",
                                                                ondelete="RESTRICT"))
    uploader_side: Mapped[Side | None] = mapped_column(enum_column(Side, 10))  # None: staff
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    confidential: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    message: Mapped[DealMessage] = relationship(back_populates="attachments")

    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    def visible_to(self, deal, user) -> bool:
        if not self.confidential:
            return deal.can_view(user)
        if self.uploader_side is None:  # staff uploads: both parties once the NDA passed
            return deal.is_deal_staff(user) or (deal.side_of(user) is not None
                                                and deal.nda_passed)
        return deal.sees_confidential_of(user, self.uploader_side)


#: Where a deal's attachments are kept and what they may be.
ATTACHMENTS = FileStore(
    dir_key="DEAL_ATTACHMENT_DIR", max_bytes_key="DEAL_ATTACHMENT_MAX_BYTES",
    allowed=("pdf", "png", "jpeg", "docx", "xlsx", "pptx", "hwpx"), field="attachment",
    wrong_type=_l("Only PDF, PNG, JPEG, Word, Excel, PowerPoint and HWPX files are accepted, "
                  "and the file's content must match its name."))


def attachment_path(attachment: DealAttachment) -> Path:
    return ATTACHMENTS.path(attachment.storage_name)


def post_message(deal, actor: User, body: str,
                 files: list[tuple[str, bytes]] = (), confidential: bool = False
                 ) -> DealMessage:
    """A message (with optional attachments) from a party, or a comment from the deal's staff."""
    deal._lock()
    if "post_message" not in deal.allowed_actions(actor):
        if deal.is_terminal:
            raise Conflict(_l("This deal has ended; no more messages can be sent."))
        raise PermissionDenied(_l("You cannot write in this deal."))
    text = (body or "").strip()
    if not text and not files:
        raise DomainError(_l("Write a message or attach a file."),
                          {"body": [_l("This field is required.")]})
    if len(text) > MAX_MESSAGE:
        raise DomainError(_l("The message is too long."),
                          {"body": [_l("Use at most %(n)d characters.", n=MAX_MESSAGE)]})
    checked = [(ATTACHMENTS.check(name, data), data) for name, data in files]
    side = deal.side_of(actor)
    message = DealMessage(deal_id=deal.id, author_user_id=actor.id, author_side=side, body=text)
    db.session.add(message)
    db.session.flush()
    stored = []
    for file, data in checked:
        attachment = DealAttachment(
            deal_id=deal.id, message_id=message.id, uploader_user_id=actor.id,
            uploader_side=side, filename=file.name, content_type=file.content_type,
            size=file.size, sha256=file.sha256, storage_name=ATTACHMENTS.save(data),
            confidential=bool(confidential))
        db.session.add(attachment)
        stored.append(attachment)
    db.session.flush()
    deal.record_event("post_message" if side is not None else "staff_comment", actor, {
        "message_id": message.id, "body_digest": hashlib.sha256(text.encode()).hexdigest(),
        "attachments": [{"id": a.id, "sha256": a.sha256, "size": a.size,
                         "confidential": a.confidential} for a in stored]})
    return message


def attachment_for_download(deal, attachment_id: int, user) -> DealAttachment:
    attachment = db.session.scalar(sa.select(DealAttachment).where(
        DealAttachment.id == attachment_id, DealAttachment.deal_id == deal.id))
    if attachment is None or not attachment.visible_to(deal, user):
        raise NotFound(_l("This file does not exist or is not yours to see."))
    return attachment
