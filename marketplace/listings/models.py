"""Needs and offerings (one `listings` table with a `kind`), their versions, attachments,
search terms, and open-innovation challenges with their submissions.

Status changes are methods that check the actor and raise a domain error; views never set
`status` directly. Field validation lives in `services.py` so the pages and the JSON API share it.
"""

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..accounts.models import Organisation, OrgKind, User
from ..clock import utcnow
from ..db_types import AwareDateTime, enum_column
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db


class ListingKind(enum.StrEnum):
    need = "need"
    offering = "offering"


KIND_LABELS = {ListingKind.need: _l("Need"), ListingKind.offering: _l("Offering")}


class ListingStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    closed = "closed"
    archived = "archived"


STATUS_LABELS = {
    ListingStatus.draft: _l("Draft"),
    ListingStatus.published: _l("Published"),
    ListingStatus.closed: _l("Closed"),
    ListingStatus.archived: _l("Archived"),
}


class CloseReason(enum.StrEnum):
    deal_done = "deal_done"
    withdrawn = "withdrawn"
    expired = "expired"


CLOSE_REASON_LABELS = {
    CloseReason.deal_done: _l("A deal was made"),
    CloseReason.withdrawn: _l("Withdrawn by the poster"),
    CloseReason.expired: _l("The deadline passed"),
}

SECTOR_LABELS = {
    "ai": _l("Artificial intelligence"),
    "bio_health": _l("Bio and health"),
    "medical_device": _l("Medical devices"),
    "fintech": _l("Fintech"),
    "blockchain": _l("Blockchain"),
    "mobility": _l("Mobility"),
    "drone": _l("Drones"),
    "robotics": _l("Robotics"),
    "iot": _l("Internet of things"),
    "data": _l("Data and cloud"),
    "content_xr": _l("Content and XR"),
    "media": _l("Media"),
    "manufacturing": _l("Smart manufacturing"),
    "fashion": _l("Fashion and textiles"),
    "environment": _l("Environment"),
    "energy": _l("Energy"),
    "security": _l("Security"),
    "ecommerce": _l("E-commerce and retail"),
    "edutech": _l("Education technology"),
    "proptech": _l("Proptech and construction"),
}
SECTORS = tuple(SECTOR_LABELS)

DEAL_TYPE_LABELS = {
    "license": _l("Licence"),
    "transfer": _l("Technology transfer"),
    "joint_development": _l("Joint development"),
    "poc": _l("Proof of concept (PoC)"),
    "supply": _l("Supply"),
    "investment": _l("Investment"),
}
DEAL_TYPES = tuple(DEAL_TYPE_LABELS)

TRL_LABELS = {
    1: _l("Basic principles observed"),
    2: _l("Technology concept formulated"),
    3: _l("Experimental proof of concept"),
    4: _l("Technology validated in the lab"),
    5: _l("Technology validated in a relevant environment"),
    6: _l("Technology demonstrated in a relevant environment"),
    7: _l("Prototype demonstrated in an operational environment"),
    8: _l("System complete and qualified"),
    9: _l("System proven in operational use"),
}

CURRENCIES = ("KRW", "USD")


class IPStatus(enum.StrEnum):
    none = "none"
    applied = "applied"
    registered = "registered"
    licensed = "licensed"


IP_STATUS_LABELS = {
    IPStatus.none: _l("No patent"),
    IPStatus.applied: _l("Patent applied for"),
    IPStatus.registered: _l("Patent registered"),
    IPStatus.licensed: _l("Used under licence"),
}

# Organisation kinds that may post each kind of listing.
POSTER_KINDS = {
    ListingKind.need: (OrgKind.firm, OrgKind.agency),
    ListingKind.offering: (OrgKind.startup,),
}


PUBLIC_CONDITION = "status = 'published' AND hidden_at IS NULL"


class Listing(db.Model):
    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ListingKind] = mapped_column(enum_column(ListingKind))
    status: Mapped[ListingStatus] = mapped_column(enum_column(ListingStatus),
                                                  default=ListingStatus.draft)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    title_ko: Mapped[str | None] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    summary_ko: Mapped[str | None] = mapped_column(sa.String(300))
    summary_en: Mapped[str | None] = mapped_column(sa.String(300))
    description_ko: Mapped[str | None] = mapped_column(sa.Text)
    description_en: Mapped[str | None] = mapped_column(sa.Text)

    sector: Mapped[str] = mapped_column(sa.String(30))
    trl: Mapped[int | None] = mapped_column(sa.SmallInteger)  # offerings
    min_trl: Mapped[int | None] = mapped_column(sa.SmallInteger)  # needs
    deal_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    keywords: Mapped[list] = mapped_column(sa.JSON, default=list)
    price_min: Mapped[int | None] = mapped_column(sa.BigInteger)  # minor units
    price_max: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.String(3))

    # Offerings: intellectual property and evidence (pilots, customers, figures).
    ip_status: Mapped[IPStatus | None] = mapped_column(enum_column(IPStatus))
    patent_applications: Mapped[list] = mapped_column(sa.JSON, default=list)
    patent_registrations: Mapped[list] = mapped_column(sa.JSON, default=list)
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    # Needs: what solving it is worth, and until when answers are welcome.
    expected_benefit: Mapped[str | None] = mapped_column(sa.Text)
    deadline: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)

    # Shown only to those `can_see_confidential` lets in (parties past an NDA).
    confidential_text: Mapped[str | None] = mapped_column(sa.Text)

    closed_reason: Mapped[CloseReason | None] = mapped_column(enum_column(CloseReason))
    hidden_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                   ondelete="SET NULL"))

    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="listing", order_by="Attachment.id", cascade="all, delete-orphan",
        foreign_keys="Attachment.listing_id")
    versions: Mapped[list["ListingVersion"]] = relationship(
        back_populates="listing", order_by="ListingVersion.version",
        cascade="all, delete-orphan")
    challenge: Mapped["Challenge | None"] = relationship(back_populates="listing",
                                                         cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("title_ko IS NOT NULL OR title_en IS NOT NULL", name="has_title"),
        sa.CheckConstraint("trl IS NULL OR (trl BETWEEN 1 AND 9)", name="trl_range"),
        sa.CheckConstraint("min_trl IS NULL OR (min_trl BETWEEN 1 AND 9)", name="min_trl_range"),
        sa.CheckConstraint("price_min IS NULL OR price_min >= 0", name="price_min_positive"),
        sa.CheckConstraint("price_max IS NULL OR price_min IS NULL OR price_max >= price_min",
                           name="price_order"),
        sa.CheckConstraint("(price_min IS NULL AND price_max IS NULL) OR currency IN "
                           "('KRW', 'USD')", name="price_currency"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("sector IN ({})".format(", ".join(f"'{s}'" for s in SECTORS)),
                           name="sector_known"),
        # Browse and count without touching the wide rows: public listings only, covering the
        # usual filters.
        sa.Index("ix_listings_public", "kind", "published_at", "sector", "trl", "min_trl",
                 "organisation_id", postgresql_where=sa.text(PUBLIC_CONDITION),
                 sqlite_where=sa.text(PUBLIC_CONDITION)),
    )

    # -- reading ------------------------------------------------------------------------------

    @property
    def languages(self) -> list[str]:
        return [lang for lang in ("ko", "en") if getattr(self, f"title_{lang}")]

    def display_lang(self, lang: str | None = None) -> str:
        """The language to show: the viewer's when the listing has it, else the other."""
        lang = lang or str(get_locale() or "ko")
        return lang if lang in self.languages else (self.languages or ["ko"])[0]

    def text(self, field: str, lang: str | None = None) -> str:
        return getattr(self, f"{field}_{self.display_lang(lang)}") or ""

    @property
    def title(self) -> str:
        return self.text("title")

    @property
    def summary(self) -> str:
        return self.text("summary")

    @property
    def description(self) -> str:
        return self.text("description")

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def sector_label(self):
        return SECTOR_LABELS.get(self.sector, self.sector)

    @property
    def trl_value(self) -> int | None:
        return self.trl if self.kind == ListingKind.offering else self.min_trl

    @property
    def deal_type_labels(self) -> list:
        return [DEAL_TYPE_LABELS[d] for d in self.deal_types or [] if d in DEAL_TYPE_LABELS]

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_public(self) -> bool:
        """Listed in browse and search: published and not hidden by staff."""
        return self.status == ListingStatus.published and not self.is_hidden

    def is_member(self, user) -> bool:
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and user.organisation_id == self.organisation_id)

    def can_edit(self, user) -> bool:
        """Only the owning organisation edits; staff moderate but do not rewrite."""
        return self.is_member(user)

    def is_visible_to(self, user) -> bool:
        """Published and closed listings are public; drafts, archived and hidden listings are
        seen only by the owning organisation and staff."""
        if self.is_member(user) or (user is not None and getattr(user, "is_staff", False)):
            return True
        if self.is_hidden:
            return False
        return self.status in (ListingStatus.published, ListingStatus.closed)

    def snapshot(self) -> dict:
        """Every editable field, JSON-ready: what a version records."""
        data = {name: getattr(self, name) for name in SNAPSHOT_FIELDS}
        for name in ("deadline",):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        for name in ("ip_status",):
            if data[name] is not None:
                data[name] = str(data[name])
        data["kind"] = str(self.kind)
        return data

    # -- transitions --------------------------------------------------------------------------

    def sync_search_flags(self) -> None:
        """Tell the search index whether the listing is public now (after any transition)."""
        if self.id is not None:
            db.session.execute(sa.update(ListingTerm).where(ListingTerm.listing_id == self.id)
                               .values(public=self.is_public))

    def _require_owner(self, actor) -> None:
        if not self.can_edit(actor):
            raise PermissionDenied(_l("Only the organisation that posted this listing can "
                                      "do this."))

    def publish(self, actor: User) -> None:
        """draft -> published. Needs a verified organisation and a complete listing."""
        self._require_owner(actor)
        if self.status != ListingStatus.draft:
            raise Conflict(_l("Only a draft can be published."))
        if not self.organisation.is_verified:
            raise DomainError(_l("Your organisation must be verified by staff before it can "
                                 "publish listings."))
        from .services import check_complete

        check_complete(self)
        now = utcnow()
        if self.deadline is not None and self.deadline <= now:
            raise DomainError(_l("The response deadline has already passed."),
                              {"deadline": [_l("Choose a date in the future.")]})
        self.status = ListingStatus.published
        self.published_at = now
        self.updated_at = now
        self.sync_search_flags()

    def close(self, actor: User | None, reason: str) -> None:
        """published -> closed. `actor=None` is the system, and may only close as expired."""
        try:
            reason = CloseReason(reason)
        except ValueError:
            raise DomainError(_l("Choose why the listing is closed."),
                              {"reason": [_l("Not a valid choice.")]}) from None
        if actor is None:
            if reason != CloseReason.expired:
                raise PermissionDenied(_l("Only the organisation that posted this listing can "
                                          "do this."))
        else:
            self._require_owner(actor)
        if self.status != ListingStatus.published:
            raise Conflict(_l("Only a published listing can be closed."))
        self.status = ListingStatus.closed
        self.closed_reason = reason
        self.closed_at = self.updated_at = utcnow()
        self.sync_search_flags()

    def reopen(self, actor: User) -> None:
        """closed (withdrawn or expired) -> published, e.g. after moving the deadline."""
        self._require_owner(actor)
        if self.status != ListingStatus.closed or self.closed_reason == CloseReason.deal_done:
            raise DomainError(_l("This listing cannot be reopened."))
        if self.deadline is not None and self.deadline <= utcnow():
            raise DomainError(_l("Move the response deadline into the future first."),
                              {"deadline": [_l("Choose a date in the future.")]})
        self.status = ListingStatus.published
        self.closed_reason = None
        self.closed_at = None
        self.updated_at = utcnow()
        self.sync_search_flags()

    def archive(self, actor: User) -> None:
        """draft or closed -> archived: kept for the record, shown to nobody else."""
        self._require_owner(actor)
        if self.status not in (ListingStatus.draft, ListingStatus.closed):
            raise DomainError(_l("Close the listing before archiving it."))
        self.status = ListingStatus.archived
        self.archived_at = self.updated_at = utcnow()
        self.sync_search_flags()

    def hide(self, actor: User, reason: str) -> None:
        """Staff moderation: the listing disappears from public view until unhidden."""
        actor.require_staff()
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(_l("Give a reason for hiding the listing."),
                              {"reason": [_l("This field is required.")]})
        self.hidden_at = utcnow()
        self.hidden_reason = reason
        self.hidden_by_id = actor.id
        self.sync_search_flags()

    def unhide(self, actor: User) -> None:
        actor.require_staff()
        self.hidden_at = None
        self.hidden_reason = None
        self.hidden_by_id = None
        self.sync_search_flags()


SNAPSHOT_FIELDS = (
    "title_ko", "title_en", "summary_ko", "summary_en", "description_ko", "description_en",
    "sector", "trl", "min_trl", "deal_types", "keywords", "price_min", "price_max", "currency",
    "ip_status", "patent_applications", "patent_registrations", "evidence", "expected_benefit",
    "deadline", "confidential_text",
)


class ListingVersion(db.Model):
    """One saved state of a listing: who saved it, when, and every field as it was."""

    __tablename__ = "listing_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    version: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    snapshot: Mapped[dict] = mapped_column(sa.JSON)

    listing: Mapped[Listing] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("listing_id", "version",
                                          name="uq_listing_versions_listing_version"),)


class ListingTerm(db.Model):
    """The inverted index for keyword search: one row per (term, listing), carrying the
    listing's kind, public flag, sector and TRL so that most searches never read the wide
    `listings` rows. The primary key includes them (INCLUDE on PostgreSQL; SQLite's WITHOUT
    ROWID table is clustered on it), so such a search reads one index. `index_listing` writes
    the rows on every save; `Listing.sync_search_flags` keeps `public` right on transitions."""

    __tablename__ = "listing_terms"

    term: Mapped[str] = mapped_column(sa.String(64))
    listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    weight: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    kind: Mapped[ListingKind] = mapped_column(enum_column(ListingKind))
    public: Mapped[bool] = mapped_column(default=False)
    sector: Mapped[str] = mapped_column(sa.String(30))
    trl: Mapped[int | None] = mapped_column(sa.SmallInteger)  # trl or min_trl

    __table_args__ = (
        sa.PrimaryKeyConstraint("term", "listing_id", postgresql_include=[
            "weight", "kind", "public", "sector", "trl"]),
        {"sqlite_with_rowid": False},
    )


class AttachmentKind(enum.StrEnum):
    pdf = "pdf"
    png = "png"
    jpeg = "jpeg"


class Attachment(db.Model):
    """A file on a listing or on a challenge submission, stored outside any static path."""

    __tablename__ = "listing_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("challenge_submissions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    file_type: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind, 10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    confidential: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                     ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    listing: Mapped[Listing | None] = relationship(back_populates="attachments",
                                                   foreign_keys=[listing_id])
    submission: Mapped["Submission | None"] = relationship(back_populates="attachment")

    __table_args__ = (
        sa.CheckConstraint("(listing_id IS NULL) <> (submission_id IS NULL)", name="one_owner"),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    @property
    def content_type(self) -> str:
        return {"pdf": "application/pdf", "png": "image/png",
                "jpeg": "image/jpeg"}[str(self.file_type)]


class Challenge(db.Model):
    """A need published as an open-innovation challenge: startups submit proposals until the
    deadline; the firm shortlists or declines each with a reason the startup sees."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            unique=True)
    deadline: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    criteria: Mapped[str] = mapped_column(sa.Text)
    winners: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship(back_populates="challenge")
    submissions: Mapped[list["Submission"]] = relationship(
        back_populates="challenge", order_by="Submission.id", cascade="all, delete-orphan")

    __table_args__ = (sa.CheckConstraint("winners BETWEEN 1 AND 20", name="winners_range"),)

    @property
    def is_open(self) -> bool:
        return self.listing.is_public and utcnow() < self.deadline

    def is_owner(self, user) -> bool:
        return self.listing.is_member(user)


class SubmissionStatus(enum.StrEnum):
    submitted = "submitted"
    shortlisted = "shortlisted"
    declined = "declined"


SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.submitted: _l("Submitted"),
    SubmissionStatus.shortlisted: _l("Shortlisted"),
    SubmissionStatus.declined: _l("Declined"),
}


class DeclineReason(enum.StrEnum):
    too_early_trl = "too_early_trl"
    unclear_benefit = "unclear_benefit"
    no_fit = "no_fit"
    other = "other"


DECLINE_REASON_LABELS = {
    DeclineReason.too_early_trl: _l("The technology is not mature enough yet (TRL)"),
    DeclineReason.unclear_benefit: _l("The benefit for our need is unclear"),
    DeclineReason.no_fit: _l("It does not fit what we are looking for"),
    DeclineReason.other: _l("Other reason"),
}


class Submission(db.Model):
    __tablename__ = "challenge_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"),
                                              index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                      ondelete="SET NULL"))
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"))
    pitch: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[SubmissionStatus] = mapped_column(enum_column(SubmissionStatus),
                                                     default=SubmissionStatus.submitted)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason))
    decline_text: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    challenge: Mapped[Challenge] = relationship(back_populates="submissions")
    organisation: Mapped[Organisation] = relationship()
    offering: Mapped[Listing] = relationship(foreign_keys=[offering_id])
    attachment: Mapped[Attachment | None] = relationship(back_populates="submission",
                                                         cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("challenge_id", "offering_id",
                                          name="uq_challenge_submissions_offering"),)

    @property
    def status_label(self):
        return SUBMISSION_STATUS_LABELS[self.status]

    @property
    def decline_reason_label(self):
        return DECLINE_REASON_LABELS[self.decline_reason] if self.decline_reason else None

    def is_visible_to(self, user) -> bool:
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return (user.organisation_id in (self.organisation_id, self.challenge.listing
                                         .organisation_id) or user.is_staff)

    def _require_challenge_owner(self, actor) -> None:
        if not self.challenge.is_owner(actor):
            raise PermissionDenied(_l("Only the organisation running the challenge can do "
                                      "this."))

    def shortlist(self, actor: User) -> None:
        self._require_challenge_owner(actor)
        if self.status == SubmissionStatus.shortlisted:
            return
        self.status = SubmissionStatus.shortlisted
        self.decline_reason = None
        self.decline_text = None
        self.decided_at = utcnow()
        self.decided_by_id = actor.id

    def decline(self, actor: User, reason: str, text: str | None = None) -> None:
        self._require_challenge_owner(actor)
        try:
            reason = DeclineReason(reason)
        except ValueError:
            raise DomainError(_l("Choose a reason for declining."),
                              {"reason": [_l("Not a valid choice.")]}) from None
        text = (text or "").strip() or None
        if reason == DeclineReason.other and not text:
            raise DomainError(_l("Explain the reason to the startup."),
                              {"text": [_l("This field is required for “Other reason”.")]})
        if text and len(text) > 2000:
            raise DomainError(_l("The explanation is too long."),
                              {"text": [_l("Use at most %(n)d characters.", n=2000)]})
        self.status = SubmissionStatus.declined
        self.decline_reason = reason
        self.decline_text = text
        self.decided_at = utcnow()
        self.decided_by_id = actor.id


def get_listing_or_404(listing_id: int, user, kind: str | None = None) -> Listing:
    """The listing if `user` may see it (and it is of `kind`), else NotFound — drafts and
    hidden listings of other organisations do not exist for the viewer."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or (kind and listing.kind != kind) or not listing.is_visible_to(user):
        raise NotFound(_l("This listing does not exist or is not visible to you."))
    return listing


# The deal module adds predicates here: (listing, user) -> bool, e.g. "party to a deal on this
# listing whose NDA is signed". Any True opens the confidential section.
CONFIDENTIAL_ACCESS_RULES: list = []

# How long a recorded "view confidential" action keeps a listing's confidential section and
# files open to the staff member who took it (then it takes a new, recorded action).
STAFF_CONFIDENTIAL_MINUTES = 30
STAFF_CONFIDENTIAL_WINDOW = timedelta(minutes=STAFF_CONFIDENTIAL_MINUTES)
MAX_ACCESS_REASON = 500


class ConfidentialAccess(db.Model):
    """A staff member opened a listing's confidential section and files: who, which listing
    (and its version: what they saw), why and when. Rows are only ever added."""

    __tablename__ = "confidential_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="RESTRICT"), index=True)
    listing_version: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"),
                                         index=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship()
    user: Mapped[User] = relationship()


def _refuse_access_change(mapper, connection, target):
    raise DomainError(_l("The record of confidential access cannot be changed."))


sa.event.listen(ConfidentialAccess, "before_update", _refuse_access_change)
sa.event.listen(ConfidentialAccess, "before_delete", _refuse_access_change)
append_only.guard(ConfidentialAccess.__table__)


def record_confidential_access(listing: Listing, actor: User,
                               reason: str | None = None) -> ConfidentialAccess:
    """The explicit, recorded step by which staff open a listing's confidential details."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied(_l("Only staff can do this."))
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_ACCESS_REASON:
        raise DomainError(_l("The reason is too long."), {"reason": [
            _l("Use at most %(n)d characters.", n=MAX_ACCESS_REASON)]})
    access = ConfidentialAccess(listing_id=listing.id, listing_version=listing.version,
                                user_id=actor.id, reason=reason)
    db.session.add(access)
    db.session.flush()
    return access


def staff_access_until(listing: Listing, user) -> datetime | None:
    """Until when `user`'s latest recorded access keeps the listing's confidential details
    open to them (None when it does not)."""
    if listing.id is None or not getattr(user, "is_staff", False):
        return None
    latest = db.session.scalar(
        sa.select(ConfidentialAccess.created_at)
        .where(ConfidentialAccess.listing_id == listing.id, ConfidentialAccess.user_id == user.id)
        .order_by(ConfidentialAccess.created_at.desc()).limit(1))
    if latest is None:
        return None
    until = latest + STAFF_CONFIDENTIAL_WINDOW
    return until if until > utcnow() else None


def can_see_confidential(listing: Listing, user) -> bool:
    """Whether `user` may read the listing's confidential text and confidential attachments:
    members of the owning organisation, staff for a while after a recorded access, and whoever
    a registered rule lets in."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if listing.is_member(user) or staff_access_until(listing, user) is not None:
        return True
    return any(rule(listing, user) for rule in CONFIDENTIAL_ACCESS_RULES)


def register_confidential_access(rule):
    """Decorator/function for other modules: `rule(listing, user) -> bool`."""
    CONFIDENTIAL_ACCESS_RULES.append(rule)
    return rule
