"""One notification centre: every feature tells a user something through `notify()`, and
registers how each of its kinds reads (`register_kind`). One table, one page, one badge, one
API; each user chooses per kind whether a notice stays in the app, is e-mailed at once, joins a
daily digest, or is not kept at all."""

from .services import notify, register_kind  # noqa: F401


def init_app(app) -> None:
    from flask_login import current_user

    from .services import unread_count
    from .views import bp

    app.register_blueprint(bp)

    @app.context_processor
    def notification_badge():
        return {"unread_notifications": lambda: unread_count(current_user)}
