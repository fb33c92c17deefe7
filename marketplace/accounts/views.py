"""Sign-up, sign-in, password reset, profile and organisation pages."""

from urllib.parse import urlsplit

from babel import Locale
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..actions import done, run_action
from ..clock import utcnow
from ..extensions import db, limiter
from ..forms import show_error
from . import profiles, services
from .forms import (
    ConfirmForm,
    LoginForm,
    OrganisationDetailsForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from .models import DETAIL_LIMITS, Organisation, User

bp = Blueprint("accounts", __name__, template_folder="templates", url_prefix="/<lang:lang_code>")


def _safe_next(default: str) -> str:
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = RegisterForm()

    def page():
        return render_template("accounts/register.html", form=form), 400 if form.errors else 200

    if form.validate_on_submit():
        return run_action(
            lambda: services.create_account(
                email=form.email.data, password=form.password.data,
                display_name=form.display_name.data, org_kind=form.org_kind.data,
                org_name_ko=form.org_name_ko.data, org_name_en=form.org_name_en.data,
                country=form.country.data,
                business_registration_no=form.business_registration_no.data,
                preferred_language=form.preferred_language.data),
            on_success=_welcome, on_error=show_error(form, page), reraise=())
    return page()


def _welcome(user: User):
    _sign_in(user)
    flash(_("Welcome! Your organisation will be verified by staff."), "success")
    return redirect(url_for("accounts.profile", lang_code=user.preferred_language))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = User.authenticate(form.email.data, form.password.data)
        if user is not None:
            user.last_login_at = utcnow()
            _sign_in(user, remember=form.remember.data)
            landing = url_for("staff.home") if user.is_staff else url_for("desk.home")
            return redirect(_safe_next(landing))
        form.form_errors.append(_("Wrong e-mail address or password."))
    return render_template("accounts/login.html", form=form), 400 if form.errors else 200


def _sign_in(user: User, remember: bool = False) -> None:
    """A new server-side session for the user (ending the one this browser had), then
    Flask-Login's cookies naming it."""
    if current_user.is_authenticated:
        current_user.end_session()
    user.start_session()
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        current_user.end_session()
        db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("pages.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If that address has an account, we have sent it a link to reset the password."),
              "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = services.user_for_reset_token(token, lock=request.method == "POST")
    if user is None:
        flash(_("This reset link is invalid, already used or expired. Ask for a new one."),
              "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Please sign in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.preferred_language = form.preferred_language.data
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile", lang_code=current_user.preferred_language))
    return render_template("accounts/profile.html", form=form,
                           role_label=current_user.role.label)


@bp.route("/organisations/<int:org_id>")
def organisation(org_id):
    org = db.session.get(Organisation, org_id) or abort(404)
    is_member = current_user.is_authenticated and current_user.organisation_id == org.id
    can_see_private = is_member or (current_user.is_authenticated and current_user.is_staff)
    show_details = can_see_private or services.trades_with(org, current_user)
    country_name = Locale.parse(str(get_locale())).territories.get(org.country, org.country)
    staff_view = current_user.is_authenticated and current_user.is_staff
    return render_template("accounts/organisation.html", org=org, country_name=country_name,
                           can_see_private=can_see_private, staff_view=staff_view,
                           show_details=show_details, can_edit=is_member,
                           profile=profiles.profile_of(org),
                           end_sessions_form=ConfirmForm() if staff_view else None)


@bp.route("/organisations/<int:org_id>/details", methods=["GET", "POST"])
@login_required
def organisation_details(org_id):
    """The organisation's members edit what contracts print about it (others: 404)."""
    org = db.session.get(Organisation, org_id)
    if org is None or not org.can_edit_details(current_user):
        abort(404)
    form = OrganisationDetailsForm(obj=org)

    def page():
        return (render_template("accounts/organisation_details.html", form=form, org=org),
                400 if form.errors else 200)

    if form.validate_on_submit():
        return run_action(
            lambda: org.update_details(current_user, {name: getattr(form, name).data
                                                      for name in DETAIL_LIMITS}),
            on_success=done(_("The organisation's details have been saved."),
                            url_for("accounts.organisation", org_id=org.id), code=302),
            on_error=show_error(form, page), reraise=())
    return page()
