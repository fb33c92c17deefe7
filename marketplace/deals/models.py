"""The deal, its terms versions, events, messages and attachments.

A deal's `state` changes only through the transition methods below. Each method checks who is
acting (which side, the deal's staff, the platform itself) against the explicit `RULES` table,
locks the deal's row, changes it and appends a hash-chained `DealEvent`. Nothing here commits:
the caller (a view, a job, the API) commits once, or rolls back on a `DomainError`.

Concurrency: every mutating method first takes the deal's row lock (`_lock`), so two requests on
one deal run one after the other and the second sees what the first committed. Terms add a
conditional `UPDATE ... WHERE current_version = :based_on` and a unique (deal_id, version): an
offer or acceptance based on a version that is no longer current is a `Conflict`, never a lost
update.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import domain_events
from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime, child_rows, enum_column
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from ..listings.models import Listing
from . import events
from .events import DealEvent
from .messages import DealMessage
from .roles import DealRoles
from .states import (
    AGREED_STATES,
    DECLINE_REASONS,
    RECIPIENT,
    REFUND_ACTIONS,
    RULES,
    SYSTEM,
    TERMINAL_STATES,
    DealState,
    DealType,
    Rule,
    Side,
    SystemActor,
)
from .terms import DealTerms, stale_version, validate_terms


def _pass_through(action: str):
    """A transition that only checks `RULES` and records itself (the contract and payment
    modules move the deal through these): lock, check who may, move, record."""

    def transition(self, actor, payload: dict | None = None) -> "DealEvent":
        self._lock()
        return self._move(action, actor, payload=payload)

    transition.__name__ = transition.__qualname__ = action
    return transition


class Deal(DealRoles, db.Model):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_type: Mapped[DealType] = mapped_column(enum_column(DealType, 30))
    state: Mapped[DealState] = mapped_column(enum_column(DealState), default=DealState.inquiry,
                                             index=True)
    buyer_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    seller_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    initiator_side: Mapped[Side] = mapped_column(enum_column(Side, 10))
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"),
                                             index=True)
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("listings.id",
                                                              ondelete="RESTRICT"), index=True)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))

    # Terms: the latest version number, and the version each side has accepted.
    current_version: Mapped[int] = mapped_column(default=0)
    buyer_accepted_version: Mapped[int | None]
    seller_accepted_version: Mapped[int | None]
    rejected_version: Mapped[int | None]

    nda_required: Mapped[bool] = mapped_column(default=False)
    nda_required_by: Mapped[Side | None] = mapped_column(enum_column(Side, 10))
    nda_buyer_confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    nda_buyer_confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"))
    nda_seller_confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    nda_seller_confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"))
    nda_completed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: The NDA PDF the parties confirm (bytes in ``contract_files``), and a digest of the
    #: variables it was rendered from, so it is rendered again only when they change.
    nda_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    nda_variables_digest: Mapped[str | None] = mapped_column(sa.String(64))

    end_reason: Mapped[str | None] = mapped_column(sa.String(30))  # a DECLINE_REASONS code
    end_note: Mapped[str | None] = mapped_column(sa.Text)

    assigned_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    help_requested_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    help_requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    help_note: Mapped[str | None] = mapped_column(sa.Text)

    # Number of events written; the last event's `seq` must equal it (a deleted tail shows).
    event_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow,
                                                       index=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: A startup's proposal for a need that the firm put on its shortlist (while it weighs it).
    shortlisted_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    buyer: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    seller: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    offering: Mapped[Listing] = relationship(foreign_keys=[offering_id])
    need: Mapped[Listing | None] = relationship(foreign_keys=[need_id])
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    assigned_staff: Mapped[User | None] = relationship(foreign_keys=[assigned_staff_id])
    terms_versions: Mapped[list[DealTerms]] = child_rows("deal", "DealTerms.version")
    events: Mapped[list[DealEvent]] = child_rows("deal", "DealEvent.seq")
    messages: Mapped[list[DealMessage]] = child_rows("deal", "DealMessage.id")

    __table_args__ = (
        sa.CheckConstraint("buyer_org_id <> seller_org_id", name="distinct_parties"),
        sa.CheckConstraint("current_version >= 0", name="version_not_negative"),
        sa.CheckConstraint("event_seq >= 0", name="event_seq_not_negative"),
        sa.CheckConstraint(
            "state NOT IN ({}) OR (current_version > 0 AND buyer_accepted_version = "
            "current_version AND seller_accepted_version = current_version)".format(
                ", ".join(f"'{s.value}'" for s in AGREED_STATES)),
            name="agreed_on_one_version"),
    )

    # ---- internals ---------------------------------------------------------------------

    def _lock(self) -> None:
        """Take the deal's row lock and reload it, so checks below see the latest commit.

        A no-op UPDATE locks the row on PostgreSQL and takes SQLite's write lock; the reload
        (SELECT ... FOR UPDATE where supported) then reads what any earlier writer committed
        into this very object. The row has to be fetched: `populate_existing` only overwrites
        the loaded attributes as the result is read.
        """
        if self.id is None:
            return
        db.session.execute(sa.update(Deal).where(Deal.id == self.id)
                           .values(event_seq=Deal.event_seq)
                           .execution_options(synchronize_session=False))
        db.session.execute(sa.select(Deal).where(Deal.id == self.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()

    def _rule(self, action: str, actor, target: DealState | None = None) -> Rule:
        """The rule allowing `action` from the current state, or the reason it is refused."""
        candidates = [rule for rule in RULES if rule.action == action
                      and rule.source == self.state and (target is None or rule.target == target)]
        if not candidates:
            raise Conflict(_l("This is not possible while the deal is “%(state)s”.",
                              state=self.state_label))
        rule = candidates[0]
        if not (self.roles_of(actor) & rule.who):
            raise PermissionDenied(_l("You are not allowed to do this in this deal."))
        return rule

    def _move(self, action: str, actor, target: DealState | None = None,
              payload: dict | None = None) -> "DealEvent":
        rule = self._rule(action, actor, target)
        source = self.state
        self.state = rule.target
        if rule.target in TERMINAL_STATES:
            self.ended_at = utcnow()
        db.session.flush()
        return self.record_event(action, actor, payload, source=source, target=rule.target)

    def _require_side(self, actor) -> Side:
        side = self.side_of(actor)
        if side is None:
            raise PermissionDenied(_l("Only the two parties of the deal can do this."))
        return side

    def _require_negotiating(self) -> None:
        if self.state != DealState.negotiating:
            raise Conflict(_l("Terms can only be changed while the deal is being negotiated. "
                              "It is now “%(state)s”.", state=self.state_label))

    def _require_current(self, version: int) -> "DealTerms":
        if version != self.current_version:
            raise stale_version(self.current_version)
        terms = self.terms(version)
        if terms is None:
            raise Conflict(_l("There is no offer to answer yet."))
        return terms

    def record_event(self, kind: str, actor, payload: dict | None = None, *,
                     source: DealState | None = None, target: DealState | None = None,
                     touch: bool = True) -> "DealEvent":
        """Append a hash-chained event and announce it (`domain_events`): the notices, the
        payment requests of a signed deal and whatever else listens run in this transaction."""
        event = events.append(self, kind, actor, payload or {}, source=source, target=target,
                              touch=touch)
        domain_events.send_deal_event(self, event, actor)
        return event

    # ---- the inquiry -------------------------------------------------------------------

    def accept_inquiry(self, actor, require_nda: bool = False) -> "DealEvent":
        """The side that received the inquiry accepts it: to the NDA step or to negotiation."""
        self._lock()
        if require_nda and self.state == DealState.inquiry \
                and RECIPIENT in self.roles_of(actor) and not self.nda_required:
            self.nda_required, self.nda_required_by = True, self.side_of(actor)
        target = DealState.nda if self.nda_required else DealState.negotiating
        return self._move("accept_inquiry", actor, target, {"nda_required": self.nda_required})

    def shortlist(self, actor) -> "DealEvent":
        """The firm puts a startup's proposal for its need on its shortlist (no change of
        state: the inquiry is still to be accepted or declined)."""
        self._lock()
        if not self.is_proposal or self.side_of(actor) != Side.buyer:
            raise PermissionDenied(_l("Only the organisation that posted the need can "
                                      "shortlist a proposal."))
        if self.state != DealState.inquiry:
            raise Conflict(_l("Only a proposal that has not been answered yet can be "
                              "shortlisted."))
        if self.shortlisted_at is not None:
            raise Conflict(_l("This proposal is already on your shortlist."))
        self.shortlisted_at = utcnow()
        return self.record_event("shortlist", actor, {"need_id": self.need_id})

    def decline(self, actor, reason: str, note: str | None = None) -> "DealEvent":
        """End the deal with a structured reason (a DECLINE_REASONS code, plus optional text)."""
        self._lock()
        note = (note or "").strip() or None
        if reason not in DECLINE_REASONS:
            raise DomainError(_l("Choose a reason."), {"reason": [_l("Choose a reason.")]})
        if reason == "other" and not note:
            raise DomainError(_l("Say briefly why."), {"note": [_l("This field is required.")]})
        self._rule("decline", actor)
        self.end_reason, self.end_note = reason, note
        return self._move("decline", actor, payload={"reason": reason, "note": note})

    def withdraw(self, actor, note: str | None = None) -> "DealEvent":
        self._lock()
        note = (note or "").strip() or None
        self._rule("withdraw", actor)
        self.end_note = note
        return self._move("withdraw", actor, payload={"note": note})

    def expire(self, actor=SYSTEM, *, inactive_before: datetime | None = None) -> "DealEvent":
        """No activity for too long (the periodic job). With `inactive_before`, a deal that saw
        activity since then (checked under the lock) is left open."""
        self._lock()
        if inactive_before is not None and self.last_activity_at >= inactive_before:
            raise Conflict(_l("The deal saw activity recently."))
        return self._move("expire", actor, payload={"last_activity_at":
                                                    self.last_activity_at.isoformat()})

    # ---- NDA ---------------------------------------------------------------------------

    def require_nda(self, actor) -> "DealEvent":
        """Either side asks for an NDA before any confidential detail is shared."""
        self._lock()
        side = self._require_side(actor)
        if self.state != DealState.inquiry:
            raise Conflict(_l("An NDA can only be requested before the inquiry is accepted."))
        if self.nda_required:
            raise Conflict(_l("An NDA is already required."))
        self.nda_required, self.nda_required_by = True, side
        return self.record_event("require_nda", actor, {"side": side.value})

    def confirm_nda(self, actor, nda_digest: str, verify=None) -> "DealEvent":
        """One side confirms the NDA PDF by the SHA-256 it was shown; both → negotiating.
        A digest other than the current document's is stale: the NDA changed meanwhile.
        `verify` (the password check) runs only once everything else holds, so a refusal
        never tells whether a password was right."""
        self._lock()
        if self.state != DealState.nda:
            raise Conflict(_l("There is no NDA to confirm in this deal now."))
        side = self._require_side(actor)
        if self.nda_confirmed_by(side):
            raise Conflict(_l("Your side has already confirmed the NDA."))
        if not self.nda_sha256 or nda_digest != self.nda_sha256:
            raise Conflict(_l("The NDA changed after it was shown to you. Read the current "
                              "version and confirm it again."),
                           {"sha256": [_l("This is not the current document.")]})
        if verify is not None:
            verify()
        now = utcnow()
        setattr(self, f"nda_{side.value}_confirmed_at", now)
        setattr(self, f"nda_{side.value}_confirmed_by_id", actor.id)
        payload = {"side": side.value, "nda_digest": nda_digest}
        if self.nda_confirmed_by(self.other(side)):
            self.nda_completed_at = now
            return self._move("confirm_nda", actor, DealState.negotiating, payload)
        return self.record_event("confirm_nda", actor, payload)

    # ---- terms -------------------------------------------------------------------------

    def propose_terms(self, actor, based_on_version: int | None, fields: dict) -> "DealTerms":
        """A new immutable terms version (an offer, or a counter-offer to the current one)."""
        self._lock()
        side = self._require_side(actor)
        self._require_negotiating()
        based_on = int(based_on_version or 0)
        if based_on != self.current_version:
            raise stale_version(self.current_version)
        clean = validate_terms(self.deal_type, fields)
        version = based_on + 1
        accepted = {f"{side.value}_accepted_version": version, "rejected_version": None}
        result = db.session.execute(
            sa.update(Deal)
            .where(Deal.id == self.id, Deal.current_version == based_on,
                   Deal.state == DealState.negotiating)
            .values(current_version=version, **accepted)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise stale_version(None)
        db.session.refresh(self)
        terms = DealTerms(deal_id=self.id, version=version, based_on_version=based_on or None,
                          author_side=side, author_org_id=actor.organisation_id,
                          author_user_id=actor.id, currency=clean["currency"], fields=clean)
        db.session.add(terms)
        try:
            db.session.flush()
        except IntegrityError as exc:
            raise stale_version(None) from exc
        self.record_event("propose_terms", actor, {"version": version, "based_on": based_on,
                                                   "terms": clean})
        return terms

    def _answering(self, actor, version) -> tuple[Side, "DealTerms"]:
        """Lock; the answering side and the current offer, which the other side wrote."""
        self._lock()
        side = self._require_side(actor)
        self._require_negotiating()
        terms = self._require_current(int(version))
        if terms.author_side == side:
            raise Conflict(_l("This is your own offer; the other side has to answer it."))
        return side, terms

    def accept_terms(self, actor, version: int) -> "DealEvent":
        """The side that did not write the current version accepts it: the deal is agreed."""
        side, terms = self._answering(actor, version)
        self._rule("accept_terms", actor, DealState.agreed)
        result = db.session.execute(
            sa.update(Deal)
            .where(Deal.id == self.id, Deal.current_version == terms.version,
                   Deal.state == DealState.negotiating)
            .values(**{f"{side.value}_accepted_version": terms.version})
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise stale_version(None)
        db.session.refresh(self)
        if self.accepted_version_of(self.other(side)) != terms.version:
            raise stale_version(None)
        return self._move("accept_terms", actor, DealState.agreed,
                          {"version": terms.version, "terms_digest": terms.digest})

    def reject_terms(self, actor, version: int, note: str | None = None) -> "DealEvent":
        """Say no to the current offer without ending the deal (a counter-offer may follow)."""
        side, terms = self._answering(actor, version)
        if self.rejected_version == terms.version:
            raise Conflict(_l("You have already rejected this offer."))
        self.rejected_version = terms.version
        note = (note or "").strip() or None
        return self.record_event("reject_terms", actor, {"version": terms.version, "note": note})

    # ---- after agreement: called by the contract and payment modules -------------------

    start_drafting = _pass_through("start_drafting")
    send_for_signature = _pass_through("send_for_signature")
    # A new contract version started after the PDF was rendered.
    return_to_drafting = _pass_through("return_to_drafting")
    mark_signed = _pass_through("mark_signed")
    request_payment = _pass_through("request_payment")
    close = _pass_through("close")

    def mark_paid(self, actor, payload: dict | None = None) -> "DealEvent":
        """Idempotent for webhook retries: a deal already paid (or closed after) is left alone."""
        self._lock()
        if self.state in (DealState.paid, DealState.closed) and isinstance(actor, SystemActor):
            return None
        return self._move("mark_paid", actor, payload=payload)

    def follow_refunds(self, actor, target: DealState,
                       payload: dict | None = None) -> "DealEvent":
        """Move between `paid`, `partially_refunded` and `refunded` as payments record refunds
        (or a refund undone); the system's move only."""
        self._lock()
        return self._move(REFUND_ACTIONS[target], actor, target, payload=payload)

    # ---- staff -------------------------------------------------------------------------

    def request_help(self, actor, note: str | None = None) -> "DealEvent":
        self._lock()
        self._require_side(actor)
        if self.is_terminal:
            raise Conflict(_l("This deal has ended."))
        if self.assigned_staff_id is not None or self.help_requested_at is not None:
            raise Conflict(_l("Staff help has already been requested for this deal."))
        self.help_requested_at, self.help_requested_by_id = utcnow(), actor.id
        self.help_note = (note or "").strip() or None
        return self.record_event("request_help", actor, {"note": self.help_note})

    def claim(self, actor) -> "DealEvent":
        """A staff member picks the deal up from the help queue (the first of several)."""
        self._lock()
        if self.assigned_staff_id is not None and self.assigned_staff_id != actor.id:
            raise Conflict(_l("Another staff member has already taken this deal on."))
        if not self.can_claim(actor):
            raise Conflict(_l("This deal is not waiting for staff."))
        self.assigned_staff_id, self.assigned_at = actor.id, utcnow()
        return self.record_event("claim", actor, {"staff_id": actor.id})

    def assign_staff(self, actor, staff: User) -> "DealEvent":
        self._lock()
        if not getattr(actor, "is_admin", False):
            raise PermissionDenied(_l("Only administrators can assign staff."))
        if self.is_terminal:
            raise Conflict(_l("This deal has ended."))
        if not (staff.is_staff and staff.is_active):
            raise DomainError(_l("Choose a staff member."),
                              {"staff_id": [_l("Choose a staff member.")]})
        self.assigned_staff_id, self.assigned_at = staff.id, utcnow()
        return self.record_event("assign_staff", actor, {"staff_id": staff.id})
