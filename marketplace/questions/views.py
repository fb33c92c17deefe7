"""Question pages: ask, answer, hide and show again, and the staff list of hidden questions.
Thin: look up with the viewer, call the services, commit once, go back to the listing."""

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.access import staff_required
from ..actions import done, flash_and_redirect, run_action
from ..forms import apply_domain_error
from ..listings.models import Listing
from . import services
from .forms import AnswerForm, AskForm, HideForm

bp = Blueprint("questions", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>")


def questions_url(listing: Listing) -> str:
    return url_for(f"listings.{listing.kind}", listing_id=listing.id, _anchor="questions")


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.app_context_processor
def _helpers():
    return {"listing_questions": section}


def section(listing: Listing) -> dict:
    """What the listing page's questions section shows to the viewer."""
    viewer = _viewer()
    items = services.questions_for(listing, viewer)
    return {
        "items": items,
        "ask_form": AskForm(formdata=None) if services.can_ask(listing, viewer) else None,
        "answer_forms": {q.id: AnswerForm(formdata=None, prefix=f"q{q.id}")
                         for q in items if q.can_answer(viewer)},
        "hide_form": (HideForm(formdata=None)
                      if viewer is not None and viewer.is_staff else None),
    }


def _form_page(form, listing: Listing, title: str, action: str, question=None):
    def answer(exc):
        apply_domain_error(form, exc)
        return render_template("questions/form.html", form=form, listing=listing, title=title,
                               action=action, question=question), exc.status
    return answer


@bp.route("/listings/<int:listing_id>/questions", methods=["POST"])
@login_required
def ask(listing_id):
    listing = services.listing_for_question(listing_id, current_user)
    form = AskForm()
    form.validate_on_submit()  # the CSRF token; the text is the domain's to judge
    return run_action(
        lambda: services.ask(listing, current_user, form.body.data),
        on_success=done(_("Your question is sent. You will be told when it is answered."),
                        questions_url(listing)),
        on_error=_form_page(form, listing, _("Ask a question"),
                            url_for("questions.ask", listing_id=listing.id)),
        reraise=(403, 404))


@bp.route("/questions/<int:question_id>/answer", methods=["POST"])
@login_required
def answer(question_id):
    question = services.get_question_or_404(question_id, current_user)
    form = AnswerForm(prefix=f"q{question.id}")
    form.validate_on_submit()
    return run_action(
        lambda: services.answer(question, current_user, form.answer.data, form.private.data),
        on_success=done(_("Your answer is saved and the organisation that asked was told."),
                        questions_url(question.listing)),
        on_error=_form_page(form, question.listing, _("Answer the question"),
                            url_for("questions.answer", question_id=question.id), question),
        reraise=(403, 404, 409))


@bp.route("/questions/<int:question_id>/hide", methods=["POST"])
@staff_required
def hide(question_id):
    question = services.get_question_or_404(question_id, current_user)
    form = HideForm()
    form.validate_on_submit()
    url = questions_url(question.listing)
    return run_action(lambda: services.hide(question, current_user, form.reason.data),
                      on_success=done(_("The question is hidden."), url),
                      on_error=flash_and_redirect(url, code=303), reraise=(403, 404, 409))


@bp.route("/questions/<int:question_id>/unhide", methods=["POST"])
@staff_required
def unhide(question_id):
    question = services.get_question_or_404(question_id, current_user)
    return run_action(lambda: services.unhide(question, current_user),
                      on_success=done(_("The question is shown again."),
                                      questions_url(question.listing)))


@bp.route("/staff/questions/hidden")
@staff_required
def hidden():
    return render_template("questions/hidden.html", questions=services.hidden_questions())
