"""The queue of contract drafts a party asked staff to review."""

from flask import render_template

from ..accounts.access import staff_required
from ..agreements import review
from .blueprint import bp


@bp.route("/contract-reviews")
@staff_required
def contract_reviews():
    return render_template("staff/contract_reviews.html", contracts=review.pending_reviews())
