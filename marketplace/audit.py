"""The audit trail: every staff and admin action is one row, written in the action's transaction.

`record(actor, kind, subject, why)` adds the row to the session; the caller's commit writes it
with the change it describes, or its rollback drops both. Rows are only ever added: the model
refuses updates and deletes, and on PostgreSQL a trigger refuses them for every statement (see
`append_only`).
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import append_only
from .clock import utcnow
from .db_types import AwareDateTime
from .errors import DomainError
from .extensions import db

#: What was done, by kind (the kinds the audit page filters by).
KIND_LABELS = {
    "organisation_verified": _l("Organisation verified"),
    "organisation_rejected": _l("Organisation rejected"),
    "sessions_ended": _l("Sessions ended"),
    "role_changed": _l("Role changed"),
    "account_deactivated": _l("Account deactivated"),
    "account_reactivated": _l("Account reactivated"),
    "job_retried": _l("Failed job run again"),
    "email_retried": _l("E-mail sent again"),
    "report_generated": _l("Programme report generated"),
    "listing_hidden": _l("Listing hidden"),
    "listing_unhidden": _l("Listing shown again"),
    "listing_translated": _l("Listing translated by staff"),
    "question_hidden": _l("Question on a listing hidden"),
    "question_unhidden": _l("Question on a listing shown again"),
    "deal_claimed": _l("Help request claimed"),
    "deal_assigned": _l("Staff assigned to a deal"),
    "confidential_viewed": _l("Confidential details viewed"),
    "payment_refunded": _l("Payment refunded"),
    "template_uploaded": _l("Contract template uploaded"),
    "contract_reviewed": _l("Contract draft reviewed"),
}

#: What the action was done to, by table.
SUBJECT_LABELS = {
    "organisations": _l("Organisation"),
    "users": _l("Account"),
    "deals": _l("Deal"),
    "listings": _l("Listing"),
    "listing_questions": _l("Question on a listing"),
    "payment_ledger": _l("Payment"),
    "contract_template_versions": _l("Contract template"),
    "contracts": _l("Contract"),
    "job_runs": _l("Job run"),
    "outbox_messages": _l("E-mail"),
    "programme_reports": _l("Programme report"),
}

MAX_REASON = 2000


class AuditEntry(db.Model):
    """Who did what to which object, when and why."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"),
                                          index=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: What changed, where the kind alone does not say (a role's before and after).
    details: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, index=True)

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def subject_label(self):
        return SUBJECT_LABELS.get(self.subject_type, self.subject_type)


def _refuse_change(mapper, connection, target):
    raise DomainError(_l("The audit trail cannot be changed."))


append_only.refuse_orm_changes(_refuse_change, AuditEntry)
append_only.guard(AuditEntry.__table__)


def record(actor, kind: str, subject, why: str | None = None,
           details: dict | None = None) -> AuditEntry:
    """Add the audit row for `actor` doing `kind` to `subject` (a saved model object) to the
    current transaction. Flushes, so the subject has its id."""
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown audit kind {kind!r}")
    subject_type = subject.__tablename__
    if subject_type not in SUBJECT_LABELS:
        raise ValueError(f"unknown audit subject {subject_type!r}")
    if subject.id is None:
        db.session.flush()
    why = (why or "").strip()[:MAX_REASON] or None
    entry = AuditEntry(actor_id=actor.id, kind=kind, subject_type=subject_type,
                       subject_id=subject.id, reason=why, details=details)
    db.session.add(entry)
    db.session.flush()
    return entry


def recorded(kind: str, subject) -> bool:
    """Whether `kind` is already recorded for `subject` (an idempotent action repeated, such as
    a refund form sent twice, is recorded once)."""
    return db.session.scalar(sa.select(sa.exists().where(
        AuditEntry.kind == kind, AuditEntry.subject_type == subject.__tablename__,
        AuditEntry.subject_id == subject.id)))
