"""Domain events: subscribers by kind, run inside the sender's transaction."""

from types import SimpleNamespace

import pytest

from marketplace import domain_events
from marketplace.accounts.models import Organisation, User, Verification
from marketplace.domain_events import (
    deal_event,
    deal_event_of,
    domain,
    send_deal_event,
    subscribe,
    unwatch,
    watch_changes,
)
from marketplace.extensions import db


@pytest.fixture
def heard():
    """Receivers connected by a test are disconnected after it. The app's own receivers (deal
    notices, payment requests) are set aside meanwhile: these tests send made-up events."""
    calls, connected = [], []
    set_aside = [(signal, list(signal.receivers_for(object()))) for signal in domain.values()]
    for signal, receivers in set_aside:
        for fn in receivers:
            signal.disconnect(fn)
    yield calls, connected
    for signal, fn in connected:
        signal.disconnect(fn)
    for signal, receivers in set_aside:
        for fn in receivers:
            signal.connect(fn, weak=False)


def _event(kind):
    return SimpleNamespace(kind=kind)


def test_a_subscriber_hears_only_its_kind_and_every_kind_hears_all(heard):
    calls, connected = heard

    def on_signed(deal, event, actor):
        calls.append(("signed", deal, event.kind, actor))

    def on_any(deal, event, actor):
        calls.append(("any", deal, event.kind, actor))

    subscribe("mark_signed", on_signed)
    subscribe(None, on_any)
    connected += [(deal_event_of("mark_signed"), on_signed), (deal_event, on_any)]
    send_deal_event("deal-1", _event("decline"), "kim")
    send_deal_event("deal-1", _event("mark_signed"), None)
    assert calls == [("any", "deal-1", "decline", "kim"), ("any", "deal-1", "mark_signed", None),
                     ("signed", "deal-1", "mark_signed", None)]


def test_subscribing_twice_calls_once_and_works_as_a_decorator(heard):
    calls, connected = heard

    @subscribe("withdraw")
    def on_withdraw(deal, event, actor):
        calls.append(deal)

    subscribe("withdraw", on_withdraw)
    connected.append((deal_event_of("withdraw"), on_withdraw))
    send_deal_event("deal-2", _event("withdraw"), None)
    assert calls == ["deal-2"]


def test_receivers_write_inside_the_senders_transaction(app, make_user, heard):
    calls, connected = heard
    uid = make_user().id

    def rename(deal, event, actor):
        db.session.get(User, uid).display_name = "Renamed by a subscriber"

    subscribe("accept_terms", rename)
    connected.append((deal_event_of("accept_terms"), rename))
    with app.app_context():
        send_deal_event("deal", _event("accept_terms"), None)
        db.session.rollback()  # the action failed: the receiver's write goes with it
    with app.app_context():
        assert db.session.get(User, uid).display_name != "Renamed by a subscriber"
        send_deal_event("deal", _event("accept_terms"), None)
        db.session.commit()
    with app.app_context():
        assert db.session.get(User, uid).display_name == "Renamed by a subscriber"


def test_a_receivers_error_reaches_the_sender(heard):
    calls, connected = heard

    def refuse(deal, event, actor):
        raise RuntimeError("refused")

    subscribe("nda_signed", refuse)
    connected.append((deal_event_of("nda_signed"), refuse))
    with pytest.raises(RuntimeError):
        send_deal_event("deal", _event("nda_signed"), None)


def test_watched_fields_are_announced_after_a_flush(app, make_user, heard):
    calls, connected = heard
    signal = domain.signal("test-organisation-verification")
    watch_changes(Organisation, ["verification"], signal)
    watch_changes(Organisation, ["verification"], signal)  # once, however often it is declared

    def on_change(org, session):
        history = domain_events.sa.inspect(org).attrs.verification.history
        calls.append((org.id, list(history.deleted), session is db.session()))

    signal.connect(on_change)
    connected.append((signal, on_change))
    org_id = make_user(verified=False).organisation_id
    calls.clear()  # the new organisation was announced when it was first written
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        org.name_en = "Renamed"
        db.session.flush()
        assert calls == []  # not a watched field
        org.verification = Verification.verified
        db.session.flush()
        assert calls == [(org_id, [Verification.pending], True)]
        db.session.rollback()
    unwatch(Organisation, ["verification"], signal)
    with app.app_context():
        db.session.get(Organisation, org_id).verification = Verification.rejected
        db.session.flush()
        assert len(calls) == 1
        db.session.rollback()
