"""The desk: a signed-in member's landing page (what waits on them, what is new, their
listings with their numbers, a new account's next steps) and its API (`api/desk.py`)."""


def is_member(user) -> bool:
    """A signed-in user of an organisation who is not staff: the one who has a desk."""
    return bool(getattr(user, "is_authenticated", False) and not user.is_staff
                and user.organisation_id is not None)


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from .views import bp

    app.register_blueprint(bp)
    # First in the navigation, for members only (the third item says who sees the link).
    app.config.setdefault("NAV_LINKS", []).insert(0, ("desk.home", _l("Desk"), is_member))
