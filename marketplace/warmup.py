"""Load before the first request or job what it would otherwise load inside it.

Kiwi (seconds and ~480 MB to build) serves every search and every listing's terms; the matching
model embeds listings when they are published, and search queries; search ranks long queries
with the engine's index of the public listings (seconds to read at 100,000 listings). Gunicorn
warms the app in its master before it forks the workers (`gunicorn.conf.py`), so the workers
share these pages copy-on-write; an RQ worker warms up before it takes its first job.
"""

import gc
import logging
import time

from flask import Flask

log = logging.getLogger(__name__)


def warm_up(app: Flask, matching: bool | None = None) -> float:
    """Build the analyser, the matching model (when this process runs matching jobs: a worker,
    or the web process itself without Redis, or one that searches by meaning), every template
    and the catalogs of every language; returns the seconds it took."""
    from flask_babel import force_locale, gettext

    from . import korean
    from .matching import get_model
    from .matching.search import semantic_search

    started = time.perf_counter()
    # a job worker (told whether it matches) does not search; a web process does
    searching = matching is None and semantic_search(app)
    if matching is None:
        # listing search embeds queries in every web process (SEARCH_SEMANTIC)
        matching = not app.config["REDIS_URL"] or searching
    korean.tokenize("기술 거래 준비")
    if matching:
        get_model(app.config["MATCHING_MODEL"]).embed(["기술 거래 준비", "ready to trade"])
    if searching:
        _search_indexes(app)
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
        app.jinja_env.get_template(name)
    with app.test_request_context():
        for lang in app.config["LANGUAGES"]:
            with force_locale(lang):
                gettext("Tech Trade-On")
    # What was loaded lives as long as the process: the collector need not walk it again (a
    # full collection over the model and the search index took longer than a broad search,
    # and came every few searches), nor write to its pages, which stay shared after a fork.
    gc.collect()
    gc.freeze()
    seconds = time.perf_counter() - started
    log.info("warmed up in %.1f s", seconds)
    return seconds


def _search_indexes(app: Flask) -> None:
    """The engine's index of each kind's public listings that search ranks long queries with;
    kept current afterwards by each search. A database not yet migrated is left for later."""
    import sqlalchemy as sa

    from .extensions import db
    from .listings.vocabulary import ListingKind
    from .matching.search_index import search_index
    from .matching.settings import get_engine

    with app.app_context():
        try:
            for kind in ListingKind:
                search_index(kind, get_engine())
        except sa.exc.DBAPIError:
            log.warning("search index not built at start: the database is not ready")
        finally:
            db.session.remove()
