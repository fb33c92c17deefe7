"""Creating and versioning listings, an organisation's listings, moderation e-mail and the
deadline job.

Every function takes plain data (a dict) so the pages and the JSON API share the rules; they
`flush()` and never commit — the caller commits once, at the edge.
"""

import sqlalchemy as sa
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from .. import audit, jobs
from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from ..mail.services import send_email
from .models import Listing, ListingVersion
from .search import index_listing
from .validation import clean_listing_data, current_values
from .vocabulary import ListingKind, ListingStatus, kind_for_organisation

# -- listings ---------------------------------------------------------------------------------


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
    listing.require_editable(user)
    values = clean_listing_data(listing.kind, data, current_values(listing))
    if not listing.apply_changes(values):
        return listing
    db.session.flush()
    _record_version(listing, user)
    index_listing(listing)
    return listing


def _record_version(listing: Listing, user: User | None) -> None:
    db.session.add(ListingVersion(listing_id=listing.id, version=listing.version,
                                  created_by_id=user.id if user else None,
                                  snapshot=listing.snapshot()))
    db.session.flush()


TRANSLATED_FIELDS = ("title", "summary", "description")


def add_translation(listing: Listing, staff: User, lang: str, data: dict) -> Listing:
    """City staff write the language a listing lacks (its title, summary and description in
    `lang`); they never change what the owner wrote. A new version, like any edit."""
    staff.require_staff()
    if lang in listing.languages:
        raise Conflict(_l("This listing is already written in that language."))
    names = [f"{field}_{lang}" for field in TRANSLATED_FIELDS]
    if not (data.get(names[0]) or "").strip():
        raise DomainError(_l("Write at least the title in the missing language."),
                          {names[0]: [_l("This field is required.")]})
    values = clean_listing_data(listing.kind, {n: data.get(n) for n in names},
                                current_values(listing))
    if listing.apply_changes({n: values[n] for n in names}):
        db.session.flush()
        _record_version(listing, staff)
        index_listing(listing)
    audit.record(staff, "listing_translated", listing)
    return listing


def status_counts(org: Organisation) -> dict[str, int]:
    """How many of the organisation's listings are in each status (every status present)."""
    rows = db.session.execute(
        sa.select(Listing.status, sa.func.count()).where(Listing.organisation_id == org.id)
        .group_by(Listing.status)).all()
    counts = {str(s): 0 for s in ListingStatus}
    counts.update({str(status): n for status, n in rows})
    return counts


def public_listings_of(org: Organisation, limit: int = 50) -> list[Listing]:
    """The organisation's published listings anyone may see, newest first."""
    return list(db.session.scalars(sa.select(Listing).where(
        Listing.organisation_id == org.id, Listing.status == ListingStatus.published,
        Listing.hidden_at.is_(None)).order_by(Listing.published_at.desc(), Listing.id.desc())
        .limit(limit)))


def organisation_listings(org: Organisation, status: str | None = None) -> list[Listing]:
    stmt = sa.select(Listing).where(Listing.organisation_id == org.id)
    if status in {str(s) for s in ListingStatus}:
        stmt = stmt.where(Listing.status == status)
    return list(db.session.scalars(stmt.order_by(Listing.updated_at.desc(), Listing.id.desc())))


def hide_listing(listing: Listing, actor: User, reason: str) -> None:
    """Staff hide a listing; every member of the owning organisation is told why by e-mail."""
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
