"""Saved searches (their owners hear of each newly published listing that matches) and
bookmarks (listings a user keeps, counted per listing for the desk)."""

from .bookmarks import bookmark_counts  # noqa: F401


def init_app(app) -> None:
    """Register the pages and start announcing newly published listings to saved searches."""
    from . import alerts
    from .views import bp

    app.register_blueprint(bp)
    alerts.init_app(app)
