"""The transition table is DESIGN.md's diagram, and every move in it (allowed or refused) is
walked for every kind of actor."""

import ast
from pathlib import Path

import pytest

from marketplace.deals import services
from marketplace.deals.models import Deal
from marketplace.deals.states import (
    AGREED_STATES,
    OPEN_STATES,
    REFUND_ACTIONS,
    RULES,
    SYSTEM,
    TRANSITION_ACTIONS,
    TRANSITIONS,
    DealState,
    Side,
)
from marketplace.deals.terms import DealTerms
from marketplace.errors import DomainError
from marketplace.extensions import db

from .conftest import LICENSE, load

S = DealState
DIAGRAM = {
    (S.inquiry, S.nda), (S.inquiry, S.negotiating), (S.nda, S.negotiating),
    (S.negotiating, S.agreed), (S.agreed, S.drafting), (S.drafting, S.signing),
    (S.signing, S.drafting),
    (S.signing, S.signed), (S.signed, S.closed), (S.signed, S.payment_pending),
    (S.payment_pending, S.paid), (S.paid, S.closed), (S.partially_refunded, S.closed),
} | {(source, end) for source in (S.inquiry, S.nda, S.negotiating, S.agreed, S.drafting,
                                  S.signing)
     for end in (S.withdrawn, S.declined, S.expired)
} | {(source, end) for source in (S.paid, S.partially_refunded, S.refunded)  # refunds
     for end in (S.paid, S.partially_refunded, S.refunded) if source != end}

# Roles each test actor holds on the deal (buyer opened it; staff is assigned to it; an
# admin who is not assigned holds none).
ACTORS = {
    "buyer": {"buyer", "initiator"}, "seller": {"seller", "recipient"}, "staff": {"staff"},
    "admin": set(), "other_staff": set(), "outsider": set(), "system": {"system"},
}


def test_table_is_the_design_diagram():
    assert set(TRANSITIONS) == DIAGRAM
    assert set(OPEN_STATES) == {s for s, _ in DIAGRAM if _ == S.expired}
    assert len(RULES) == len(DIAGRAM)


def test_views_never_set_state():
    source = Path(services.__file__).with_name("views.py").read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            assert not any(isinstance(t, ast.Attribute) and t.attr == "state" for t in targets)


def _forced(p, state: DealState, actor_key: str) -> Deal:
    """A deal put straight into `state`, with what that state implies (terms, NDA)."""
    buyer = load(p["buyer"])
    deal = Deal(deal_type="license", buyer_org_id=buyer.organisation_id,
                seller_org_id=p["seller"].organisation_id, initiator_side=Side.buyer,
                offering_id=p["offering_id"], opened_by_id=buyer.id,
                assigned_staff_id=p["staff"].id, nda_required=state == S.nda)
    db.session.add(deal)
    db.session.flush()
    if state == S.negotiating or state in AGREED_STATES:
        db.session.add(DealTerms(deal_id=deal.id, version=1, author_side=Side.seller,
                                 author_org_id=p["seller"].organisation_id,
                                 author_user_id=p["seller"].id, currency="KRW",
                                 fields=LICENSE))
        deal.current_version, deal.seller_accepted_version = 1, 1
        if state in AGREED_STATES:
            deal.buyer_accepted_version = 1
    if state == S.nda:  # the other side confirmed already, so this confirmation completes it
        other = "buyer" if actor_key == "seller" else "seller"
        setattr(deal, f"nda_{other}_confirmed_at", deal.created_at)
        deal.nda_sha256 = "0" * 64  # the NDA PDF the other side confirmed
    deal.state = state
    db.session.flush()
    return deal


def _call(deal, action, actor):
    if action == "confirm_nda":
        return deal.confirm_nda(actor, deal.nda_sha256)
    if action == "accept_terms":
        return deal.accept_terms(actor, deal.current_version or 1)
    if action == "decline":
        return deal.decline(actor, "price")
    if action in REFUND_ACTIONS.values():
        target = next(s for s, a in REFUND_ACTIONS.items() if a == action)
        return deal.follow_refunds(actor, target)
    return getattr(deal, action)(actor)


def _expected(state, action, actor_key):
    roles = ACTORS[actor_key]
    rules = [r for r in RULES if r.action == action and r.source == state and r.who & roles]
    if action == "accept_inquiry":  # without an NDA requirement the inquiry goes to talks
        rules = [r for r in rules if r.target == S.negotiating]
    if action == "accept_terms" and actor_key == "seller":  # the seller wrote version 1
        rules = []
    return rules[0].target if rules else None


@pytest.mark.parametrize("state", list(DealState))
def test_walk_every_move(ctx, parties, state):
    p = parties
    users = {key: load(p[key]) for key in ACTORS if key != "system"}
    users["system"] = SYSTEM
    allowed = refused = 0
    for action in TRANSITION_ACTIONS:
        for actor_key, actor in users.items():
            deal = _forced(p, state, actor_key)
            expected = _expected(state, action, actor_key)
            before = deal.event_seq
            if expected is None:
                try:
                    result = _call(deal, action, actor)
                except DomainError:
                    pass
                else:  # only a repeated payment webhook may be ignored without an error
                    assert (action, actor_key, result) == ("mark_paid", "system", None), \
                        f"{action} by {actor_key} from {state} should be refused"
                assert deal.state == state and deal.event_seq == before
                refused += 1
            else:
                _call(deal, action, actor)
                assert deal.state == expected, f"{action} by {actor_key} from {state}"
                event = deal.events[-1]
                assert (event.kind, event.from_state, event.to_state) == (
                    action, state.value, expected.value)
                assert event.actor_user_id == getattr(actor, "id", None)
                allowed += 1
    assert allowed + refused == len(TRANSITION_ACTIONS) * len(users)
    assert allowed == sum(_expected(state, a, k) is not None
                          for a in TRANSITION_ACTIONS for k in users)
    db.session.rollback()


def test_accept_inquiry_with_nda_goes_to_nda(ctx, parties):
    from .conftest import open_deal

    deal = open_deal(parties)
    deal.accept_inquiry(load(parties["seller"]), require_nda=True)
    assert deal.state == S.nda and deal.nda_required_by == Side.seller


def test_terminal_deal_refuses_everything(ctx, parties):
    from .conftest import open_deal

    deal = open_deal(parties)
    deal.withdraw(load(parties["buyer"]), "changed plans")
    for action in TRANSITION_ACTIONS:
        for actor in (load(parties["buyer"]), load(parties["seller"]), SYSTEM):
            with pytest.raises(DomainError):
                _call(deal, action, actor)
    assert deal.state == S.withdrawn and deal.ended_at is not None
