"""Asking for the other language on a listing page, and the staff translation queue."""

from flask import Blueprint, abort, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.access import staff_required
from ..actions import done, flash_and_redirect, run_action
from ..errors import DomainError
from ..extensions import db
from ..forms import show_error
from ..listings import services as listing_services
from ..listings.models import Listing
from . import services
from .forms import AskForm, TranslationForm

bp = Blueprint("translation_requests", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>")


def _listing_url(listing: Listing) -> str:
    return url_for(f"listings.{listing.kind}", listing_id=listing.id, _anchor="translation")


@bp.route("/listings/<int:listing_id>/translation-requests", methods=["POST"])
@login_required
def ask(listing_id: int):
    if not AskForm().validate_on_submit():
        abort(400)
    listing = db.session.get(Listing, listing_id)
    back = _listing_url(listing) if listing is not None else url_for("listings.offerings")
    return run_action(
        lambda: services.ask(current_user, listing, str(get_locale())),
        on_success=done(_("Your request is sent. We will tell you when the text is added."),
                        back),
        on_error=flash_and_redirect(back, code=303))


def _unsuffixed(exc: DomainError) -> DomainError:
    """The listing's field names (`title_en`) as the form's (`title`)."""
    exc.fields = {name.rsplit("_", 1)[0]: messages for name, messages in exc.fields.items()}
    return exc


@bp.route("/staff/translations")
@staff_required
def queue():
    return render_template("translation_requests/queue.html", rows=services.open_requests())


@bp.route("/staff/translations/<int:listing_id>", methods=["GET", "POST"])
@staff_required
def translate(listing_id: int):
    listing = db.session.get(Listing, listing_id) or abort(404)
    missing = next((lang for lang in services.LANGUAGES if lang not in listing.languages), None)
    if missing is None:
        abort(404)
    form = TranslationForm()

    def page():
        status = 422 if form.errors or form.form_errors else 200
        return render_template("translation_requests/translate.html", form=form,
                               listing=listing, missing=missing), status

    if form.validate_on_submit():
        return run_action(
            lambda: listing_services.add_translation(listing, current_user, missing,
                                                      form.to_data(missing)),
            on_success=done(_("The translation is added; everyone who asked is told."),
                            url_for("translation_requests.queue")),
            on_error=lambda exc: show_error(form, page)(_unsuffixed(exc)))
    return page()
