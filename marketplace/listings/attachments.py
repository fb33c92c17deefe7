"""Files on listings and on challenge proposals: checked by their content (PDF, PNG, JPEG),
stored outside any static path under a random key, and given only to those who may see them."""

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..errors import DomainError, NotFound, PermissionDenied
from ..extensions import db
from .confidential import can_see_confidential
from .models import Attachment, AttachmentKind, Listing

MAX_ATTACHMENTS = 10
MAGIC = (
    (b"%PDF-", AttachmentKind.pdf),
    (b"\x89PNG\r\n\x1a\n", AttachmentKind.png),
    (b"\xff\xd8\xff", AttachmentKind.jpeg),
)
EXTENSIONS = {".pdf": AttachmentKind.pdf, ".png": AttachmentKind.png,
              ".jpg": AttachmentKind.jpeg, ".jpeg": AttachmentKind.jpeg}


def sniff(data: bytes) -> AttachmentKind | None:
    """The file's type from its first bytes (its content), whatever its name says."""
    for signature, kind in MAGIC:
        if data.startswith(signature):
            return kind
    return None


def max_attachment_bytes() -> int:
    return int(current_app.config["LISTING_ATTACHMENT_MAX_BYTES"])


def attachment_dir() -> Path:
    return Path(current_app.config["LISTING_ATTACHMENT_DIR"])


def check_file(filename: str, data: bytes) -> tuple[str, AttachmentKind]:
    """A safe display name and the checked type, or DomainError (field `file`)."""
    name = Path((filename or "").replace("\\", "/")).name.strip()[:200]
    limit = max_attachment_bytes()
    if not data:
        raise DomainError(_l("The file is empty."), {"file": [_l("The file is empty.")]})
    if len(data) > limit:
        message = _l("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1))
        raise DomainError(message, {"file": [message]})
    declared = EXTENSIONS.get(Path(name).suffix.lower())
    actual = sniff(data)
    if declared is None or actual is None or declared != actual:
        message = _l("Only PDF, PNG and JPEG files are accepted, and the file's content must "
                     "match its name.")
        raise DomainError(message, {"file": [message]})
    return name, actual


def _store(data: bytes) -> str:
    key = secrets.token_hex(20)
    path = attachment_dir() / key[:2] / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return key


def attachment_path(attachment: Attachment) -> Path:
    return attachment_dir() / attachment.storage_key[:2] / attachment.storage_key


def new_attachment(user: User, filename: str, data: bytes, **owner) -> Attachment:
    name, kind = check_file(filename, data)
    attachment = Attachment(filename=name, file_type=kind, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), storage_key=_store(data),
                            uploaded_by_id=user.id, **owner)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def add_attachment(listing: Listing, user: User, filename: str, data: bytes,
                   confidential: bool = False) -> Attachment:
    listing.require_editable(user)
    if len(listing.attachments) >= MAX_ATTACHMENTS:
        message = _l("A listing has at most %(n)d attachments.", n=MAX_ATTACHMENTS)
        raise DomainError(message, {"file": [message]})
    attachment = new_attachment(user, filename, data, listing_id=listing.id,
                                 confidential=bool(confidential))
    db.session.refresh(listing, ["attachments"])
    return attachment


def remove_attachment(attachment: Attachment, user: User) -> None:
    listing = attachment.listing
    if listing is None or not listing.can_edit(user):
        raise PermissionDenied(_l("Only the organisation that posted this listing can do "
                                  "this."))
    path = attachment_path(attachment)
    db.session.delete(attachment)
    db.session.flush()
    path.unlink(missing_ok=True)


def attachment_for_download(attachment_id: int, user) -> Attachment:
    """The attachment if `user` may download it, else NotFound (never a hint that it exists)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(_l("This file does not exist or is not visible to you."))
    if attachment.listing is not None:
        listing = attachment.listing
        allowed = listing.is_visible_to(user) and (
            not attachment.confidential or can_see_confidential(listing, user))
    else:
        allowed = attachment.submission.is_visible_to(user)
    if not allowed:
        raise NotFound(_l("This file does not exist or is not visible to you."))
    return attachment
