"""Needs, offerings, challenges and Korean-aware search."""


def init_app(app) -> None:
    """Register the pages and their main navigation entries."""
    from flask_babel import lazy_gettext as _l

    from .views import bp

    app.register_blueprint(bp)
    app.config.setdefault("NAV_LINKS", [])
    app.config["NAV_LINKS"].extend([("listings.needs", _l("Needs")),
                                    ("listings.offerings", _l("Offerings")),
                                    ("listings.my_listings", _l("My listings"))])
