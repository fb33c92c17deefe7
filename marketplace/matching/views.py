"""Recommendation pages. Thin: look up with the viewer's organisation, call the services,
commit once here."""

from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..accounts.access import staff_required
from ..accounts.models import Organisation, OrgKind
from ..actions import done, run_action
from ..errors import NotFound
from ..extensions import db
from ..forms import apply_domain_error
from ..listings.services import organisation_listings
from ..listings.vocabulary import ListingKind
from . import notices, profiles, recommendations, startups
from .forms import ActionForm, ProfileForm
from .records import REGION_LABELS, InvestorStage
from .settings import setting

bp = Blueprint("matching", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/matches")


@bp.app_context_processor
def _helpers():
    return {"matching_recommendations": _recommendations_for_page}


def _recommendations_for_page(listing):
    """For the listing pages: the ranked counterparts, or None when the viewer may not see
    them (only the listing's organisation and staff do)."""
    if not recommendations.can_see_recommendations(listing, current_user):
        return None
    items = recommendations.recommendations(listing, limit=10)
    challenges = ([r for r in items if r.open_challenge is not None]
                  if listing.kind == ListingKind.offering else [])
    return {"items": items, "challenges": challenges, "is_member": listing.is_member(current_user),
            "form": ActionForm(formdata=None), "interest_url": recommendations.interest_url}


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/")
@login_required
def mine():
    org = current_user.organisation
    if org is not None and org.kind == OrgKind.investor:
        return redirect(url_for("matching.investor"))
    listings = []
    if org is not None:
        listings = [(x, recommendations.recommendations(x, limit=3))
                    for x in organisation_listings(org, "published")]
    return render_template("matching/mine.html", listings=listings,
                           notices=notices.notices_for(current_user))


def _dismissed(_result) -> None:
    flash(_("The recommendation will not be shown again."), "success")


@bp.route("/<int:match_id>/dismiss", methods=["POST"])
@login_required
def dismiss(match_id):
    match, side = recommendations.match_for_member_or_404(match_id, current_user)
    if ActionForm().validate_on_submit():
        run_action(lambda: recommendations.dismiss(match, side), on_success=_dismissed)
    own = match.need if side == ListingKind.need else match.offering
    return redirect(_back(url_for(f"listings.{own.kind}", listing_id=own.id,
                                  _anchor="recommendations")), code=303)


# -- investors ---------------------------------------------------------------------------------

def _investor_org() -> Organisation:
    """The investor whose page this is: the viewer's own, or for staff the one asked for."""
    org = current_user.organisation
    if current_user.is_staff and request.args.get("org", type=int):
        org = db.session.get(Organisation, request.args.get("org", type=int))
    if org is None or org.kind != OrgKind.investor:
        raise NotFound(_l("Only investors have startup recommendations."))
    return org


@bp.route("/startups")
@login_required
def investor():
    org = _investor_org()
    profile = profiles.profile_for(org)
    items = startups.ranked_startups(profile)
    return render_template("matching/investor.html", org=org, profile=profile, items=items,
                           form=ActionForm(formdata=None), stage_labels=InvestorStage.labels(),
                           region_labels=REGION_LABELS,
                           is_member=org.id == current_user.organisation_id,
                           interest_url=recommendations.interest_url)


@bp.route("/startups/<int:match_id>/dismiss", methods=["POST"])
@login_required
def dismiss_startup(match_id):
    match = recommendations.investor_match_for_member_or_404(match_id, current_user)
    if ActionForm().validate_on_submit():
        run_action(lambda: recommendations.dismiss_investor_match(match), on_success=_dismissed)
    return redirect(url_for("matching.investor"), code=303)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    org = current_user.organisation
    if org is None or org.kind != OrgKind.investor:
        raise NotFound(_l("Only investors keep an interest profile."))
    current = profiles.profile_for(org)
    form = ProfileForm(profile=current)
    if form.validate_on_submit():
        data = form.to_data()
        if data is not None:
            answer = run_action(
                lambda: profiles.save_profile(current_user, data),
                on_success=done(_("Your interest profile has been saved. Recommendations are "
                                  "being updated."), url_for("matching.investor")),
                on_error=partial(apply_domain_error, form), reraise=())
            if answer is not None:
                return answer
    status = 400 if form.errors or form.form_errors else 200
    return render_template("matching/profile.html", form=form, profile=current), status


# -- staff -------------------------------------------------------------------------------------

@bp.route("/staff/unmatched")
@staff_required
def staff_unmatched():
    return render_template("matching/unmatched.html",
                           needs=recommendations.unmatched(ListingKind.need),
                           offerings=recommendations.unmatched(ListingKind.offering),
                           weak=setting("MATCHING_WEAK_SCORE"))
