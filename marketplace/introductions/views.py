"""Introduction pages: ask, the list, one introduction with what its reader may do."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import Organisation
from ..actions import done, flash_and_redirect, run_action
from ..extensions import db
from ..forms import apply_domain_error, choices
from ..listings.services import public_listings_of
from . import services
from .forms import AnswerForm, AskForm, DealForm

bp = Blueprint("introductions", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/introductions")


def _detail_url(intro_id: int) -> str:
    return url_for("introductions.detail", intro_id=intro_id)


@bp.route("/")
@login_required
def index():
    return render_template("introductions/list.html",
                           items=services.introductions_for(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    startup = db.session.get(Organisation, request.args.get("startup", type=int) or 0)
    if startup is None:
        abort(404)
    form = AskForm()

    def page(status: int = 200):
        return render_template("introductions/ask.html", form=form, startup=startup), status

    def refused(exc):
        apply_domain_error(form, exc)
        return page(exc.status)

    if form.validate_on_submit():
        return run_action(
            lambda: services.ask(current_user, startup, form.note.data, form.proposed_times.data),
            on_success=lambda intro: done(_("Your request is sent to %(name)s.",
                                            name=startup.name), _detail_url(intro.id))(intro),
            on_error=refused)
    return page(400 if form.errors else 200)


def _deal_form(intro) -> DealForm:
    form = DealForm()
    form.offering_id.choices = choices(
        [(o.id, o.title) for o in public_listings_of(intro.startup) if o.kind == "offering"])
    return form


@bp.route("/<int:intro_id>")
@login_required
def detail(intro_id: int):
    intro = services.for_party_or_404(intro_id, current_user)
    return render_template("introductions/detail.html", intro=intro,
                           side=intro.side_of(current_user), answer_form=AnswerForm(),
                           deal_form=_deal_form(intro))


def _act(intro_id: int, action, message: str):
    intro = services.for_party_or_404(intro_id, current_user)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    return run_action(lambda: action(intro, form),
                      on_success=done(message, _detail_url(intro_id)),
                      on_error=flash_and_redirect(_detail_url(intro_id), code=303))


@bp.route("/<int:intro_id>/accept", methods=["POST"])
@login_required
def accept(intro_id: int):
    return _act(intro_id, lambda i, f: services.accept(i, current_user, f.answer.data,
                                                       f.meeting.data or None),
                _("You accepted the introduction. The investor is told."))


@bp.route("/<int:intro_id>/decline", methods=["POST"])
@login_required
def decline(intro_id: int):
    return _act(intro_id, lambda i, f: services.decline(i, current_user, f.answer.data),
                _("You declined the introduction. The investor is told."))


@bp.route("/<int:intro_id>/arrange", methods=["POST"])
@login_required
def arrange(intro_id: int):
    return _act(intro_id, lambda i, f: services.arrange(i, current_user, f.meeting.data,
                                                        f.answer.data),
                _("The introduction is arranged. Both sides are told."))


@bp.route("/<int:intro_id>/deal", methods=["POST"])
@login_required
def open_deal(intro_id: int):
    intro = services.for_party_or_404(intro_id, current_user)
    form = _deal_form(intro)
    if not form.validate_on_submit():
        abort(400)
    return run_action(
        lambda: services.open_investment_deal(intro, current_user, form.offering_id.data,
                                              form.message.data),
        on_success=lambda deal: done(_("The investment deal is open."),
                                     url_for("deals.detail", deal_id=deal.id))(deal),
        on_error=flash_and_redirect(_detail_url(intro_id), code=303))
