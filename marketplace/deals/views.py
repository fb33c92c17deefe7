"""Deal pages. Thin: parse the input, call the domain, commit once here, roll back on a
DomainError and show its message (with its status: 409 for a stale offer, 404 for a deal the
viewer may not see)."""

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import audit, domain_events
from ..accounts.access import staff_required
from ..accounts.models import User
from ..actions import done, flash_and_redirect, run_action
from ..errors import DomainError, NotFound
from ..extensions import db
from ..forms import apply_domain_error, choices, show_refusal
from ..listings.confidential import CONFIDENTIAL_ACCESS_RULES, register_confidential_access
from ..listings.models import Listing, ListingKind
from ..notifications import services as notices
from . import forms, messages, proposals, services, terms
from .integrity import verify, verify_all
from .models import Deal
from .notifications import for_event
from .states import DECLINE_REASONS, DealType, Side, stage_steps

bp = Blueprint("deals", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/deals")


@bp.record_once
def _setup(state) -> None:
    # What the deals package answers elsewhere: a notice for every deal event, and a listing's
    # confidential section opened to the parties of a deal past its NDA.
    domain_events.subscribe(None, for_event)
    domain_events.subscribe("open", proposals.on_open)
    if services.nda_opens_listing not in CONFIDENTIAL_ACCESS_RULES:
        register_confidential_access(services.nda_opens_listing)
    app = state.app
    app.config.setdefault("NAV_LINKS", []).append(("deals.my_deals", _l("My deals")))

    @app.context_processor
    def deal_helpers():
        return {"open_deal_label": _l("Open a deal"),  # the button on an offering's page
                "deal_stage_steps": stage_steps,
                "need_proposals": _need_proposals}  # the section on a need's page


def _detail_url(deal_id: int, anchor: str | None = None) -> str:
    return url_for("deals.detail", deal_id=deal_id, _anchor=anchor)


def _deal(deal_id: int):
    return services.deal_for_viewer_or_404(deal_id, current_user)


def _act(deal_id: int, action, success: str | None = None, anchor: str | None = None,
         lookup=None):
    """Run `action(deal)`, commit, flash `success` (by default the message `action` returns);
    on a DomainError show the deal again with the message and the error's status. `lookup`
    finds the deal (by default: for a reader of its content)."""
    deal = (lookup or _deal)(deal_id)
    url = _detail_url(deal_id, anchor)
    return run_action(lambda: action(deal),
                      on_success=lambda message: done(success or message, url)(message),
                      on_error=lambda exc: (_render_detail(deal_id, error=exc.message),
                                            exc.status))


def deal_action(rule: str, form=None, anchor: str | None = None, lookup=None):
    """A signed-in POST page at `rule` running the decorated `action(deal, form, **values)`
    through `_act`; the action returns what to flash once it is committed.

    `form()` makes the posted form (the domain checks what it holds); `values` are the rule's
    other parts (a terms version)."""
    def register(action):
        @bp.route(rule, methods=["POST"], endpoint=action.__name__)
        @login_required
        @wraps(action)
        def view(deal_id, **values):
            posted = form() if form else None
            if posted is not None:
                posted.validate_on_submit()
            return _act(deal_id, lambda deal: action(deal, posted, **values), anchor=anchor,
                        lookup=lookup)
        return view
    return register


# ---- lists --------------------------------------------------------------------------------

@bp.route("/")
@login_required
def my_deals():
    state = request.args.get("state", "open")
    page = request.args.get("page", 1, type=int)
    deals = db.paginate(services.deals_for(current_user, state, listed=True), page=page,
                        per_page=30, error_out=False)
    return render_template("deals/list.html", deals=deals, state=state, Side=Side)


# ---- opening ------------------------------------------------------------------------------

def _listing(listing_id, kind: ListingKind) -> Listing:
    listing = db.session.get(Listing, listing_id) if listing_id else None
    if listing is None or listing.kind != kind or not listing.is_visible_to(current_user):
        raise NotFound(_l("This listing does not exist."))
    return listing


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    offering = _listing(request.args.get("offering", type=int), ListingKind.offering)
    proposing = current_user.organisation_id == offering.organisation_id
    needs = services.open_needs() if proposing else services.own_needs(current_user)
    types = [t.value for t in DealType if not offering.deal_types
             or t.value in offering.deal_types or t in (DealType.investment,
                                                        DealType.acquisition)]
    form = forms.OpenDealForm()
    form.set_choices(types, needs, need_required=proposing)
    if request.method == "GET" and request.args.get("need"):
        form.need_id.data = request.args["need"]
    if form.validate_on_submit():
        need = None
        if form.need_id.data:
            need = db.session.get(Listing, int(form.need_id.data))
        answer = run_action(
            lambda: services.open_deal(current_user, offering, need,
                                       deal_type=form.deal_type.data, message=form.message.data,
                                       require_nda=form.require_nda.data),
            on_success=lambda deal: done(
                _("Your inquiry has been sent. The other side will answer here."),
                _detail_url(deal.id))(deal),
            on_error=lambda exc: apply_domain_error(form, exc), reraise=())
        if answer is not None:  # opened; on a refusal the form shows why
            return answer
    return render_template("deals/new.html", form=form, offering=offering,
                           proposing=proposing), 400 if form.errors or form.form_errors else 200


# ---- proposals on a need -------------------------------------------------------------------

def _need_url(need_id: int) -> str:
    return url_for("listings.need", listing_id=need_id, _anchor="proposals")


def _proposal_form(need: Listing, bind: bool = True) -> forms.ProposalForm:
    """The proposal form for `need`; `bind`: with what was posted (else empty)."""
    form = forms.ProposalForm() if bind else forms.ProposalForm(formdata=None)
    form.set_choices(proposals.accepted_types(need), proposals.own_offerings(current_user))
    return form


def _need_proposals(listing: Listing) -> dict | None:
    """What the need page's proposal section shows `current_user`: the form for a startup's
    member, the proposals received for the need's organisation and staff; None: nothing."""
    if listing is None or listing.kind != ListingKind.need:
        return None
    section = {"form": None, "refusal": None, "deals": None}
    if proposals.may_propose(current_user) and proposals.need_is_open(listing):
        section["refusal"] = proposals.refusal(current_user, listing)
        if section["refusal"] is None:
            section["form"] = _proposal_form(listing, bind=False)
    if proposals.can_review(current_user, listing):
        section["deals"] = proposals.proposals_for(listing)
        section["member"] = listing.is_member(current_user)
        section.update(decline_form=forms.DeclineForm(formdata=None), reasons=DECLINE_REASONS,
                       action_form=forms.ActionForm(formdata=None))
    if section["form"] is None and section["refusal"] is None and section["deals"] is None:
        return None
    return section


@bp.route("/propose/<int:need_id>", methods=["GET", "POST"])
@login_required
def propose(need_id):
    need = _listing(need_id, ListingKind.need)
    if not proposals.need_is_open(need):
        raise NotFound(_l("This need is not available."))
    form = _proposal_form(need)

    def page(status: int):
        refusal = proposals.refusal(current_user, need) if proposals.may_propose(current_user) \
            else _l("Only startups can propose their technology for a need.")
        return render_template("deals/propose.html", form=form, need=need,
                               refusal=refusal if status == 200 else None), status

    if form.validate_on_submit():
        offering = None
        if form.offering_id.data:
            offering = db.session.get(Listing, int(form.offering_id.data))
        return run_action(
            lambda: proposals.propose(current_user, need, deal_type=form.deal_type.data,
                                      message=form.message.data, offering=offering,
                                      title=form.title.data, summary=form.summary.data),
            on_success=lambda deal: done(
                _("Your proposal has been sent. The firm will answer here."),
                _detail_url(deal.id))(deal),
            on_error=show_refusal(form, page))
    return page(400 if form.errors else 200)


@bp.route("/<int:deal_id>/shortlist", methods=["POST"])
@login_required
def shortlist(deal_id):
    """Put a proposal on the shortlist, from the deal's page or (`from_need`) the need's."""
    deal = _deal(deal_id)
    success = _("The proposal is on your shortlist.")
    if request.form.get("from_need") and deal.need_id:
        back = _need_url(deal.need_id)
        return run_action(lambda: deal.shortlist(current_user), on_success=done(success, back),
                          on_error=flash_and_redirect(back, code=303), reraise=())
    return _act(deal_id, lambda d: d.shortlist(current_user), success)


@bp.route("/<int:deal_id>/decline-proposal", methods=["POST"])
@login_required
def decline_proposal(deal_id):
    """Decline a proposal from the need's page (the deal's own decline, with a reason); back
    to the need's list."""
    deal = _deal(deal_id)
    back = _need_url(deal.need_id) if deal.need_id else _detail_url(deal_id)
    form = forms.DeclineForm()
    form.validate_on_submit()
    return run_action(lambda: deal.decline(current_user, form.reason.data, form.note.data),
                      on_success=done(_("You declined the proposal."), back),
                      on_error=flash_and_redirect(back, code=303), reraise=())


# ---- the deal -----------------------------------------------------------------------------

def _assign_form() -> forms.AssignForm:
    form = forms.AssignForm()
    form.staff_id.choices = choices((str(u.id), u.display_name)
                                    for u in services.staff_members())
    return form


def _render_detail(deal_id: int, error=None):
    deal = services.deal_header_for_or_404(deal_id, current_user)
    actions = deal.allowed_actions(current_user)
    assign_form = _assign_form() if "assign_staff" in actions else None
    chain = verify(deal.id) if current_user.is_staff else None
    if not deal.can_view(current_user):  # staff not assigned: the header, no content
        return render_template("deals/summary.html", deal=deal, actions=actions, error=error,
                               Side=Side, chain=chain,
                               action_form=forms.ActionForm(), assign_form=assign_form)
    viewer_side = deal.side_of(current_user)
    versions = deal.terms_versions
    if notices.mark_read(current_user, subject=deal):  # reading the deal reads its notices
        db.session.commit()
    return render_template(
        "deals/detail.html", deal=deal, viewer_side=viewer_side, actions=actions,
        panel_actions=actions - {"post_message", "propose_terms", "accept_terms",
                                 "reject_terms"},
        versions=versions, terms_rows=terms.display_rows, error=error, Side=Side,
        decline_reasons=DECLINE_REASONS, chain=chain,
        expires_at=services.expires_at(deal), accept_form=forms.AcceptInquiryForm(),
        decline_form=forms.DeclineForm(), note_form=forms.NoteForm(),
        message_form=forms.MessageForm(),
        action_form=forms.ActionForm(), assign_form=assign_form,
        confidential_ok={side: deal.sees_confidential_of(current_user, side) for side in Side})


@bp.route("/<int:deal_id>")
@login_required
def detail(deal_id):
    return _render_detail(deal_id)


@deal_action("/<int:deal_id>/accept", forms.AcceptInquiryForm)
def accept(deal, form):
    deal.accept_inquiry(current_user, form.require_nda.data)
    return _("You accepted the inquiry.")


@deal_action("/<int:deal_id>/decline", forms.DeclineForm)
def decline(deal, form):
    deal.decline(current_user, form.reason.data, form.note.data)
    return _("You declined the deal.")


@deal_action("/<int:deal_id>/withdraw", forms.NoteForm)
def withdraw(deal, form):
    deal.withdraw(current_user, form.note.data)
    return _("You withdrew from the deal.")


@deal_action("/<int:deal_id>/nda/require")
def require_nda(deal, _form):
    deal.require_nda(current_user)
    return _("An NDA is now required before confidential details are shared.")


# ---- terms --------------------------------------------------------------------------------

@bp.route("/<int:deal_id>/terms/new", methods=["GET", "POST"])
@login_required
def new_terms(deal_id):
    deal = _deal(deal_id)
    current = deal.current_terms
    if request.method == "GET":
        data = forms.terms_form_data(deal.deal_type, current.fields) if current else {}
        data.setdefault("vat", terms.usual_vat(deal.buyer.country))
        form = forms.terms_form(deal.deal_type, data=data)
        form.based_on_version.data = str(deal.current_version)
    else:
        form = forms.terms_form(deal.deal_type)

    def page(status: int, shown=deal):
        return render_template("deals/terms_form.html", deal=shown, form=form,
                               current=current, terms_rows=terms.display_rows), status

    def refused(exc: DomainError):
        apply_domain_error(form, exc)
        if exc.fields.get("based_on_version"):
            form.form_errors.append(str(exc.message))
        return page(exc.status, _deal(deal_id))

    if form.validate_on_submit():
        def propose() -> int:
            clean = forms.terms_from_form(deal.deal_type, form)
            return deal.propose_terms(current_user, int(form.based_on_version.data or 0),
                                      clean).version

        return run_action(propose, on_success=lambda number: done(
            _("Version %(version)s of the terms was sent to the other side.", version=number),
            _detail_url(deal_id, "terms"))(number), on_error=refused)
    if form.errors:
        form.form_errors.extend(form.based_on_version.errors)  # a hidden field shows none
        return page(400)
    return page(200)


@deal_action("/<int:deal_id>/terms/<int:version>/accept", anchor="terms")
def accept_terms(deal, _form, version):
    deal.accept_terms(current_user, version)
    return _("You accepted version %(version)s. The terms are agreed.", version=version)


@deal_action("/<int:deal_id>/terms/<int:version>/reject", forms.NoteForm, anchor="terms")
def reject_terms(deal, form, version):
    deal.reject_terms(current_user, version, form.note.data)
    return _("You rejected version %(version)s.", version=version)


@bp.route("/<int:deal_id>/terms/compare")
@login_required
def compare(deal_id):
    deal = _deal(deal_id)
    latest = deal.current_version
    a = request.args.get("a", max(latest - 1, 1), type=int)
    b = request.args.get("b", latest, type=int)
    left, right = deal.terms(a), deal.terms(b)
    if left is None or right is None:
        raise NotFound(_l("There is no such terms version in this deal."))
    rows = terms.compare(deal.deal_type, left.fields, right.fields)
    return render_template("deals/compare.html", deal=deal, left=left, right=right, rows=rows,
                           versions=deal.terms_versions)


# ---- conversation -------------------------------------------------------------------------

@deal_action("/<int:deal_id>/messages", forms.MessageForm, anchor="messages")
def post_message(deal, form):
    upload = form.attachment.data
    files = [(upload.filename, upload.read())] if upload and upload.filename else []
    messages.post_message(deal, current_user, form.body.data, files, form.confidential.data)
    return _("Your message was sent.")


@bp.route("/<int:deal_id>/attachments/<int:attachment_id>")
@login_required
def attachment(deal_id, attachment_id):
    deal = _deal(deal_id)
    item = messages.attachment_for_download(deal, attachment_id, current_user)
    path = messages.attachment_path(item)
    if not path.is_file():
        raise NotFound(_l("This file is no longer available."))
    return send_file(path, mimetype=item.content_type, as_attachment=True,
                     download_name=item.filename, max_age=0)


# ---- staff --------------------------------------------------------------------------------

@deal_action("/<int:deal_id>/help", forms.NoteForm)
def request_help(deal, form):
    deal.request_help(current_user, form.note.data)
    return _("Staff have been asked to help with this deal.")


@bp.route("/<int:deal_id>/claim", methods=["POST"])
@login_required
def claim(deal_id):
    deal = services.deal_for_claim_or_404(deal_id, current_user)
    def claim_and_record():
        deal.claim(current_user)
        audit.record(current_user, "deal_claimed", deal)

    return run_action(claim_and_record,
                      on_success=done(_("The deal is now assigned to you."), _detail_url(deal_id)),
                      on_error=flash_and_redirect(url_for("deals.staff_queue"), code=303),
                      reraise=())


@deal_action("/<int:deal_id>/assign", _assign_form,
             lookup=lambda deal_id: services.deal_header_for_or_404(deal_id, current_user))
def assign(deal, form):
    staff = db.session.get(User, int(form.staff_id.data or 0))
    if staff is None:
        raise DomainError(_l("Choose a staff member."))
    deal.assign_staff(current_user, staff)
    audit.record(current_user, "deal_assigned", deal, details={"staff_id": staff.id})
    return _("The staff member was assigned.")


@bp.route("/staff/queue")
@staff_required
def staff_queue():
    mine = db.session.scalars(services.deals_for(current_user, "open")).all()
    return render_template("deals/staff_queue.html", waiting=services.help_queue(), mine=mine,
                           form=forms.ActionForm())


@bp.route("/staff/integrity")
@staff_required
def integrity():
    ids = db.session.scalars(sa.select(Deal.id).where(services.listed_for(current_user))
                             .order_by(Deal.id)).all()
    reports = verify_all(ids)
    return render_template("deals/integrity.html", reports=reports)

