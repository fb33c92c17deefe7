"""Asking for a listing in the other language: a reader asks, the owner is told (with a link to
add the text), the request waits in the staff translation queue, and everyone who asked is told
once the text is there — whoever wrote it, the owner or city staff."""


def init_app(app) -> None:
    from .. import domain_events
    from . import services
    from .views import bp

    app.register_blueprint(bp)

    @app.context_processor
    def request_lookup():
        from flask_babel import get_locale
        from flask_login import current_user

        return {"translation_request_of": lambda listing: services.asked(
            current_user, listing, str(get_locale()))}

    domain_events.listing_changed.connect(services.fulfil_answered, weak=False)
