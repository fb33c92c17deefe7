"""Files on listings and on challenge proposals: PDF, PNG or JPEG, checked by their content and
kept in the listing attachment store, given only to those who may see them."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..errors import DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..filestore import FileStore
from .confidential import can_see_confidential
from .models import Attachment, AttachmentKind, Listing

MAX_ATTACHMENTS = 10
ATTACHMENTS = FileStore(
    dir_key="LISTING_ATTACHMENT_DIR", max_bytes_key="LISTING_ATTACHMENT_MAX_BYTES",
    allowed=("pdf", "png", "jpeg"), field="file",
    wrong_type=_l("Only PDF, PNG and JPEG files are accepted, and the file's content must "
                  "match its name."))


def attachment_path(attachment: Attachment) -> Path:
    return ATTACHMENTS.path(attachment.storage_key)


def new_attachment(user: User, filename: str, data: bytes, **owner) -> Attachment:
    checked = ATTACHMENTS.check(filename, data)
    attachment = Attachment(filename=checked.name, file_type=AttachmentKind(checked.kind),
                            size=checked.size, sha256=checked.sha256,
                            storage_key=ATTACHMENTS.save(data), uploaded_by_id=user.id, **owner)
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
