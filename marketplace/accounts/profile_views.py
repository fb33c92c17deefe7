"""Editing an organisation's public profile, and its logo."""

from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..actions import done, run_action
from ..extensions import db
from ..forms import choices, minor_amounts, show_error
from ..i18n.amounts import amount_text
from . import profiles
from .forms import OrganisationProfileForm
from .models import Organisation, OrgKind

bp = Blueprint("profiles", __name__, template_folder="templates", url_prefix="/<lang:lang_code>")

PLAIN = ("description_ko", "description_en", "website", "founded_year", "employees")


def _form(org: Organisation, profile) -> OrganisationProfileForm:
    form = OrganisationProfileForm(obj=profile if request.method == "GET" else None)
    form.stage.choices = choices([("", _("Not given"))] + profiles.StartupStage.choices())
    if request.method == "GET" and profile is not None and profile.funding_currency:
        for name in ("funding_raised", "funding_sought"):
            value = getattr(profile, name)
            form[name].data = amount_text(value, profile.funding_currency) if value else ""
    if org.kind != OrgKind.startup:
        for name in profiles.STARTUP_FIELDS:
            delattr(form, name)
    return form


def _values(org: Organisation, form) -> dict | None:
    values = {name: form[name].data for name in PLAIN}
    if org.kind == OrgKind.startup:
        values["stage"] = form.stage.data or None
        values["funding_currency"] = form.funding_currency.data or None
        values.update({name: form[name].data for name in ("ir_contact_name", "ir_contact_email")})
        amounts = minor_amounts(form, ("funding_raised", "funding_sought"),
                                form.funding_currency.data or "KRW")
        if amounts is None:
            return None
        values.update(amounts)
    return values


@bp.route("/organisations/<int:org_id>/profile", methods=["GET", "POST"])
@login_required
def organisation_profile(org_id: int):
    """Members edit the public profile (others: 404)."""
    org = db.session.get(Organisation, org_id)
    if org is None or not org.can_edit_details(current_user):
        abort(404)
    form = _form(org, profiles.profile_of(org))

    def page():
        status = 400 if form.errors or form.form_errors else 200
        return render_template("accounts/organisation_profile.html", form=form, org=org), status

    if form.validate_on_submit() and (values := _values(org, form)) is not None:
        def save():
            profiles.update_profile(org, current_user, values)
            upload = request.files.get("logo")
            if upload and upload.filename:
                profiles.set_logo(org, current_user, upload.filename, upload.read())

        return run_action(save, on_success=done(_("The organisation's profile has been saved."),
                                                url_for("accounts.organisation", org_id=org.id)),
                          on_error=show_error(form, page), reraise=())
    return page()


@bp.route("/organisations/<int:org_id>/logo")
def organisation_logo(org_id: int):
    profile = db.session.get(profiles.OrganisationProfile, org_id)
    if profile is None or not profile.logo_key:
        abort(404)
    path = profiles.LOGOS.path(profile.logo_key)
    if not path.is_file():
        abort(404)
    return send_file(BytesIO(path.read_bytes()), mimetype="image/png", max_age=3600)
