"""Questions before a deal: a member of another organisation asks the owner of a published
listing; the owner answers, in public or privately; staff hide what should not be shown.
Both sides hear of it through the notification centre."""


def init_app(app) -> None:
    from . import notices  # noqa: F401  (registers the notification kinds)
    from .views import bp

    app.register_blueprint(bp)
