"""One-to-one introductions between an investor and a startup: the investor asks (a note and
times it proposes), the startup accepts or declines, city staff can arrange the meeting for
them, and an accepted introduction can open an investment deal with the startup as seller."""


def init_app(app) -> None:
    from .views import bp

    app.register_blueprint(bp)
