"""Who is who on a deal, and what each may see and do now: the read-only half of the Deal
model (`models.Deal` mixes it in; the transitions that change a deal stay there).

Every check here reads the deal's own columns (and its current terms); nothing writes.
"""

import sqlalchemy as sa

from ..accounts.models import Organisation
from ..extensions import db
from ..labels import label_of
from .states import (
    BUYER,
    INITIATOR,
    OPEN_STATES,
    RECIPIENT,
    RULES,
    SELLER,
    STAFF,
    SYSTEM_ROLE,
    TERMINAL_STATES,
    DealState,
    Side,
    SystemActor,
)
from .terms import DealTerms

#: `turn_of`'s default: read the current terms' author from the database.
_CURRENT = object()


class DealRoles:
    """Sides, roles, visibility and the actions open to an actor, for `Deal`."""

    # ---- who is who --------------------------------------------------------------------

    state_label = label_of("state")
    deal_type_label = label_of("deal_type")

    @property
    def title(self) -> str:
        return self.offering.title if self.offering is not None else f"#{self.id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_proposal(self) -> bool:
        """A startup proposed its technology for the buyer's need."""
        return self.need_id is not None and self.initiator_side == Side.seller

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

    # ---- whose turn it is ----------------------------------------------------------------

    def turn_of(self, side: Side | None, terms_author=_CURRENT) -> str | None:
        """The step of the deal itself that waits on `side` now, or None: "answer_inquiry"
        (the side that received the inquiry accepts or declines it), "confirm_nda" (the side
        has not confirmed the NDA yet), "answer_offer" (the other side's current terms version,
        which this side has neither accepted nor rejected). `allowed_actions` offers the same
        steps on the deal page; contract and payment steps are asked of their own modules.

        `terms_author`: the side that wrote the current version, when the caller already
        loaded it (a list of deals); by default it is read here."""
        if side is None:
            return None
        if self.state == DealState.inquiry:
            return "answer_inquiry" if side != self.initiator_side else None
        if self.state == DealState.nda:
            return None if self.nda_confirmed_by(side) else "confirm_nda"
        if self.state == DealState.negotiating and self.current_version:
            if terms_author is _CURRENT:
                terms_author = self.current_terms.author_side
            if terms_author != side and self.rejected_version != self.current_version \
                    and self.accepted_version_of(side) != self.current_version:
                return "answer_offer"
        return None

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
            if self.turn_of(side, terms_author) == "answer_offer":
                actions.add("reject_terms")
        if self.state == DealState.inquiry and side is not None and not self.nda_required:
            actions.add("require_nda")
        if not self.is_terminal and (side is not None or STAFF in roles):
            actions.add("post_message")
        if not self.is_terminal and side is not None and self.assigned_staff_id is None \
                and self.help_requested_at is None:
            actions.add("request_help")
        if self.is_proposal and self.state == DealState.inquiry and side == Side.buyer \
                and self.shortlisted_at is None:
            actions.add("shortlist")
        if self.can_claim(actor):
            actions.add("claim")
        if not self.is_terminal and getattr(actor, "is_admin", False):
            actions.add("assign_staff")
        return actions

    def can_claim(self, user) -> bool:
        return (not self.is_terminal and getattr(user, "is_staff", False)
                and getattr(user, "is_active", False) and self.assigned_staff_id is None
                and self.help_requested_at is not None)

