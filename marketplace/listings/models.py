"""Needs and offerings (one `listings` table with a `kind`), their versions, search terms and
attachments.

Status changes are methods that check the actor and raise a domain error; views never set
`status` directly. Field rules live in `validation.py` so the pages and the JSON API share them.
"""

import enum
import functools
from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime, enum_column
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..filestore import TYPES as FILE_TYPES
from ..labels import label_of
from .validation import check_complete
from .vocabulary import (
    DEAL_TYPE_LABELS,
    EDITABLE_STATUSES,
    SECTOR_LABELS,
    SECTORS,
    SNAPSHOT_FIELDS,
    CloseReason,
    IPStatus,
    ListingKind,
    ListingStatus,
)

PUBLIC_CONDITION = "status = 'published' AND hidden_at IS NULL"


class Versioned:
    """A row whose `version` goes up, with `updated_at`, on every real change."""

    def apply_changes(self, values: dict) -> bool:
        """Set the values that differ; False when none does (nothing is touched then)."""
        changed = {name: value for name, value in values.items() if getattr(self, name) != value}
        if not changed:
            return False
        for name, value in changed.items():
            setattr(self, name, value)
        self.version += 1
        self.updated_at = utcnow()
        return True


class Listing(Versioned, db.Model):
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
    # Challenge and Submission are in challenges.py, which builds on this module.
    challenge: Mapped["Challenge | None"] = relationship(  # noqa: F821
        back_populates="listing", cascade="all, delete-orphan")

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

    kind_label = label_of("kind")
    status_label = label_of("status")

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

    def require_editable(self, actor) -> None:
        """Only the owning organisation changes a listing, and only while draft or published."""
        self._require_owner(actor)
        if self.status not in EDITABLE_STATUSES:
            raise Conflict(_l("A closed or archived listing cannot be edited."))

    def publish(self, actor: User) -> None:
        """draft -> published. Needs a verified organisation and a complete listing."""
        self._require_owner(actor)
        if self.status != ListingStatus.draft:
            raise Conflict(_l("Only a draft can be published."))
        if not self.organisation.is_verified:
            raise DomainError(_l("Your organisation must be verified by staff before it can "
                                 "publish listings."))
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
    listing's kind, public flag, sector, TRL, deal types and languages (`deal_type_bits`,
    `language_bits`) so that most searches never read the wide
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
    deal_types: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    languages: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")

    __table_args__ = (
        sa.PrimaryKeyConstraint("term", "listing_id", postgresql_include=[
            "weight", "kind", "public", "sector", "trl", "deal_types", "languages"]),
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
    submission: Mapped["Submission | None"] = relationship(  # noqa: F821
        back_populates="attachment")

    __table_args__ = (
        sa.CheckConstraint("(listing_id IS NULL) <> (submission_id IS NULL)", name="one_owner"),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    @property
    def content_type(self) -> str:
        return FILE_TYPES[self.file_type].content_type


def get_listing_or_404(listing_id: int, user, kind: str | None = None,
                       options=()) -> Listing:
    """The listing if `user` may see it (and it is of `kind`), else NotFound — drafts and
    hidden listings of other organisations do not exist for the viewer. `options` are loader
    options for the one query (e.g. the relations the page shows)."""
    if options:
        listing = db.session.execute(_listing_with(tuple(options)),
                                     {"listing_id": listing_id}).unique().scalar_one_or_none()
    else:
        listing = db.session.get(Listing, listing_id)
    if listing is None or (kind and listing.kind != kind) or not listing.is_visible_to(user):
        raise NotFound(_l("This listing does not exist or is not visible to you."))
    return listing


@functools.cache
def _listing_with(options: tuple):
    """The statement for one listing with these loader options, built once (building it took
    a third of the listing page's query)."""
    return sa.select(Listing).where(Listing.id == sa.bindparam("listing_id")).options(*options)
