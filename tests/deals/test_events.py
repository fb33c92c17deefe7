"""The event log is a hash chain: editing, deleting or forging an old event is detected by
`flask deals verify-log` and the staff page."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace.deals import events, integrity
from marketplace.deals.events import DealEvent
from marketplace.errors import DomainError
from marketplace.extensions import db

from .conftest import LICENSE, load, negotiating_deal


def _deal_with_history(p) -> int:
    deal = negotiating_deal(p)
    deal.propose_terms(load(p["buyer"]), None, LICENSE)
    deal.accept_terms(load(p["seller"]), 1)
    db.session.commit()
    return deal.id


def test_chain_links_every_event(ctx, parties):
    deal_id = _deal_with_history(parties)
    rows = db.session.scalars(sa.select(DealEvent).where(DealEvent.deal_id == deal_id)
                              .order_by(DealEvent.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == events.GENESIS
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    assert rows[2].payload["terms"] == LICENSE
    assert rows[3].from_state == "negotiating" and rows[3].to_state == "agreed"
    assert integrity.verify(deal_id).intact


@contextmanager
def _tampering():
    """A connection that edits the log behind the application's back. On PostgreSQL that
    takes the table owner switching the append-only trigger off first."""
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(sa.text("ALTER TABLE deal_events DISABLE TRIGGER USER"))
        yield conn
        if postgres:
            conn.execute(sa.text("ALTER TABLE deal_events ENABLE TRIGGER USER"))


def _json(conn) -> str:
    return "CAST(:v AS JSON)" if conn.dialect.name == "postgresql" else ":v"


@pytest.mark.parametrize("column, value", [
    ("payload", '{"version": 1, "based_on": 0, "terms": {"currency": "KRW"}}'),
    ("to_state", "closed"),
    ("actor_user_id", None),
    ("ip", "10.0.0.1"),
])
def test_raw_update_of_an_old_event_is_detected(app, runner, parties, column, value):
    with app.test_request_context():
        deal_id = _deal_with_history(parties)
        other_id = _second_deal(parties)
    with app.app_context():
        with _tampering() as conn:
            target = _json(conn) if column == "payload" else ":v"
            conn.execute(sa.text(f"UPDATE deal_events SET {column} = {target} "
                                 "WHERE deal_id = :d AND seq = 3"), {"d": deal_id, "v": value})
        report = integrity.verify(deal_id)
        assert not report.intact and "#3" in " ".join(report.problems)
        assert integrity.verify(other_id).intact
    result = runner.invoke(args=["deals", "verify-log"])
    assert result.exit_code == 1
    assert f"deal {deal_id}: BROKEN" in result.output
    assert f"deal {other_id}: intact" in result.output
    single = runner.invoke(args=["deals", "verify-log", str(other_id)])
    assert single.exit_code == 0 and "1 deal(s) checked, 0 broken" in single.output


def _second_deal(p) -> int:
    from .conftest import open_deal

    deal = open_deal(p, deal_type="poc")
    db.session.commit()
    return deal.id


def test_deleting_the_last_event_is_detected(app, parties):
    with app.test_request_context():
        deal_id = _deal_with_history(parties)
    with app.app_context():
        with _tampering() as conn:
            conn.execute(sa.text("DELETE FROM deal_events WHERE deal_id = :d AND seq = 4"),
                         {"d": deal_id})
        report = integrity.verify(deal_id)
        assert not report.intact and "4 events, 3 remain" in report.problems[-1]


def test_rewriting_the_whole_chain_needs_the_hashes_too(app, parties):
    """Editing a payload and its digest still breaks the event's hash."""
    with app.test_request_context():
        deal_id = _deal_with_history(parties)
    with app.app_context():
        fake = {"version": 1, "based_on": 0, "terms": {**LICENSE, "upfront_fee": 1}}
        with _tampering() as conn:
            conn.execute(sa.text(f"UPDATE deal_events SET payload = {_json(conn)}, "
                                 "payload_digest = :g WHERE deal_id = :d AND seq = 3"),
                         {"v": events.canonical(fake).decode(), "g": events.digest(fake),
                          "d": deal_id})
        problems = integrity.verify(deal_id).problems
        assert any("content was changed" in p for p in problems)


def test_the_application_refuses_to_edit_events(ctx, parties):
    deal_id = _deal_with_history(parties)
    event = db.session.scalar(sa.select(DealEvent).where(DealEvent.deal_id == deal_id))
    event.kind = "something else"
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(DealEvent, event.id))
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_to_edit_events(app, parties):
    """On PostgreSQL even raw SQL cannot change or delete an event (SQLite: the models only)."""
    with app.test_request_context():
        deal_id = _deal_with_history(parties)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's")
        for statement in ("UPDATE deal_events SET ip = '1.2.3.4' WHERE deal_id = :d",
                          "DELETE FROM deal_events WHERE deal_id = :d"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(sa.text(statement), {"d": deal_id})
        assert integrity.verify(deal_id).intact


def test_staff_page_reports_chains(app, client, parties, login_as):
    with app.test_request_context():
        deal_id = _deal_with_history(parties)
    with app.app_context(), _tampering() as conn:
        conn.execute(sa.text("UPDATE deal_events SET ip = '1.2.3.4' WHERE seq = 2"))
    login_as(parties["admin"], lang="en")
    html = client.get("/en/deals/staff/integrity").get_data(as_text=True)
    assert f'data-deal="{deal_id}" data-intact="false"' in html
    detail = client.get(f"/en/deals/{deal_id}").get_data(as_text=True)
    assert "The record of this deal has been altered." in detail
