"""The deal, its terms versions, events, messages, attachments and notifications.

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

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import append_only
from ..accounts.models import Organisation, OrgKind, User
from ..clock import utcnow
from ..db_types import AwareDateTime, enum_column
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from ..listings.models import DEAL_TYPE_LABELS as LISTING_DEAL_TYPE_LABELS
from ..listings.models import Listing


class DealState(enum.StrEnum):
    inquiry = "inquiry"
    nda = "nda"
    negotiating = "negotiating"
    agreed = "agreed"
    drafting = "drafting"
    signing = "signing"
    signed = "signed"
    payment_pending = "payment_pending"
    paid = "paid"
    partially_refunded = "partially_refunded"
    refunded = "refunded"
    closed = "closed"
    withdrawn = "withdrawn"
    declined = "declined"
    expired = "expired"


STATE_LABELS = {
    DealState.inquiry: _l("Inquiry"),
    DealState.nda: _l("NDA"),
    DealState.negotiating: _l("Negotiating"),
    DealState.agreed: _l("Agreed"),
    DealState.drafting: _l("Contract drafting"),
    DealState.signing: _l("Signing"),
    DealState.signed: _l("Signed"),
    DealState.payment_pending: _l("Payment pending"),
    DealState.paid: _l("Paid"),
    DealState.partially_refunded: _l("Partly refunded"),
    DealState.refunded: _l("Refunded"),
    DealState.closed: _l("Closed"),
    DealState.withdrawn: _l("Withdrawn"),
    DealState.declined: _l("Declined"),
    DealState.expired: _l("Expired"),
}

# States a deal can still be withdrawn, declined or expired from (DESIGN.md's bottom bar).
OPEN_STATES = (DealState.inquiry, DealState.nda, DealState.negotiating, DealState.agreed,
               DealState.drafting, DealState.signing)
TERMINAL_STATES = (DealState.closed, DealState.withdrawn, DealState.declined, DealState.expired)
# States that exist only once both sides accepted the same terms version.
AGREED_STATES = (DealState.agreed, DealState.drafting, DealState.signing, DealState.signed,
                 DealState.payment_pending, DealState.paid, DealState.partially_refunded,
                 DealState.refunded, DealState.closed)
# Paid states a refund moves between: all received back is `refunded`, some `partially_refunded`.
REFUND_STATES = (DealState.paid, DealState.partially_refunded, DealState.refunded)


class DealType(enum.StrEnum):
    license = "license"
    transfer = "transfer"
    joint_development = "joint_development"
    poc = "poc"
    supply = "supply"
    investment = "investment"
    acquisition = "acquisition"


# Listings name the deal types they are open to; deals add acquisition.
DEAL_TYPE_LABELS = {DealType(code): label for code, label in LISTING_DEAL_TYPE_LABELS.items()}
DEAL_TYPE_LABELS[DealType.acquisition] = _l("Acquisition")


class Side(enum.StrEnum):
    buyer = "buyer"
    seller = "seller"


SIDE_LABELS = {Side.buyer: _l("Buyer"), Side.seller: _l("Seller")}

DECLINE_REASONS = {
    "not_a_fit": _l("The technology does not fit our needs"),
    "price": _l("Price or budget does not match"),
    "timing": _l("The timing does not work for us"),
    "capacity": _l("We do not have the capacity right now"),
    "ip_concerns": _l("Concerns about intellectual property"),
    "terms": _l("The terms are not acceptable"),
    "other_partner": _l("We are working with someone else"),
    "other": _l("Another reason"),
}

# Organisation kinds that may be the buying side of a deal.
BUYER_KINDS = (OrgKind.firm, OrgKind.agency, OrgKind.investor)

# Who may act, as roles an actor holds on a given deal.
BUYER, SELLER, INITIATOR, RECIPIENT, STAFF, SYSTEM_ROLE = (
    "buyer", "seller", "initiator", "recipient", "staff", "system")


class SystemActor:
    """The platform itself (the expiry job, a payment webhook): no user, no organisation."""

    id = None
    organisation_id = None
    organisation = None
    is_staff = False
    is_admin = False
    is_active = True
    display_name = "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Rule:
    action: str
    source: DealState
    target: DealState
    who: frozenset


#: The action that moves a paid deal to each of its refund states (one target per action).
REFUND_ACTIONS = {DealState.refunded: "refund", DealState.partially_refunded: "refund_part",
                  DealState.paid: "undo_refund"}


def _build_rules() -> tuple[Rule, ...]:
    s = DealState
    parties = frozenset({BUYER, SELLER})
    rules = [
        Rule("accept_inquiry", s.inquiry, s.negotiating, frozenset({RECIPIENT})),
        Rule("accept_inquiry", s.inquiry, s.nda, frozenset({RECIPIENT})),
        Rule("confirm_nda", s.nda, s.negotiating, parties),
        Rule("accept_terms", s.negotiating, s.agreed, parties),
        Rule("start_drafting", s.agreed, s.drafting, parties | {STAFF}),
        Rule("send_for_signature", s.drafting, s.signing, parties | {STAFF}),
        # A new contract version started after the PDF was rendered: back to drafting.
        Rule("return_to_drafting", s.signing, s.drafting, parties | {STAFF}),
        Rule("mark_signed", s.signing, s.signed, parties | {STAFF, SYSTEM_ROLE}),
        Rule("request_payment", s.signed, s.payment_pending,
             frozenset({SELLER, STAFF, SYSTEM_ROLE})),
        Rule("mark_paid", s.payment_pending, s.paid, frozenset({STAFF, SYSTEM_ROLE})),
        Rule("close", s.signed, s.closed, parties | {STAFF, SYSTEM_ROLE}),
        Rule("close", s.paid, s.closed, parties | {STAFF, SYSTEM_ROLE}),
        Rule("close", s.partially_refunded, s.closed, parties | {STAFF, SYSTEM_ROLE}),
    ]
    # Refunds after payment (recorded by payments): the deal follows what was given back.
    for source in REFUND_STATES:
        for target in REFUND_STATES:
            if source != target:
                rules.append(Rule(REFUND_ACTIONS[target], source, target,
                                  frozenset({SYSTEM_ROLE})))
    for source in OPEN_STATES:
        # While the inquiry is unanswered, the side that opened it withdraws and the other side
        # declines; once talks have started, either side may do either.
        first = source == s.inquiry
        rules.append(Rule("withdraw", source, s.withdrawn,
                          frozenset({INITIATOR}) if first else parties))
        rules.append(Rule("decline", source, s.declined,
                          frozenset({RECIPIENT}) if first else parties))
        rules.append(Rule("expire", source, s.expired, frozenset({SYSTEM_ROLE})))
    return tuple(rules)


RULES = _build_rules()
TRANSITIONS = {(rule.source, rule.target): rule for rule in RULES}
TRANSITION_ACTIONS = tuple(dict.fromkeys(rule.action for rule in RULES))

# Actions that change no state but are recorded, and who may do them where.
EVENT_LABELS = {
    "open": _l("Opened the deal"),
    "accept_inquiry": _l("Accepted the inquiry"),
    "decline": _l("Declined"),
    "withdraw": _l("Withdrew"),
    "expire": _l("Expired after no activity"),
    "expiry_reminder": _l("Reminder: the deal expires soon without activity"),
    "require_nda": _l("Asked for an NDA"),
    "confirm_nda": _l("Confirmed the NDA"),
    "propose_terms": _l("Proposed terms"),
    "accept_terms": _l("Accepted terms"),
    "reject_terms": _l("Rejected terms"),
    "start_drafting": _l("Started drafting the contract"),
    "send_for_signature": _l("Sent the contract for signature"),
    "return_to_drafting": _l("The contract went back to drafting"),
    "mark_signed": _l("The contract was signed"),
    "request_payment": _l("Requested payment"),
    "mark_paid": _l("Payment received"),
    "refund": _l("Everything paid was refunded"),
    "refund_part": _l("Part of the payment was refunded"),
    "undo_refund": _l("A refund failed or was cancelled"),
    "close": _l("Closed the deal"),
    "post_message": _l("Sent a message"),
    "staff_comment": _l("Staff commented"),
    "request_help": _l("Asked staff for help"),
    "claim": _l("Staff took the deal on"),
    "assign_staff": _l("Assigned staff"),
}


class Deal(db.Model):
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
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    buyer: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    seller: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    offering: Mapped[Listing] = relationship(foreign_keys=[offering_id])
    need: Mapped[Listing | None] = relationship(foreign_keys=[need_id])
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    assigned_staff: Mapped[User | None] = relationship(foreign_keys=[assigned_staff_id])
    terms_versions: Mapped[list["DealTerms"]] = relationship(
        back_populates="deal", order_by="DealTerms.version", viewonly=True)
    events: Mapped[list["DealEvent"]] = relationship(
        back_populates="deal", order_by="DealEvent.seq", viewonly=True)
    messages: Mapped[list["DealMessage"]] = relationship(
        back_populates="deal", order_by="DealMessage.id", viewonly=True)

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

    # ---- who is who --------------------------------------------------------------------

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def deal_type_label(self):
        return DEAL_TYPE_LABELS[self.deal_type]

    @property
    def title(self) -> str:
        return self.offering.title if self.offering is not None else f"#{self.id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def org_id_of(self, side: Side) -> int:
        return self.buyer_org_id if side == Side.buyer else self.seller_org_id

    def org_of(self, side: Side) -> Organisation:
        return self.buyer if side == Side.buyer else self.seller

    @staticmethod
    def other(side: Side) -> Side:
        return Side.seller if side == Side.buyer else Side.buyer

    def side_of(self, user) -> Side | None:
        """The side the user's organisation is on, or None."""
        org_id = getattr(user, "organisation_id", None)
        if org_id is None or not getattr(user, "is_active", False):
            return None
        if org_id == self.buyer_org_id:
            return Side.buyer
        if org_id == self.seller_org_id:
            return Side.seller
        return None

    def is_deal_staff(self, user) -> bool:
        """The staff member (or admin) assigned to this deal: the only staff who see its
        content. An admin who is not assigned sees the deal's header and assigns staff."""
        if isinstance(user, SystemActor) or not getattr(user, "is_active", False):
            return False
        return bool(user.is_staff and self.assigned_staff_id == user.id)

    def roles_of(self, actor) -> frozenset:
        if isinstance(actor, SystemActor):
            return frozenset({SYSTEM_ROLE})
        roles = set()
        side = self.side_of(actor)
        if side is not None:
            roles.add(BUYER if side == Side.buyer else SELLER)
            roles.add(INITIATOR if side == self.initiator_side else RECIPIENT)
        if self.is_deal_staff(actor):
            roles.add(STAFF)
        return frozenset(roles)

    def can_view(self, user) -> bool:
        return self.side_of(user) is not None or self.is_deal_staff(user)

    @property
    def nda_passed(self) -> bool:
        return self.nda_completed_at is not None

    def nda_confirmed_by(self, side: Side) -> bool:
        column = "nda_buyer_confirmed_at" if side == Side.buyer else "nda_seller_confirmed_at"
        return getattr(self, column) is not None

    def sees_confidential_of(self, user, side: Side) -> bool:
        """Whether `user` may see `side`'s confidential listing section and attachments."""
        own = self.side_of(user)
        if own == side or self.is_deal_staff(user):
            return True
        return own is not None and self.nda_passed

    def accepted_version_of(self, side: Side) -> int | None:
        return self.buyer_accepted_version if side == Side.buyer else self.seller_accepted_version

    @property
    def current_terms(self) -> "DealTerms | None":
        return self.terms(self.current_version) if self.current_version else None

    def terms(self, version: int) -> "DealTerms | None":
        return db.session.scalar(sa.select(DealTerms).where(
            DealTerms.deal_id == self.id, DealTerms.version == version))

    # ---- what the actor may do now -----------------------------------------------------

    def allowed_actions(self, actor) -> set[str]:
        """Names of the actions `actor` may take now (for pages and the API)."""
        roles = self.roles_of(actor)
        actions = {rule.action for rule in RULES
                   if rule.source == self.state and roles & rule.who}
        side = self.side_of(actor)
        terms_author = self.current_terms.author_side if self.current_version else None
        if "confirm_nda" in actions and self.nda_confirmed_by(side):
            actions.discard("confirm_nda")
        if "accept_terms" in actions and (not self.current_version or terms_author == side):
            actions.discard("accept_terms")
        if self.state == DealState.negotiating and side is not None:
            actions.add("propose_terms")
            if self.current_version and terms_author != side \
                    and self.rejected_version != self.current_version:
                actions.add("reject_terms")
        if self.state == DealState.inquiry and side is not None and not self.nda_required:
            actions.add("require_nda")
        if not self.is_terminal and (side is not None or STAFF in roles):
            actions.add("post_message")
        if not self.is_terminal and side is not None and self.assigned_staff_id is None \
                and self.help_requested_at is None:
            actions.add("request_help")
        if self.can_claim(actor):
            actions.add("claim")
        if not self.is_terminal and getattr(actor, "is_admin", False):
            actions.add("assign_staff")
        return actions

    def can_claim(self, user) -> bool:
        return (not self.is_terminal and getattr(user, "is_staff", False)
                and getattr(user, "is_active", False) and self.assigned_staff_id is None
                and self.help_requested_at is not None)

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
        """Append a hash-chained event (and notify the people concerned)."""
        from . import events, notifications

        event = events.append(self, kind, actor, payload or {}, source=source, target=target,
                              touch=touch)
        notifications.for_event(self, event, actor)
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
        from .terms import validate_terms

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

    def accept_terms(self, actor, version: int) -> "DealEvent":
        """The side that did not write the current version accepts it: the deal is agreed."""
        self._lock()
        side = self._require_side(actor)
        self._require_negotiating()
        terms = self._require_current(int(version))
        if terms.author_side == side:
            raise Conflict(_l("This is your own offer; the other side has to answer it."))
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
        self._lock()
        side = self._require_side(actor)
        self._require_negotiating()
        terms = self._require_current(int(version))
        if terms.author_side == side:
            raise Conflict(_l("This is your own offer; the other side has to answer it."))
        if self.rejected_version == terms.version:
            raise Conflict(_l("You have already rejected this offer."))
        self.rejected_version = terms.version
        note = (note or "").strip() or None
        return self.record_event("reject_terms", actor, {"version": terms.version, "note": note})

    # ---- after agreement: called by the contract and payment modules -------------------

    def start_drafting(self, actor, payload: dict | None = None) -> "DealEvent":
        self._lock()
        return self._move("start_drafting", actor, payload=payload)

    def send_for_signature(self, actor, payload: dict | None = None) -> "DealEvent":
        self._lock()
        return self._move("send_for_signature", actor, payload=payload)

    def return_to_drafting(self, actor, payload: dict | None = None) -> "DealEvent":
        self._lock()
        return self._move("return_to_drafting", actor, payload=payload)

    def mark_signed(self, actor, payload: dict | None = None) -> "DealEvent":
        self._lock()
        return self._move("mark_signed", actor, payload=payload)

    def request_payment(self, actor, payload: dict | None = None) -> "DealEvent":
        self._lock()
        return self._move("request_payment", actor, payload=payload)

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

    def close(self, actor, payload: dict | None = None) -> "DealEvent":
        self._lock()
        return self._move("close", actor, payload=payload)

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


def stale_version(current: int | None) -> Conflict:
    if current is None:
        return Conflict(_l("The terms changed while you were answering. Reload the deal and "
                           "look at the latest version."), {"based_on_version": [
                               _l("This is no longer the latest version.")]})
    return Conflict(_l("The terms changed while you were answering: the latest version is "
                       "now %(version)s. Reload the deal and look at it first.", version=current),
                    {"based_on_version": [_l("This is no longer the latest version.")]})


class DealTerms(db.Model):
    """One immutable terms version: an offer or a counter-offer."""

    __tablename__ = "deal_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"),
                                         index=True)
    version: Mapped[int]
    based_on_version: Mapped[int | None]
    author_side: Mapped[Side] = mapped_column(enum_column(Side, 10))
    author_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id",
                                                             ondelete="RESTRICT"))
    author_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    fields: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="terms_versions")
    author_org: Mapped[Organisation] = relationship()
    author_user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("deal_id", "version", name="uq_deal_terms_deal_id_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    @property
    def digest(self) -> str:
        from .events import digest

        return digest({"deal_id": self.deal_id, "version": self.version, "fields": self.fields})


class DealEvent(db.Model):
    """An append-only record: `hash = SHA-256(prev_hash + canonical content)` per deal."""

    __tablename__ = "deal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="RESTRICT"),
                                         index=True)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(40))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                    ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    payload_digest: Mapped[str] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    deal: Mapped[Deal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("deal_id", "seq", name="uq_deal_events_deal_id_seq"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )

    @property
    def label(self):
        return EVENT_LABELS.get(self.kind, self.kind)

    @property
    def from_label(self):
        return STATE_LABELS.get(self.from_state) if self.from_state else None

    @property
    def to_label(self):
        return STATE_LABELS.get(self.to_state) if self.to_state else None


class DealMessage(db.Model):
    __tablename__ = "deal_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="RESTRICT"),
                                         index=True)
    author_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    author_side: Mapped[Side | None] = mapped_column(enum_column(Side, 10))  # None: staff
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()
    attachments: Mapped[list["DealAttachment"]] = relationship(
        back_populates="message", order_by="DealAttachment.id")

    @property
    def is_staff(self) -> bool:
        return self.author_side is None


class DealAttachment(db.Model):
    """A file sent in a deal's conversation, stored outside `static/` under a random name."""

    __tablename__ = "deal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="RESTRICT"),
                                         index=True)
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

    def visible_to(self, deal: Deal, user) -> bool:
        if not self.confidential:
            return deal.can_view(user)
        if self.uploader_side is None:  # staff uploads: both parties once the NDA passed
            return deal.is_deal_staff(user) or (deal.side_of(user) is not None
                                                and deal.nda_passed)
        return deal.sees_confidential_of(user, self.uploader_side)


class DealNotification(db.Model):
    """An in-app notice to one user about one deal event; e-mailed after commit."""

    __tablename__ = "deal_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"),
                                         index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("deal_events.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    user: Mapped[User] = relationship()
    deal: Mapped[Deal] = relationship()
    event: Mapped[DealEvent] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "event_id",
                                          name="uq_deal_notifications_user_id_event_id"),)


def _refuse_change(mapper, connection, target):
    raise DomainError(_l("Recorded deal history cannot be changed."))


for _model in (DealEvent, DealTerms):
    sa_event.listen(_model, "before_update", _refuse_change)
    sa_event.listen(_model, "before_delete", _refuse_change)


append_only.guard(DealEvent.__table__)

