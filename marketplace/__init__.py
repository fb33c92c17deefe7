"""Tech Trade-On: a bilingual marketplace for technology trading."""

import os

# OpenBLAS's idle threads spin for about 2**28 cycles after every call before they sleep, which
# on a 2-core machine takes a core from whatever runs next: matching's second thread made a
# query slower, not faster, until they slept sooner. Read once, when numpy loads, so it is set
# here, before any import, rather than in Config (every other setting lives there).
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from flask import Flask  # noqa: E402

from . import assets
from .config import Config


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(Config())
    if overrides:
        app.config.update(overrides)
    _check_config(app)

    _init_extensions(app)
    _import_models()
    _register_blueprints(app)
    _register_cli(app)
    assets.init_app(app)
    return app


def _check_config(app: Flask) -> None:
    if not app.config["SECRET_KEY"]:
        if app.debug or app.testing:
            app.config["SECRET_KEY"] = "insecure-development-key"
        else:
            raise RuntimeError("SECRET_KEY must be set outside debug and testing.")


def _init_extensions(app: Flask) -> None:
    from . import errors, jobs, routing, security
    from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from .i18n import catalogs, filters, locale, speed

    routing.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_project_root() / "migrations"),
                     render_as_batch=True, compare_type=True)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", catalogs.babel_directories())
    babel.init_app(app, locale_selector=locale.select_locale)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    _init_login(app, login_manager)
    locale.init_app(app)
    filters.init_app(app)
    speed.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    jobs.init_app(app)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.add_extension("marketplace.fragments.FragmentCache")


def _init_login(app: Flask, login_manager) -> None:
    from flask_babel import lazy_gettext as _l

    from .accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        return User.for_session_id(user_id)


def _import_models() -> None:
    """Every table, so that migrations and `db.create_all()` see the whole schema (and the
    upload sweep, whose periodic job refers to two of them)."""
    from . import audit as _audit  # noqa: F401
    from . import uploads as _uploads  # noqa: F401
    from .accounts import models as _accounts  # noqa: F401
    from .accounts import profiles as _profiles  # noqa: F401
    from .agreements import models as _agreements  # noqa: F401
    from .api import tokens as _api_tokens  # noqa: F401
    from .deals import models as _deals  # noqa: F401
    from .introductions import models as _introductions  # noqa: F401
    from .listings import challenges as _challenges  # noqa: F401
    from .listings import confidential as _confidential  # noqa: F401
    from .listings import models as _listings  # noqa: F401
    from .listings import visits as _listing_visits  # noqa: F401
    from .mail import models as _mail  # noqa: F401
    from .matching import records as _matching  # noqa: F401
    from .notifications import models as _notifications  # noqa: F401
    from .payments import models as _payments  # noqa: F401
    from .payments import settlement as _settlement  # noqa: F401
    from .questions import models as _questions  # noqa: F401
    from .saved import models as _saved  # noqa: F401
    from .staff import models as _staff  # noqa: F401
    from .stats import models as _stats  # noqa: F401
    from .translation_requests import models as _translation_requests  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from . import api, health, listings, payments
    from .accounts.profile_views import bp as profiles_bp
    from .accounts.views import bp as accounts_bp
    from .agreements.views import admin_bp as contract_templates_bp
    from .agreements.views import bp as agreements_bp
    from .api.contracts import blp as contracts_api
    from .api.deals import blp as deals_api
    from .api.desk import blp as desk_api
    from .api.investors import blp as investors_api
    from .api.listings import needs_api, offerings_api
    from .api.matches import blp as matches_api
    from .api.notifications import blp as notifications_api
    from .api.organisations import blp as organisations_api
    from .api.payments import accounts_blp as settlement_api
    from .api.payments import actions_blp as payment_actions_api
    from .api.payments import blp as payments_api
    from .api.questions import blp as questions_api
    from .api.saved import bookmarks_blp as bookmarks_api
    from .api.saved import searches_blp as saved_searches_api
    from .api.translation_requests import blp as translation_requests_api
    from .api.views import bp as api_tokens_bp
    from .deals.views import bp as deals_bp
    from .desk import init_app as init_desk
    from .introductions import init_app as init_introductions
    from .matching import init_app as init_matching
    from .notifications import init_app as init_notifications
    from .pages.views import bp as pages_bp
    from .questions import init_app as init_questions
    from .saved import init_app as init_saved
    from .staff.views import bp as staff_bp
    from .stats import init_app as init_stats
    from .stats.api import blp as stats_api
    from .translation_requests import init_app as init_translation_requests

    for blueprint in (pages_bp, accounts_bp, profiles_bp, staff_bp, api_tokens_bp, deals_bp):
        app.register_blueprint(blueprint)
    for blueprint in (agreements_bp, contract_templates_bp):
        app.register_blueprint(blueprint)
    health.init_app(app)
    api.init_app(app, blueprints=[needs_api, offerings_api, deals_api, matches_api,
                                  payments_api, payment_actions_api, settlement_api, stats_api,
                                  contracts_api, notifications_api,
                                  translation_requests_api, organisations_api, investors_api,
                                  questions_api, saved_searches_api, bookmarks_api, desk_api])
    # Main navigation that features append to: (endpoint, lazy label) for signed-in users,
    # (endpoint, lazy label, "public") for a link anonymous visitors see too, or
    # (endpoint, lazy label, shown_to) where `shown_to(user)` says which signed-in users see it.
    app.config.setdefault("NAV_LINKS", [])
    listings.init_app(app)
    init_matching(app)
    payments.init_app(app)
    init_stats(app)
    init_notifications(app)
    init_translation_requests(app)
    init_introductions(app)
    init_questions(app)
    init_saved(app)
    init_desk(app)
    _connect_partners()
    app.context_processor(lambda: {"nav_links": nav_links(app.config["NAV_LINKS"])})


def nav_links(entries) -> list[dict]:
    """The navigation entries the visitor may follow: visitors see the public ones, members
    those and then their own."""
    from flask_login import current_user

    # outside a request (a report rendered by a job) there is no user: a visitor's view
    signed_in = getattr(current_user, "is_authenticated", False)
    public, members = [], []
    for endpoint, label, *audience in entries:
        shown_to = audience[0] if audience else None
        if shown_to == "public":
            public.append((endpoint, label))
        elif signed_in and (shown_to is None or shown_to(current_user)):
            members.append((endpoint, label))
    return [{"endpoint": e, "label": label} for e, label in public + members]


def _connect_partners() -> None:
    """Organisations sharing a deal see each other's contract details (accounts asks, deals
    answers: accounts sits below deals and cannot import it)."""
    from .accounts.services import partners_asked
    from .deals.partners import share_a_deal

    partners_asked.connect(share_a_deal, weak=False)


def _register_cli(app: Flask) -> None:
    from .accounts.cli import users_cli
    from .api.cli import api_token_cli
    from .deals.cli import deals_cli
    from .demo import seed_demo_command
    from .documents.cli import contracts_cli
    from .i18n.cli import translate_cli
    from .jobs_cli import jobs_cli
    from .matching.cli import matching_cli
    from .search_cli import search_cli

    for command in (users_cli, translate_cli, jobs_cli, seed_demo_command, api_token_cli,
                    deals_cli, contracts_cli, matching_cli, search_cli):
        app.cli.add_command(command)


def _project_root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
