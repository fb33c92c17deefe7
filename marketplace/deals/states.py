"""What a deal can be and who may move it: its states, types and sides with their labels, the
explicit `RULES` table of transitions, and the labels of the events its history records.

Plain data, no database: the Deal model (`models.py`) checks every transition against `RULES`.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..accounts.models import OrgKind
from ..labels import LabelledEnum
from ..listings.models import DEAL_TYPE_LABELS as LISTING_DEAL_TYPE_LABELS


class DealState(LabelledEnum):
    inquiry = "inquiry", _l("Inquiry")
    nda = "nda", _l("NDA")
    negotiating = "negotiating", _l("Negotiating")
    agreed = "agreed", _l("Agreed")
    drafting = "drafting", _l("Contract drafting")
    signing = "signing", _l("Signing")
    signed = "signed", _l("Signed")
    payment_pending = "payment_pending", _l("Payment pending")
    paid = "paid", _l("Paid")
    partially_refunded = "partially_refunded", _l("Partly refunded")
    refunded = "refunded", _l("Refunded")
    closed = "closed", _l("Closed")
    withdrawn = "withdrawn", _l("Withdrawn")
    declined = "declined", _l("Declined")
    expired = "expired", _l("Expired")


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


class DealType(LabelledEnum):
    """Listings name the deal types they are open to (with these labels); deals add
    acquisition."""

    license = "license", LISTING_DEAL_TYPE_LABELS["license"]
    transfer = "transfer", LISTING_DEAL_TYPE_LABELS["transfer"]
    joint_development = "joint_development", LISTING_DEAL_TYPE_LABELS["joint_development"]
    poc = "poc", LISTING_DEAL_TYPE_LABELS["poc"]
    supply = "supply", LISTING_DEAL_TYPE_LABELS["supply"]
    investment = "investment", LISTING_DEAL_TYPE_LABELS["investment"]
    acquisition = "acquisition", _l("Acquisition")


class Side(LabelledEnum):
    buyer = "buyer", _l("Buyer")
    seller = "seller", _l("Seller")


# The stages a deal's page shows as a stepper, and the stage each state is at. A deal that
# was paid has passed them all; one withdrawn, declined or expired has none to show.
STAGES = (("inquiry", _l("Inquiry")), ("nda", _l("NDA")), ("negotiation", _l("Negotiation")),
          ("contract", _l("Contract")), ("signing", _l("Signing")), ("payment", _l("Payment")))
STAGE_OF_STATE = {
    DealState.inquiry: 0, DealState.nda: 1, DealState.negotiating: 2, DealState.agreed: 3,
    DealState.drafting: 3, DealState.signing: 4, DealState.signed: 5,
    DealState.payment_pending: 5, DealState.paid: 6, DealState.partially_refunded: 6,
    DealState.refunded: 6, DealState.closed: 6,
}


def stage_steps(state: DealState) -> list[dict] | None:
    """The stepper: each stage with `done` and `current`; None for a deal ended early. A deal
    past its last stage marks them all done and the last as where it stands."""
    reached = STAGE_OF_STATE.get(state)
    if reached is None:
        return None
    current = min(reached, len(STAGES) - 1)
    return [{"key": key, "label": label, "done": i < reached, "current": i == current}
            for i, (key, label) in enumerate(STAGES)]


# For modules that look a label up by the stored value (the programme figures, receipts).
STATE_LABELS = DealState.labels()
DEAL_TYPE_LABELS = DealType.labels()

DECLINE_REASONS = {
    "not_a_fit": _l("The technology does not fit our needs"),
    # The reasons a firm gives a challenge proposal, for proposals on a need too.
    "too_early_trl": _l("The technology is not mature enough yet (TRL)"),
    "unclear_benefit": _l("The benefit for our need is unclear"),
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
    "shortlist": _l("Shortlisted the proposal"),
    "post_message": _l("Sent a message"),
    "staff_comment": _l("Staff commented"),
    "request_help": _l("Asked staff for help"),
    "claim": _l("Staff took the deal on"),
    "assign_staff": _l("Assigned staff"),
}
