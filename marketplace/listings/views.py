"""Listing pages: browse and search, detail, posting and editing, lifecycle buttons,
attachments, challenges. Thin: parse input, call the domain, commit once, render."""

import json
import math
from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from ..accounts.access import staff_required
from ..actions import done, flash_and_redirect, run_action
from ..errors import NotFound
from ..extensions import db
from ..forms import apply_domain_error
from ..page_cache import for_visitors
from . import attachments, challenges, moderation, search, services, visits
from .browse import browse
from .cards import card_key, detail_key
from .challenges import DeclineReason
from .confidential import (
    STAFF_CONFIDENTIAL_MINUTES,
    can_see_confidential,
    staff_access_until,
)
from .forms import (
    AttachmentForm,
    ChallengeForm,
    CloseForm,
    ConfidentialViewForm,
    DeclineForm,
    HideForm,
    SubmissionForm,
    form_for,
)
from .models import Listing, get_listing_or_404
from .vocabulary import (
    DEAL_TYPE_LABELS,
    SECTOR_LABELS,
    TRL_LABELS,
    ListingKind,
    ListingStatus,
    kind_for_organisation,
)

bp = Blueprint("listings", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>")

BROWSE_TITLES = {ListingKind.need: _l("Technology needs"),
                 ListingKind.offering: _l("Technology offerings")}
LANGUAGE_NAMES = {"ko": _l("Korean"), "en": _l("English")}


def _viewer():
    return current_user if current_user.is_authenticated else None


def listing_url(listing: Listing, **kwargs) -> str:
    return url_for(f"listings.{listing.kind}", listing_id=listing.id, **kwargs)


def lang_attr(listing) -> Markup:
    """` lang="en"` for an element showing a listing's text in the other language than the
    page's (a listing written in one language only), else nothing."""
    if listing is None:
        return Markup("")
    shown, page = listing.display_lang(), str(get_locale() or "ko")
    return Markup(' lang="%s"') % shown if shown != page else Markup("")


@bp.app_context_processor
def _helpers():
    return {"listing_url": listing_url, "listing_card_key": card_key,
            "listing_detail_key": detail_key, "trl_labels": TRL_LABELS,
            "language_names": LANGUAGE_NAMES, "lang_attr": lang_attr}


# -- browse and search ------------------------------------------------------------------------


def _browse(kind: ListingKind):
    params = search.parse_params(request.args)
    found = browse(kind, params)
    pages = max(1, math.ceil(found.total / params.per_page))
    args = {k: v for k, v in request.args.items(multi=False) if k != "page" and v}
    facet_key = json.dumps(found.facets, sort_keys=True)  # the cached filter form shows them
    return render_template("listings/browse.html", kind=kind, title=BROWSE_TITLES[kind],
                           items=found.items, total=found.total, params=params, pages=pages,
                           args=args, sectors=SECTOR_LABELS, deal_types=DEAL_TYPE_LABELS,
                           facets=found.facets, facet_key=facet_key, corrected=found.corrected)


@bp.route("/needs")
@for_visitors
def needs():
    return _browse(ListingKind.need)


@bp.route("/offerings")
@for_visitors
def offerings():
    return _browse(ListingKind.offering)


# -- detail -----------------------------------------------------------------------------------


#: The listing page shows the attachments and the challenge: loaded with the listing, in one
#: query (the options are built once; they hold no state of a request).
_DETAIL_LOADS = (joinedload(Listing.attachments), joinedload(Listing.challenge))


def _detail(kind: ListingKind | None, listing_id: int, confidential_form=None):
    listing = get_listing_or_404(listing_id, _viewer(), kind, options=_DETAIL_LOADS)
    viewer = _viewer()
    counted = request.method == "GET" and visits.record_view(listing, viewer)
    is_owner = listing.can_edit(viewer)
    confidential = can_see_confidential(listing, viewer)
    staff_until = staff_access_until(listing, viewer)
    if confidential_form is None and not confidential and getattr(viewer, "is_staff", False):
        confidential_form = ConfidentialViewForm(formdata=None)
    attachments = [a for a in listing.attachments if confidential or not a.confidential]
    submission_form = None
    challenge = listing.challenge
    if (challenge is not None and challenge.is_open and viewer is not None
            and viewer.organisation is not None
            and kind_for_organisation(viewer.organisation) == ListingKind.offering):
        own = [o for o in services.organisation_listings(viewer.organisation, "published")
               if o.kind == ListingKind.offering]
        submission_form = SubmissionForm(offerings=own, formdata=None)
    page = render_template(
        "listings/detail.html", listing=listing, is_owner=is_owner, confidential=confidential,
        confidential_form=confidential_form, staff_until=staff_until,
        window_minutes=STAFF_CONFIDENTIAL_MINUTES, attachments=attachments, challenge=challenge,
        submission_form=submission_form,  # the owner's and staff's forms only for them
        close_form=CloseForm(formdata=None) if is_owner else None,
        hide_form=HideForm(formdata=None) if getattr(viewer, "is_staff", False) else None,
        attachment_form=AttachmentForm(formdata=None) if is_owner else None)
    if counted:  # after rendering, so the commit reloads nothing the page reads
        db.session.commit()
    return page


@bp.route("/needs/<int:listing_id>")
@for_visitors
def need(listing_id):
    return _detail(ListingKind.need, listing_id)


@bp.route("/offerings/<int:listing_id>")
@for_visitors
def offering(listing_id):
    return _detail(ListingKind.offering, listing_id)


# -- posting and editing ----------------------------------------------------------------------


def _post(kind: ListingKind):
    org = current_user.organisation
    if org is None or kind_for_organisation(org) != kind:
        abort(403)
    form = form_for(kind)()
    if form.validate_on_submit() and (data := form.to_data()) is not None:

        def create():
            listing = services.create_listing(org, current_user, data, kind=kind)
            if request.form.get("action") == "publish":
                listing.publish(current_user)
            return listing

        def saved(listing):
            return done(_("Your listing is published.")
                        if listing.status == ListingStatus.published
                        else _("Your draft is saved."), listing_url(listing), code=302)(listing)

        answer = run_action(create, on_success=saved, on_error=partial(apply_domain_error, form),
                            reraise=())
        if answer is not None:
            return answer
    return render_template("listings/edit.html", form=form, kind=kind,
                           listing=None), 400 if form.errors or form.form_errors else 200


@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def new_need():
    return _post(ListingKind.need)


@bp.route("/offerings/new", methods=["GET", "POST"])
@login_required
def new_offering():
    return _post(ListingKind.offering)


def _owned(listing_id: int) -> Listing:
    """The listing for its owning organisation: others get 404 for what they cannot see and
    403 for a public listing that is not theirs."""
    listing = get_listing_or_404(listing_id, _viewer())
    if not listing.can_edit(current_user):
        abort(403)
    return listing


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id):
    listing = _owned(listing_id)
    form = form_for(listing.kind)(listing=listing)
    if form.validate_on_submit() and (data := form.to_data()) is not None:

        def save():
            services.update_listing(listing, current_user, data)
            if request.form.get("action") == "publish" and listing.status == "draft":
                listing.publish(current_user)

        answer = _on_form(form, save, done(_("Your changes are saved."), listing_url(listing),
                                           code=302))
        if answer is not None:
            return answer
    return render_template("listings/edit.html", form=form, kind=listing.kind,
                           listing=listing), 400 if form.errors or form.form_errors else 200


def _on_form(form, action, on_success):
    """Run a form's action; a refusal is shown on the form (None: show the page again), except
    that a 403 or 404 stays one."""
    return run_action(action, on_success=on_success, on_error=partial(apply_domain_error, form),
                      reraise=(403, 404))


def _act(listing: Listing, action, success: str, url: str | None = None):
    """Run a transition; a refused one is explained on the listing's page (or at `url`)."""
    url = url or listing_url(listing)
    return run_action(action, on_success=done(success, url, code=302),
                      on_error=flash_and_redirect(url), reraise=(403, 404))


def _with_reason(listing: Listing, form, missing: str, action, success: str):
    """A transition that needs the form's reason: without one, `missing` is explained."""
    if not form.validate_on_submit():
        flash(missing, "danger")
        return redirect(listing_url(listing))
    return _act(listing, lambda: action(form.reason.data), success)


def _owner_transition(name: str, success) -> None:
    """The POST route `listings.<name>`: the owning organisation runs `listing.<name>()`."""

    @login_required
    def view(listing_id):
        listing = _owned(listing_id)
        return _act(listing, lambda: getattr(listing, name)(current_user), str(success))

    bp.add_url_rule(f"/listings/<int:listing_id>/{name}", name, view, methods=["POST"])


for _name, _success in (("publish", _l("Your listing is published.")),
                        ("reopen", _l("The listing is open again.")),
                        ("archive", _l("The listing is archived."))):
    _owner_transition(_name, _success)


@bp.route("/listings/<int:listing_id>/close", methods=["POST"])
@login_required
def close(listing_id):
    listing = _owned(listing_id)
    return _with_reason(listing, CloseForm(), _("Choose why the listing is closed."),
                        lambda reason: listing.close(current_user, reason),
                        _("The listing is closed."))


@bp.route("/listings/<int:listing_id>/hide", methods=["POST"])
@staff_required
def hide(listing_id):
    listing = get_listing_or_404(listing_id, current_user)
    return _with_reason(listing, HideForm(), _("Give a reason for hiding the listing."),
                        lambda reason: moderation.hide(listing, current_user, reason),
                        _("The listing is hidden and its organisation was told why."))


@bp.route("/listings/<int:listing_id>/unhide", methods=["POST"])
@staff_required
def unhide(listing_id):
    listing = get_listing_or_404(listing_id, current_user)
    return _act(listing, lambda: moderation.unhide(listing, current_user),
                _("The listing is visible again."))


@bp.route("/listings/<int:listing_id>/confidential", methods=["POST"])
@staff_required
def view_confidential(listing_id):
    """Staff open the confidential details on purpose; the access is recorded for admins."""
    listing = get_listing_or_404(listing_id, current_user)
    form = ConfidentialViewForm()
    if form.validate_on_submit():

        def opened(_access):
            flash(_("The confidential details are open to you for %(n)d minutes. This access "
                    "is recorded.", n=STAFF_CONFIDENTIAL_MINUTES), "info")
            return redirect(listing_url(listing, _anchor="confidential"), code=303)

        answer = run_action(
            lambda: moderation.view_confidential(listing, current_user, form.reason.data),
            on_success=opened, on_error=partial(apply_domain_error, form), reraise=())
        if answer is not None:
            return answer
    return _detail(None, listing.id, confidential_form=form), 400


@bp.route("/listings/<int:listing_id>/versions")
@login_required
def versions(listing_id):
    listing = get_listing_or_404(listing_id, current_user)
    if not (listing.can_edit(current_user) or current_user.is_staff):
        abort(404)
    return render_template("listings/versions.html", listing=listing)


# -- attachments ------------------------------------------------------------------------------


def _read_upload(storage) -> tuple[str, bytes]:
    """The upload's name and bytes, reading at most one byte beyond the limit."""
    return storage.filename or "", storage.stream.read(attachments.ATTACHMENTS.max_bytes() + 1)


@bp.route("/listings/<int:listing_id>/attachments", methods=["POST"])
@login_required
def upload(listing_id):
    listing = _owned(listing_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        for message in form.file.errors:
            flash(str(message), "danger")
        return redirect(listing_url(listing))
    filename, data = _read_upload(form.file.data)
    return _act(listing, lambda: attachments.add_attachment(
        listing, current_user, filename, data, confidential=form.confidential.data),
        _("The file is attached."))


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id):
    item = attachments.attachment_for_download(attachment_id, _viewer())
    path = attachments.attachment_path(item)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.content_type, download_name=item.filename,
                         as_attachment=item.file_type == "pdf", max_age=0, conditional=True,
                         etag=item.sha256)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(attachment_id):
    item = attachments.attachment_for_download(attachment_id, current_user)
    if item.listing is None:
        abort(404)
    listing = item.listing
    return _act(listing, lambda: attachments.remove_attachment(item, current_user),
                _("The file is removed."))


# -- my listings ------------------------------------------------------------------------------


@bp.route("/my/listings")
@login_required
def my_listings():
    org = current_user.organisation
    if org is None:
        abort(404)
    status = request.args.get("status") or None
    return render_template(
        "listings/mine.html", counts=services.status_counts(org),
        listings=services.organisation_listings(org, status), status=status,
        status_labels=ListingStatus.labels(), kind=kind_for_organisation(org),
        submissions=challenges.organisation_submissions(org))


# -- challenges -------------------------------------------------------------------------------


@bp.route("/needs/<int:listing_id>/challenge", methods=["GET", "POST"])
@login_required
def open_challenge(listing_id):
    listing = _owned(listing_id)
    if listing.kind != ListingKind.need:
        abort(404)
    form = ChallengeForm()
    if form.validate_on_submit():
        answer = _on_form(form, lambda: challenges.open_challenge(listing, current_user, {
            "deadline": form.deadline.data, "criteria": form.criteria.data,
            "winners": form.winners.data}), done(_("Your need now runs as an open challenge."),
                                                 listing_url(listing), code=302))
        if answer is not None:
            return answer
    return render_template("listings/challenge_form.html", form=form, listing=listing), \
        400 if form.errors or form.form_errors else 200


@bp.route("/challenges/<int:challenge_id>/submit", methods=["POST"])
@login_required
def submit(challenge_id):
    challenge = challenges.get_challenge_or_404(challenge_id, current_user)
    org = current_user.organisation
    own = [] if org is None else [o for o in services.organisation_listings(org, "published")
                                  if o.kind == ListingKind.offering]
    form = SubmissionForm(offerings=own)
    if form.validate_on_submit():
        upload = None
        if form.file.data and getattr(form.file.data, "filename", ""):
            upload = _read_upload(form.file.data)
        answer = run_action(
            lambda: challenges.submit_proposal(challenge, current_user, {
                "offering_id": form.offering_id.data, "pitch": form.pitch.data}, upload),
            on_success=done(_("Your proposal is submitted. You will see the firm's decision "
                              "under My listings."), listing_url(challenge.listing), code=302),
            on_error=partial(apply_domain_error, form))
        if answer is not None:
            return answer
    return render_template("listings/submit.html", form=form, challenge=challenge,
                           listing=challenge.listing), 400


@bp.route("/challenges/<int:challenge_id>/submissions")
@login_required
def submissions(challenge_id):
    challenge = challenges.get_challenge_or_404(challenge_id, current_user)
    items = challenges.challenge_submissions(challenge, current_user)
    return render_template("listings/submissions.html", challenge=challenge,
                           listing=challenge.listing, submissions=items,
                           decline_form=DeclineForm(formdata=None),
                           decline_reasons=DeclineReason.labels())


def _decide(submission_id: int, decide, success: str):
    submission = challenges.get_submission_or_404(submission_id, current_user)
    if not submission.challenge.is_owner(current_user):
        raise NotFound(_l("This proposal does not exist or is not visible to you."))
    return _act(submission.challenge.listing, lambda: decide(submission), success,
                url_for("listings.submissions", challenge_id=submission.challenge_id))


@bp.route("/submissions/<int:submission_id>/shortlist", methods=["POST"])
@login_required
def shortlist(submission_id):
    return _decide(submission_id, lambda s: s.shortlist(current_user),
                   _("The proposal is shortlisted."))


@bp.route("/submissions/<int:submission_id>/decline", methods=["POST"])
@login_required
def decline(submission_id):
    form = DeclineForm()
    form.validate()
    return _decide(submission_id, lambda s: s.decline(current_user, form.reason.data,
                                                      form.text.data),
                   _("The proposal is declined; the startup sees your reason."))
