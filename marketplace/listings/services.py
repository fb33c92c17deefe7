"""Listing work that spans models: validation, creating and versioning listings, the search
index, attachments, challenges, moderation e-mail and the deadline job.

Every function takes plain data (a dict, bytes) so the pages and the JSON API share the rules;
they `flush()` and never commit — the caller commits once, at the edge.
"""

import hashlib
import re
import secrets
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..i18n.formatting import parse_integer
from . import text
from .models import (
    CURRENCIES,
    DEAL_TYPES,
    POSTER_KINDS,
    SECTORS,
    SNAPSHOT_FIELDS,
    Attachment,
    AttachmentKind,
    Challenge,
    IPStatus,
    Listing,
    ListingKind,
    ListingStatus,
    ListingTerm,
    ListingVersion,
    Submission,
)

LENGTHS = {"title": 200, "summary": 300, "description": 10_000}
MAX_TEXT = 5_000
MAX_CONFIDENTIAL = 10_000
MAX_KEYWORDS = 12
MAX_KEYWORD_LENGTH = 40
MAX_PATENTS = 20
MAX_PRICE = 10**15
MAX_ATTACHMENTS = 10
PATENT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-., ]{3,38}[A-Za-z0-9]$")
EDITABLE_STATUSES = (ListingStatus.draft, ListingStatus.published)

FIELD_REQUIRED = _l("This field is required.")
INVALID_CHOICE = _l("Not a valid choice.")


# -- validation -------------------------------------------------------------------------------


class _Errors(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise DomainError(_l("Please correct the marked fields."), dict(self))


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).replace("\r\n", "\n").strip()
    return value or None


def _int(value, field: str, errors: _Errors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.add(field, _l("Enter a whole number."))
        return None
    try:
        return parse_integer(value) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        errors.add(field, _l("Enter a whole number."))
        return None


def _string_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[,\n;]", value)
    return list(dict.fromkeys(s for s in (str(v).strip() for v in value) if s))


def local_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def end_of_day(day: date) -> datetime:
    """A deadline given as a day lasts until 23:59:59 of that day in the platform's timezone."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=local_timezone()).astimezone(UTC)


def parse_deadline(value, field: str, errors: _Errors) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=local_timezone())
    if isinstance(value, date):
        return end_of_day(value)
    try:
        if len(str(value)) == 10:
            return end_of_day(date.fromisoformat(str(value)))
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.add(field, _l("Enter a date as YYYY-MM-DD."))
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local_timezone())


def clean_listing_data(kind: ListingKind, data: dict, current: dict | None = None) -> dict:
    """Validated column values for a listing of `kind`, from `data` laid over `current` (the
    listing's present values when editing). Raises DomainError with per-field messages."""
    kind = ListingKind(kind)
    merged = dict(current or {})
    unknown = set(data) - set(SNAPSHOT_FIELDS)
    if unknown:
        raise DomainError(_l("Unknown fields: %(names)s", names=", ".join(sorted(unknown))),
                          {name: [_l("Unknown field.")] for name in sorted(unknown)})
    merged.update(data)
    errors = _Errors()
    out: dict = {}

    for lang in ("ko", "en"):
        for field, limit in LENGTHS.items():
            name = f"{field}_{lang}"
            value = _text(merged.get(name))
            if value and field != "description" and "\n" in value:
                errors.add(name, _l("Use a single line."))
            if value and len(value) > limit:
                errors.add(name, _l("Use at most %(n)d characters.", n=limit))
            out[name] = value
    complete = []
    for lang, label in (("ko", _l("Korean")), ("en", _l("English"))):
        filled = [f for f in LENGTHS if out[f"{f}_{lang}"]]
        if len(filled) == len(LENGTHS):
            complete.append(lang)
        elif filled:
            for f in LENGTHS:
                if not out[f"{f}_{lang}"]:
                    errors.add(f"{f}_{lang}", _l("Complete the %(language)s version or leave "
                                                 "it empty.", language=label))
    if not complete and not any(out[f"{f}_{lang}"] for f in LENGTHS for lang in ("ko", "en")):
        for name in ("title_ko", "summary_ko", "description_ko"):
            errors.add(name, _l("Write the title, summary and description in Korean or "
                                "English."))

    sector = _text(merged.get("sector"))
    if not sector:
        errors.add("sector", FIELD_REQUIRED)
    elif sector not in SECTORS:
        errors.add("sector", INVALID_CHOICE)
    out["sector"] = sector

    trl_field = "trl" if kind == ListingKind.offering else "min_trl"
    trl = _int(merged.get(trl_field), trl_field, errors)
    if trl is None and trl_field not in errors:
        errors.add(trl_field, FIELD_REQUIRED)
    elif trl is not None and not 1 <= trl <= 9:
        errors.add(trl_field, _l("The TRL is a number from 1 to 9."))
    out["trl"] = trl if kind == ListingKind.offering else None
    out["min_trl"] = trl if kind == ListingKind.need else None

    deal_types = _string_list(merged.get("deal_types"))
    if not deal_types:
        errors.add("deal_types", _l("Choose at least one deal type."))
    elif any(d not in DEAL_TYPES for d in deal_types):
        errors.add("deal_types", INVALID_CHOICE)
    out["deal_types"] = [d for d in DEAL_TYPES if d in deal_types]

    keywords = _string_list(merged.get("keywords"))
    if len(keywords) > MAX_KEYWORDS:
        errors.add("keywords", _l("Use at most %(n)d keywords.", n=MAX_KEYWORDS))
    if any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        errors.add("keywords", _l("A keyword has at most %(n)d characters.",
                                  n=MAX_KEYWORD_LENGTH))
    out["keywords"] = keywords

    price_min = _int(merged.get("price_min"), "price_min", errors)
    price_max = _int(merged.get("price_max"), "price_max", errors)
    currency = _text(merged.get("currency"))
    currency = currency.upper() if currency else None
    for name, value in (("price_min", price_min), ("price_max", price_max)):
        if value is not None and not 0 <= value < MAX_PRICE:
            errors.add(name, _l("Enter an amount between 0 and a sensible maximum."))
    if price_min is not None and price_max is not None and price_max < price_min:
        errors.add("price_max", _l("The maximum must not be below the minimum."))
    if price_min is None and price_max is None:
        currency = currency if currency in CURRENCIES else None
    elif not currency:
        errors.add("currency", _l("Choose the currency of the amounts."))
    elif currency not in CURRENCIES:
        errors.add("currency", INVALID_CHOICE)
    out.update(price_min=price_min, price_max=price_max, currency=currency)

    for name in ("evidence", "expected_benefit"):
        value = _text(merged.get(name))
        if value and len(value) > MAX_TEXT:
            errors.add(name, _l("Use at most %(n)d characters.", n=MAX_TEXT))
        out[name] = value
    confidential = _text(merged.get("confidential_text"))
    if confidential and len(confidential) > MAX_CONFIDENTIAL:
        errors.add("confidential_text", _l("Use at most %(n)d characters.", n=MAX_CONFIDENTIAL))
    out["confidential_text"] = confidential

    if kind == ListingKind.offering:
        _clean_ip(merged, out, errors)
        out["expected_benefit"] = None
        out["deadline"] = None
    else:
        out.update(ip_status=None, patent_applications=[], patent_registrations=[],
                   evidence=None)
        deadline = parse_deadline(merged.get("deadline"), "deadline", errors)
        previous = (current or {}).get("deadline")
        if deadline is not None and deadline <= utcnow() and deadline != previous:
            errors.add("deadline", _l("Choose a date in the future."))
        out["deadline"] = deadline
    errors.raise_if_any()
    return out


def _clean_ip(merged: dict, out: dict, errors: _Errors) -> None:
    raw = merged.get("ip_status") or IPStatus.none
    try:
        status = IPStatus(raw)
    except ValueError:
        errors.add("ip_status", INVALID_CHOICE)
        status = IPStatus.none
    out["ip_status"] = status
    for name in ("patent_applications", "patent_registrations"):
        numbers = _string_list(merged.get(name))
        if len(numbers) > MAX_PATENTS:
            errors.add(name, _l("Use at most %(n)d numbers.", n=MAX_PATENTS))
        bad = [n for n in numbers if not PATENT_NUMBER.match(n)
               or sum(c.isdigit() for c in n) < 5]
        if bad:
            errors.add(name, _l("Not a patent number: %(numbers)s (e.g. 10-2023-0123456).",
                                numbers=", ".join(bad[:3])))
        out[name] = numbers
    if status == IPStatus.applied and not out["patent_applications"]:
        errors.add("patent_applications", _l("Give the application number."))
    if status == IPStatus.registered and not out["patent_registrations"]:
        errors.add("patent_registrations", _l("Give the registration number."))


def check_complete(listing: Listing) -> None:
    """Re-validate a stored listing (before publishing)."""
    clean_listing_data(listing.kind, {}, _current(listing))


def _current(listing: Listing) -> dict:
    return {name: getattr(listing, name) for name in SNAPSHOT_FIELDS}


# -- listings ---------------------------------------------------------------------------------


def kind_for_organisation(org: Organisation) -> ListingKind | None:
    for kind, org_kinds in POSTER_KINDS.items():
        if org.kind in org_kinds:
            return kind
    return None


def create_listing(org: Organisation, user: User, data: dict,
                   kind: str | None = None) -> Listing:
    """A new draft: firms and agencies post needs, startups post offerings. Version 1."""
    if org is None or user is None or user.organisation_id != org.id:  # staff have no org
        raise PermissionDenied(_l("You can only post listings for your own organisation."))
    allowed = kind_for_organisation(org)
    kind = ListingKind(kind) if kind else allowed
    if kind is None or kind != allowed:
        raise PermissionDenied(
            _l("Firms and agencies post needs; startups post offerings."))
    values = clean_listing_data(kind, data)
    listing = Listing(kind=kind, status=ListingStatus.draft, organisation=org,
                      created_by_id=user.id, version=1, **values)
    db.session.add(listing)
    db.session.flush()
    _record_version(listing, user)
    index_listing(listing)
    return listing


def update_listing(listing: Listing, user: User, data: dict) -> Listing:
    """Apply changed fields; a real change bumps `version` and records a snapshot."""
    if not listing.can_edit(user):
        raise PermissionDenied(_l("Only the organisation that posted this listing can do "
                                  "this."))
    if listing.status not in EDITABLE_STATUSES:
        raise Conflict(_l("A closed or archived listing cannot be edited."))
    current = _current(listing)
    values = clean_listing_data(listing.kind, data, current)
    if all(values[name] == current[name] for name in values):
        return listing
    for name, value in values.items():
        setattr(listing, name, value)
    listing.version += 1
    listing.updated_at = utcnow()
    db.session.flush()
    _record_version(listing, user)
    index_listing(listing)
    return listing


def _record_version(listing: Listing, user: User | None) -> None:
    db.session.add(ListingVersion(listing_id=listing.id, version=listing.version,
                                  created_by_id=user.id if user else None,
                                  snapshot=listing.snapshot()))
    db.session.flush()


def listing_terms(listing) -> dict[str, int]:
    """Search terms of a listing with weights (title 4, summary and keywords 3, body 1).
    The confidential text is never indexed."""
    return text.weighted_terms([
        (listing.title_ko, 4), (listing.title_en, 4),
        (" ".join(listing.keywords or []), 3),
        (listing.summary_ko, 3), (listing.summary_en, 3),
        (listing.description_ko, 1), (listing.description_en, 1),
        (listing.evidence, 1), (listing.expected_benefit, 1),
    ])


def index_listing(listing: Listing) -> None:
    """Replace the listing's rows in `listing_terms`."""
    db.session.execute(sa.delete(ListingTerm).where(ListingTerm.listing_id == listing.id))
    common = {"listing_id": listing.id, "kind": listing.kind, "public": listing.is_public,
              "sector": listing.sector, "trl": listing.trl_value}
    rows = [{"term": term, "weight": weight, **common}
            for term, weight in listing_terms(listing).items()]
    if rows:
        db.session.execute(sa.insert(ListingTerm), rows)


def status_counts(org: Organisation) -> dict[str, int]:
    """How many of the organisation's listings are in each status (every status present)."""
    rows = db.session.execute(
        sa.select(Listing.status, sa.func.count()).where(Listing.organisation_id == org.id)
        .group_by(Listing.status)).all()
    counts = {str(s): 0 for s in ListingStatus}
    counts.update({str(status): n for status, n in rows})
    return counts


def organisation_listings(org: Organisation, status: str | None = None) -> list[Listing]:
    stmt = sa.select(Listing).where(Listing.organisation_id == org.id)
    if status in {str(s) for s in ListingStatus}:
        stmt = stmt.where(Listing.status == status)
    return list(db.session.scalars(stmt.order_by(Listing.updated_at.desc(), Listing.id.desc())))


def hide_listing(listing: Listing, actor: User, reason: str) -> None:
    """Staff hide a listing; every member of the owning organisation is told why by e-mail."""
    from ..mail.services import send_email

    listing.hide(actor, reason)
    db.session.flush()
    for member in listing.organisation.members:
        if not member.active:
            continue
        with force_locale(member.preferred_language):
            subject = gettext("Your listing was hidden by staff")
            body = gettext(
                "Hello %(name)s,\n\nStaff have hidden your listing “%(title)s” from public "
                "view.\n\nReason: %(reason)s\n\nEdit the listing or reply to this e-mail if "
                "you think this is a mistake.",
                name=member.display_name, title=listing.text("title", member.preferred_language),
                reason=listing.hidden_reason)
        send_email(member.email, subject, body)


@jobs.periodic(3600)
@jobs.job(queue="default", timeout=300, retries=1)
def close_expired_needs() -> int:
    """Close every published need whose response deadline has passed. Idempotent."""
    now = utcnow()
    listings = db.session.scalars(
        sa.select(Listing).where(Listing.kind == ListingKind.need,
                                 Listing.status == ListingStatus.published,
                                 Listing.deadline.is_not(None), Listing.deadline <= now)
        .options(sa.orm.lazyload(Listing.organisation))
        .with_for_update(skip_locked=True, of=Listing)).all()
    for listing in listings:
        listing.close(None, "expired")
    db.session.flush()
    return len(listings)


# -- attachments ------------------------------------------------------------------------------

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


def _new_attachment(user: User, filename: str, data: bytes, **owner) -> Attachment:
    name, kind = check_file(filename, data)
    attachment = Attachment(filename=name, file_type=kind, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), storage_key=_store(data),
                            uploaded_by_id=user.id, **owner)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def add_attachment(listing: Listing, user: User, filename: str, data: bytes,
                   confidential: bool = False) -> Attachment:
    if not listing.can_edit(user):
        raise PermissionDenied(_l("Only the organisation that posted this listing can do "
                                  "this."))
    if listing.status not in EDITABLE_STATUSES:
        raise Conflict(_l("A closed or archived listing cannot be edited."))
    if len(listing.attachments) >= MAX_ATTACHMENTS:
        message = _l("A listing has at most %(n)d attachments.", n=MAX_ATTACHMENTS)
        raise DomainError(message, {"file": [message]})
    attachment = _new_attachment(user, filename, data, listing_id=listing.id,
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
    from .models import can_see_confidential

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


# -- challenges -------------------------------------------------------------------------------

MAX_WINNERS = 20
MIN_PITCH = 20


def open_challenge(listing: Listing, user: User, data: dict) -> Challenge:
    """Run a need as an open-innovation challenge (deadline, criteria, number of winners)."""
    if listing.kind != ListingKind.need or not listing.can_edit(user):
        raise PermissionDenied(_l("Only the firm that posted this need can run it as a "
                                  "challenge."))
    if listing.challenge is not None:
        raise DomainError(_l("This need is already a challenge."))
    if listing.status not in EDITABLE_STATUSES:
        raise Conflict(_l("A closed or archived listing cannot be edited."))
    errors = _Errors()
    deadline = parse_deadline(data.get("deadline"), "deadline", errors)
    if deadline is None and "deadline" not in errors:
        errors.add("deadline", FIELD_REQUIRED)
    elif deadline is not None and deadline <= utcnow():
        errors.add("deadline", _l("Choose a date in the future."))
    elif deadline is not None and listing.deadline and deadline > listing.deadline:
        errors.add("deadline", _l("The challenge must end by the need's response deadline."))
    criteria = _text(data.get("criteria"))
    if not criteria:
        errors.add("criteria", FIELD_REQUIRED)
    elif len(criteria) > MAX_TEXT:
        errors.add("criteria", _l("Use at most %(n)d characters.", n=MAX_TEXT))
    winners = _int(data.get("winners", 1), "winners", errors)
    if winners is not None and not 1 <= winners <= MAX_WINNERS:
        errors.add("winners", _l("Choose between 1 and %(n)d winners.", n=MAX_WINNERS))
    errors.raise_if_any()
    challenge = Challenge(listing=listing, deadline=deadline, criteria=criteria, winners=winners)
    db.session.add(challenge)
    db.session.flush()
    return challenge


def get_challenge_or_404(challenge_id: int, user) -> Challenge:
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not challenge.listing.is_visible_to(user):
        raise NotFound(_l("This challenge does not exist or is not visible to you."))
    return challenge


def submit_proposal(challenge: Challenge, user: User, data: dict,
                    attachment: tuple[str, bytes] | None = None) -> Submission:
    """A startup proposes one of its published offerings, with a pitch and an optional file."""
    org = user.organisation if user is not None else None
    if org is None or kind_for_organisation(org) != ListingKind.offering:
        raise PermissionDenied(_l("Only startups can submit proposals."))
    if not challenge.is_open:
        raise DomainError(_l("This challenge no longer accepts proposals."))
    errors = _Errors()
    pitch = _text(data.get("pitch"))
    if not pitch:
        errors.add("pitch", FIELD_REQUIRED)
    elif len(pitch) < MIN_PITCH:
        errors.add("pitch", _l("Write at least %(n)d characters.", n=MIN_PITCH))
    elif len(pitch) > MAX_TEXT:
        errors.add("pitch", _l("Use at most %(n)d characters.", n=MAX_TEXT))
    offering_id = _int(data.get("offering_id"), "offering_id", errors)
    offering = db.session.get(Listing, offering_id) if offering_id else None
    if offering_id is not None and "offering_id" not in errors and (
            offering is None or offering.organisation_id != org.id
            or offering.kind != ListingKind.offering or not offering.is_public):
        errors.add("offering_id", _l("Choose one of your published offerings."))
    elif offering_id is None and "offering_id" not in errors:
        errors.add("offering_id", FIELD_REQUIRED)
    if offering is not None and "offering_id" not in errors and db.session.scalar(
            sa.select(Submission.id).where(Submission.challenge_id == challenge.id,
                                           Submission.offering_id == offering.id)):
        errors.add("offering_id", _l("You have already proposed this offering."))
    if attachment is not None:
        try:
            check_file(*attachment)
        except DomainError as exc:
            errors.update({"file": exc.fields["file"]})
    errors.raise_if_any()
    submission = Submission(challenge=challenge, organisation_id=org.id,
                            submitted_by_id=user.id, offering=offering, pitch=pitch)
    db.session.add(submission)
    db.session.flush()
    if attachment is not None:
        _new_attachment(user, *attachment, submission_id=submission.id)
        db.session.refresh(submission, ["attachment"])
    return submission


def get_submission_or_404(submission_id: int, user) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or not submission.is_visible_to(user):
        raise NotFound(_l("This proposal does not exist or is not visible to you."))
    return submission


def challenge_submissions(challenge: Challenge, user: User) -> list[Submission]:
    """All proposals, for the organisation running the challenge (and staff)."""
    if not (challenge.is_owner(user) or getattr(user, "is_staff", False)):
        raise NotFound(_l("This challenge does not exist or is not visible to you."))
    return list(challenge.submissions)


def organisation_submissions(org: Organisation) -> list[Submission]:
    return list(db.session.scalars(sa.select(Submission).where(
        Submission.organisation_id == org.id).order_by(Submission.id.desc())))
