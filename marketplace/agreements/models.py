"""Contracts of deals: versions, clause edits, approvals, signatures and the stored PDFs.

A deal has one or more contract versions. A version is a draft while the parties (or the staff
assigned to the deal) fill its variables, edit its clauses and approve it; once both sides
approved, a job renders its PDF and from then on the version is immutable (a listener refuses any
change to its text-bearing columns). Any change after that voids the version, and its
signatures, and starts the next one.

PDF bytes live in the database (`ContractFile`, keyed by SHA-256), not on disk: the web process
and the render worker may run on different machines that share the database but no filesystem,
the file and the row that names it commit in one transaction (no orphan, no missing file), and a
backup of the database is a backup of every signed contract. Rows are content-addressed, so a
re-rendered identical document is stored once.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .. import append_only
from ..accounts.models import User
from ..clock import utcnow
from ..db_types import AwareDateTime, DealRecord, child_rows, enum_column
from ..deals.models import Deal
from ..deals.states import EVENT_LABELS, Side
from ..errors import Conflict
from ..extensions import db
from ..labels import LabelledEnum, label_of


class ContractStatus(LabelledEnum):
    # being filled, edited and approved
    draft = "draft", _l("Draft")
    # both sides approved; the PDF job is on its way
    approved = "approved", _l("Approved, PDF being prepared")
    # the PDF exists; nobody has signed yet
    rendered = "rendered", _l("Ready to sign")
    # one side signed
    signing = "signing", _l("Signed by one side")
    # both signed; the final PDF carries the certificate page
    signed = "signed", _l("Signed by both sides")
    # replaced by a later version
    void = "void", _l("Replaced by a later version")


#: Versions whose text can no longer change.
FROZEN = (ContractStatus.rendered, ContractStatus.signing, ContractStatus.signed,
          ContractStatus.void)
LANGUAGE_MODES = ("ko", "en", "bilingual")
LANGUAGE_LABELS = {"ko": _l("Korean"), "en": _l("English"), "bilingual": _l("Korean and English")}

# Deal events this package writes (the deal's timeline and e-mails show these labels).
EVENT_LABELS.update({
    "contract_variables": _l("Filled in contract details"),
    "contract_settings": _l("Changed the contract language"),
    "contract_edit": _l("Edited a contract clause"),
    "contract_approve": _l("Approved the contract draft"),
    "contract_approvals_cleared": _l("Contract approvals were cleared by a change"),
    "contract_rendered": _l("The contract PDF is ready"),
    "contract_sign": _l("Signed the contract"),
    "contract_signatory": _l("Named the contract's signatory"),
    "contract_reopen": _l("Reopened the contract for changes"),
    "contract_review_request": _l("Asked city staff to review the contract draft"),
    "contract_reviewed": _l("City staff reviewed the contract draft"),
})


class Contract(DealRecord, db.Model):
    __tablename__ = "contracts"

    version: Mapped[int]
    contract_no: Mapped[str] = mapped_column(sa.String(20), index=True)
    status: Mapped[ContractStatus] = mapped_column(enum_column(ContractStatus),
                                                   default=ContractStatus.draft)
    template_key: Mapped[str] = mapped_column(sa.String(40))
    template_version: Mapped[int]
    language: Mapped[str] = mapped_column(sa.String(10), default="ko")
    prevailing_language: Mapped[str] = mapped_column(sa.String(2), default="ko")
    terms_version: Mapped[int]
    variables: Mapped[dict] = mapped_column(sa.JSON)
    #: Variable paths taken from the Terms and the organisations (shown, not editable).
    locked: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Clause edits: {clause_id: {"ko": text, "en": text}} (only the edited languages).
    overrides: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Who signs for each party: {party: {"name", "title"}} (None on versions from before).
    signatories: Mapped[dict | None] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: What the PDF was rendered from (the overrides with every language spelled out).
    render_overrides: Mapped[dict | None] = mapped_column(sa.JSON)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    pdf_pages: Mapped[int | None]
    rendered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    signed_pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    void_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: A party asked city staff to review this version (see `review.py`).
    review_requested_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                     ondelete="SET NULL"))
    review_comment: Mapped[str | None] = mapped_column(sa.Text)

    deal: Mapped[Deal] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    edits: Mapped[list[ContractEdit]] = child_rows("contract", "ContractEdit.id")
    approvals: Mapped[list[ContractApproval]] = child_rows("contract", "ContractApproval.id")
    signatures: Mapped[list[ContractSignature]] = child_rows("contract", "ContractSignature.id")

    __table_args__ = (
        sa.UniqueConstraint("deal_id", "version", name="uq_contracts_deal_id_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("language IN ('ko', 'en', 'bilingual')", name="language_known"),
        sa.CheckConstraint("prevailing_language IN ('ko', 'en')", name="prevailing_known"),
        sa.CheckConstraint("status IN ('draft', 'approved', 'void') OR pdf_sha256 IS NOT NULL",
                           name="rendered_has_pdf"),
        sa.CheckConstraint("status <> 'signed' OR signed_pdf_sha256 IS NOT NULL",
                           name="signed_has_pdf"),
    )

    @property
    def review_pending(self) -> bool:
        """A party asked staff to review this version and no review answered it yet."""
        return self.review_requested_at is not None and (
            self.reviewed_at is None or self.reviewed_at < self.review_requested_at)

    status_label = label_of("status")

    @property
    def language_label(self):
        return LANGUAGE_LABELS[self.language]

    @property
    def is_draft(self) -> bool:
        return self.status == ContractStatus.draft

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN

    @property
    def langs(self) -> tuple[str, ...]:
        return ("ko", "en") if self.language == "bilingual" else (self.language,)

    def active_approvals(self) -> list[ContractApproval]:
        return [a for a in self.approvals if a.cleared_at is None]

    def approved_by(self, side: Side) -> ContractApproval | None:
        return next((a for a in self.active_approvals() if a.side == side), None)

    def active_signatures(self) -> list[ContractSignature]:
        return [s for s in self.signatures if s.voided_at is None]

    def signature_of(self, side: Side) -> ContractSignature | None:
        return next((s for s in self.active_signatures() if s.side == side), None)

    def turn_of(self, side: Side | None) -> str | None:
        """The step of this version that waits on `side`: "approve_contract" (a draft its side
        has not approved; details may still be missing) or "sign_contract" (a rendered PDF its
        side has not signed); None otherwise. The contract page offers the same steps."""
        if side is None:
            return None
        if self.status == ContractStatus.draft and self.approved_by(side) is None:
            return "approve_contract"
        if self.status in (ContractStatus.rendered, ContractStatus.signing) \
                and self.signature_of(side) is None:
            return "sign_contract"
        return None


class ContractRecord:
    """What every record about one contract version carries: the version and who acted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"),
                                             index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))

    @declared_attr
    def user(cls) -> Mapped[User]:
        return relationship()


class EditKind(enum.StrEnum):
    clause = "clause"
    variable = "variable"
    settings = "settings"


class ContractEdit(ContractRecord, db.Model):
    """One tracked change to a draft: who, when, what it was before and after."""

    __tablename__ = "contract_edits"

    kind: Mapped[EditKind] = mapped_column(enum_column(EditKind, 10))
    #: The clause id, the variable path, or the setting's name.
    target: Mapped[str] = mapped_column(sa.String(100))
    lang: Mapped[str | None] = mapped_column(sa.String(2))
    before: Mapped[str | None] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)
    side: Mapped[Side | None] = mapped_column(enum_column(Side, 10))  # None: staff
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="edits")


class ContractApproval(ContractRecord, db.Model):
    """A side's approval of a draft as it stood (`digest`); cleared by any later change."""

    __tablename__ = "contract_approvals"

    side: Mapped[Side] = mapped_column(enum_column(Side, 10))
    digest: Mapped[str] = mapped_column(sa.String(64))
    approved_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    contract: Mapped[Contract] = relationship(back_populates="approvals")


class ContractSignature(ContractRecord, db.Model):
    """A side's signature on one PDF, named by the SHA-256 the signer was shown."""

    __tablename__ = "contract_signatures"

    side: Mapped[Side] = mapped_column(enum_column(Side, 10))
    typed_name: Mapped[str] = mapped_column(sa.String(100))
    organisation_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    document_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    ip: Mapped[str] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(400))
    voided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    contract: Mapped[Contract] = relationship(back_populates="signatures")


class ContractFile(db.Model):
    """PDF bytes, content-addressed. Never updated or deleted."""

    __tablename__ = "contract_files"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int]
    pages: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    @classmethod
    def store(cls, pdf: bytes, sha256: str, pages: int) -> ContractFile:
        """The stored file with these bytes, added when it is not there yet."""
        stored = db.session.get(cls, sha256)
        if stored is None:
            stored = cls(sha256=sha256, data=pdf, size=len(pdf), pages=pages,
                         created_at=utcnow())
            db.session.add(stored)
            db.session.flush()
        return stored


class TemplateVersion(db.Model):
    """A contract template version uploaded by an admin (its files live under
    ``CONTRACT_TEMPLATE_DIR/<key>/v<version>/``; the built-in first versions are in the repo)."""

    __tablename__ = "contract_template_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int]
    files_sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    uploaded_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("key", "version", name="uq_contract_template_versions_key_version"),
    )


# ---- immutability --------------------------------------------------------------------------

#: Columns that make up a version's text: fixed once its PDF exists.
TEXT_COLUMNS = ("template_key", "template_version", "language", "prevailing_language",
                "variables", "overrides", "render_overrides", "contract_no", "version",
                "deal_id", "pdf_sha256", "signatories")


def _refuse_text_change(mapper, connection, target: Contract) -> None:
    state = sa.inspect(target)
    status_history = state.attrs.status.history
    was = status_history.deleted[0] if status_history.deleted else target.status
    if was not in FROZEN:
        return
    for name in TEXT_COLUMNS:
        if state.attrs[name].history.has_changes():
            raise Conflict(_l("This contract version is final; changing it starts a new "
                              "version."))


def _refuse_change(mapper, connection, target):
    raise Conflict(_l("Recorded contract history cannot be changed."))


sa_event.listen(Contract, "before_update", _refuse_text_change)
sa_event.listen(Contract, "before_delete", _refuse_change)
append_only.refuse_orm_changes(_refuse_change, ContractFile, ContractEdit)
