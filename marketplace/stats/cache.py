"""Computed figures kept in the process, exact by construction.

An entry is the `Figures` of one set of filters under one data version (`models.FiguresVersion`,
raised by every commit that changes what the figures read). A page reads the version first
(one primary-key lookup) and serves the figures kept under it, or computes them and keeps them:
whatever was committed before the version was read is in them, so a page from the cache shows
what a fresh computation would. Figures under an older version are dropped when a newer one is
kept. A session holding uncommitted changes to that data computes afresh and keeps nothing.

In the process rather than in Redis: an entry is a few kilobytes of Python data that every
page reads whole, each worker fills its own in one computation per change, and the version
(in the database) keeps every worker exact without telling the others anything.
`STATS_CACHE_SIZE` bounds the entries per process (0: no cache).
"""

import threading
from collections import OrderedDict

from flask import current_app

from ..extensions import db
from .figures import Figures, Filters
from .models import has_figure_changes, read_version

_LOCK = threading.Lock()


def figures_for(f: Filters) -> Figures:
    """The figures for `f`: kept ones for the current data version, or new ones (kept)."""
    size = int(current_app.config["STATS_CACHE_SIZE"])
    if size <= 0 or has_figure_changes(db.session):
        return Figures(f)
    version = read_version(db.session)
    if version is None:  # nothing changed since the table was made: no version to key by
        return Figures(f)
    entries = kept_figures(current_app)
    key = (f, version)
    with _LOCK:
        kept = entries.get(key)
        if kept is not None:
            entries.move_to_end(key)
            return kept
        for old in [k for k in entries if k[1] != version]:
            del entries[old]
        entries[key] = kept = Figures(f)
        while len(entries) > size:
            entries.popitem(last=False)
    return kept


def kept_figures(app) -> OrderedDict:
    """The app's kept figures: {(filters, version): Figures}, least recently used first."""
    return app.extensions.setdefault("stats_figures", OrderedDict())
