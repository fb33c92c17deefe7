"""The console's home: every queue staff work from, each with how many items wait in it."""

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..accounts.access import staff_required
from ..accounts.models import Organisation, User, Verification
from ..agreements import review as contract_review
from ..audit import AuditEntry
from ..clock import utcnow
from ..deals.models import TERMINAL_STATES, Deal
from ..extensions import db
from ..introductions import services as introductions
from ..listings.confidential import ConfidentialAccess
from ..listings.vocabulary import ListingKind
from ..matching import recommendations as matching
from ..questions.services import hidden_count as hidden_questions_count
from ..translation_requests import services as translation_requests
from .blueprint import bp
from .models import ProgrammeReport
from .queues import failed_jobs_count, hidden_listings_count, undelivered_count

UNMATCHED_SHOWN = 50  # the unmatched page lists this many of each kind


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def help_requests_count() -> int:
    """Deals whose parties asked for staff and that nobody has picked up yet."""
    return _count(Deal, Deal.help_requested_at.is_not(None), Deal.assigned_staff_id.is_(None),
                  Deal.state.not_in(TERMINAL_STATES))


def unmatched_count() -> str:
    n = sum(len(matching.unmatched(kind, limit=UNMATCHED_SHOWN + 1)) for kind in ListingKind)
    return str(n) if n <= 2 * UNMATCHED_SHOWN else f"{2 * UNMATCHED_SHOWN}+"


def queues(user) -> list[dict]:
    """[{endpoint, label, count (None: nothing to count), admin}] in the console's order."""
    items = [
        ("staff.verifications", _l("Organisation verification"),
         _count(Organisation, Organisation.verification == Verification.pending)),
        ("staff.hidden_listings", _l("Hidden listings"), hidden_listings_count()),
        ("questions.hidden", _l("Hidden questions on listings"), hidden_questions_count()),
        ("deals.staff_queue", _l("Deals asking for help"), help_requests_count()),
        ("staff.contract_reviews", _l("Contracts awaiting staff review"),
         contract_review.pending_count()),
        ("translation_requests.queue", _l("Translation requests"),
         translation_requests.open_count()),
        ("introductions.index", _l("Introductions to arrange"), introductions.open_count()),
        ("matching.staff_unmatched", _l("Unmatched listings"), unmatched_count()),
        ("staff.failed", _l("Failed jobs and undelivered e-mail"),
         failed_jobs_count() + undelivered_count()),
        ("staff.outbox", _l("E-mail outbox"), None),
        ("staff.pipeline", _l("Deal pipeline"), None),
        ("deals.integrity", _l("Deal log integrity"), None),
        ("stats.dashboards", _l("Dashboards"), None),
        ("staff.reports", _l("Monthly programme reports"), _count(ProgrammeReport)),
    ]
    out = [{"endpoint": e, "label": label, "count": n, "admin": False} for e, label, n in items]
    if user.is_admin:
        since = utcnow() - timedelta(days=30)
        out += [
            {"endpoint": "staff.confidential_access", "label": _l("Confidential access log"),
             "count": _count(ConfidentialAccess, ConfidentialAccess.created_at >= since),
             "admin": True},
            {"endpoint": "staff.audit", "label": _l("Audit trail"),
             "count": _count(AuditEntry, AuditEntry.created_at >= since), "admin": True},
            {"endpoint": "staff.users", "label": _l("Users and roles"), "count": _count(User),
             "admin": True},
        ]
    return out


@bp.route("/")
@staff_required
def home():
    return render_template("staff/home.html", queues=queues(current_user))
