"""Pages for visitors who are not signed in, kept rendered in the process under the version of
the data (`data_versions`).

The home, browse, search and listing pages are the same for every such visitor, and rendering
one cost several times what serving a redirect does. A page is kept under its path and query, the
language, the data's version and the minute. Every commit that writes anything raises the
version (except writes to tables no such page reads, `PRIVATE_TABLES`), so a kept page is the
page rendering it again would give; the minute bounds what the clock alone changes (a challenge
closing, "closes in 3 days"). Never kept or served: pages of signed-in users (they show who is
signed in), a request with a message waiting to be shown (`flash`), anything but a 200 page,
and pages read by a session holding uncommitted writes. `PAGE_CACHE_SIZE` bounds the pages per
process (0: none, and commits leave the version alone).
"""

import functools
import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .data_versions import DataVersion
from .extensions import db

# Tables whose rows no page for visitors shows: writing them leaves the kept pages.
PRIVATE_TABLES = frozenset({
    "listing_views", "notifications", "notification_preferences", "job_runs", "job_outbox",
    "outbox_messages", "user_sessions", "api_tokens", "audit_entries", "stats_figures_version",
    "page_cache_version"})
_LOCK = threading.Lock()


class PageCacheVersion(db.Model):
    __tablename__ = "page_cache_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    epoch: Mapped[str] = mapped_column(sa.String(32))
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def _size() -> int:
    return int(current_app.config.get("PAGE_CACHE_SIZE") or 0) if has_app_context() else 0


def _public(table_name: str | None) -> bool:
    return table_name not in PRIVATE_TABLES


pages_version = DataVersion(
    PageCacheVersion.__table__, lambda obj: _public(getattr(obj, "__tablename__", None)),
    lambda cls: cls is None or _public(getattr(cls, "__tablename__", None)),
    lambda: _size() > 0)


def kept_pages(app) -> OrderedDict:
    """The app's kept pages: {(path, language, version, minute): html}, least recently used
    first."""
    return app.extensions.setdefault("page_cache", OrderedDict())


def for_visitors(view):
    """Serve the view's page from the kept pages to visitors who are not signed in."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        size = _size()
        if (size <= 0 or request.method != "GET" or current_user.is_authenticated
                or session.get("_flashes") or pages_version.has_changes(db.session)):
            return view(*args, **kwargs)
        version = pages_version.read(db.session)
        if version is None:  # nothing written since the table was made
            return view(*args, **kwargs)
        minute = utcnow().replace(second=0, microsecond=0)
        key = (request.full_path, str(get_locale()), version, minute)
        pages = kept_pages(current_app)
        with _LOCK:
            html = pages.get(key)
            if html is not None:
                pages.move_to_end(key)
                return html
        html = view(*args, **kwargs)
        if isinstance(html, str):
            with _LOCK:
                for old in [k for k in pages if k[2:] != key[2:]]:
                    del pages[old]
                pages[key] = html
                while len(pages) > size:
                    pages.popitem(last=False)
        return html

    return wrapper
