"""A page's number of queries does not grow with the rows it shows (no query per card), in
the way of Indico's `count_queries`: the same page is counted with few rows and with many."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from tests.listings.helpers import make_listing


@contextmanager
def count_queries(app):
    """Collect the SQL statements run inside the block (`.statements`)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _add(app, make_user, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        startup, firm = make_user("startup"), make_user("firm")
        with app.test_request_context():
            ids += [make_listing(startup), make_listing(firm)]
    return ids


def _queries(app, client, path: str) -> int:
    assert client.get(path).status_code == 200  # warm: what is loaded once per process
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


PAGES = ["/ko/", "/ko/offerings", "/en/needs", "/ko/offerings?sector=mobility",
         "/ko/offerings?q=배터리", "/en/needs?sort=deadline"]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_runs_as_many_queries_for_many_rows_as_for_few(app, client, make_user, path):
    _add(app, make_user, 1)
    few = _queries(app, client, path)
    _add(app, make_user, 5)
    many = _queries(app, client, path)
    assert many == few, f"{path}: {few} queries with 1 row per list, {many} with 6"
    assert many <= 6


def test_a_listing_page_runs_a_fixed_handful_of_queries(app, client, make_user):
    first, _ = _add(app, make_user, 1)
    few = _queries(app, client, f"/ko/offerings/{first}")
    _add(app, make_user, 5)
    assert _queries(app, client, f"/ko/offerings/{first}") == few <= 5
