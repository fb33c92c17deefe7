"""An organisation's public profile: what it does (in Korean and English), its website and logo,
when it was founded and how many work there, and for a startup its stage, the funding it has
raised and seeks, and whom investors should write to."""

import re
from datetime import datetime
from io import BytesIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db_types import AwareDateTime
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..filestore import FileStore
from ..labels import LabelledEnum
from .models import Organisation, OrgKind

LOGOS = FileStore(dir_key="ORGANISATION_LOGO_DIR", max_bytes_key="ORGANISATION_LOGO_MAX_BYTES",
                  allowed=("png", "jpeg"), field="logo",
                  wrong_type=_l("A logo must be a PNG or JPEG image, and the file's content "
                                "must match its name."))
LOGO_SIZE = 256
MAX_LOGO_PIXELS = 25_000_000  # a larger image is refused before it is decoded
CURRENCIES = ("KRW", "USD")
MAX_AMOUNT = 10**15  # minor units
MAX_EMPLOYEES = 10_000_000
TEXT_LIMITS = {"description_ko": 2000, "description_en": 2000, "website": 300,
               "ir_contact_name": 100, "ir_contact_email": 200}
# Printable ASCII only, so that the API document's pattern means the same to every client.
URL_RE = re.compile(r"^https?://[A-Za-z0-9][!-~]*$")
EMAIL_RE = re.compile(r"^[!-?A-~]+@[!-?A-~]+\.[!-?A-~]+$")
FIELDS = ("description_ko", "description_en", "website", "founded_year", "employees", "stage",
          "funding_currency", "funding_raised", "funding_sought", "ir_contact_name",
          "ir_contact_email")
STARTUP_FIELDS = ("stage", "funding_currency", "funding_raised", "funding_sought",
                  "ir_contact_name", "ir_contact_email")


class StartupStage(LabelledEnum):
    pre_seed = "pre_seed", _l("Pre-seed")
    seed = "seed", _l("Seed")
    series_a = "series_a", _l("Series A")
    series_b = "series_b", _l("Series B")
    series_c_plus = "series_c_plus", _l("Series C or later")


class OrganisationProfile(db.Model):
    __tablename__ = "organisation_profiles"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    description_ko: Mapped[str | None] = mapped_column(sa.Text)
    description_en: Mapped[str | None] = mapped_column(sa.Text)
    website: Mapped[str | None] = mapped_column(sa.String(300))
    logo_key: Mapped[str | None] = mapped_column(sa.String(64))
    founded_year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    employees: Mapped[int | None] = mapped_column(sa.Integer)
    stage: Mapped[str | None] = mapped_column(sa.String(20))
    funding_currency: Mapped[str | None] = mapped_column(sa.String(3))
    funding_raised: Mapped[int | None] = mapped_column(sa.BigInteger)  # minor units
    funding_sought: Mapped[int | None] = mapped_column(sa.BigInteger)
    ir_contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    ir_contact_email: Mapped[str | None] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow,
                                                 onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def stage_label(self):
        return StartupStage(self.stage).label if self.stage else None

    def description(self, lang: str) -> tuple[str | None, str | None]:
        """(text, its language): the reader's when written, else the other."""
        other = "en" if lang == "ko" else "ko"
        for code in (lang, other):
            if getattr(self, f"description_{code}"):
                return getattr(self, f"description_{code}"), code
        return None, None

    def public(self) -> dict:
        """The fields anyone may read."""
        return {name: getattr(self, name) for name in FIELDS} | {"has_logo": bool(self.logo_key)}


def profile_of(org: Organisation) -> OrganisationProfile | None:
    return db.session.get(OrganisationProfile, org.id)


def _require_member(org: Organisation, actor) -> None:
    if not org.can_edit_details(actor):
        raise PermissionDenied(_l("Only members of the organisation can change its profile."))


def _text(name: str, value, errors: dict):
    value = " ".join(str(value).split()) if name.startswith(("website", "ir_")) else \
        str(value).strip()
    if not value:
        return None
    if len(value) > TEXT_LIMITS[name]:
        errors[name] = [_l("Use at most %(count)s characters.", count=TEXT_LIMITS[name])]
    elif name == "website" and not URL_RE.match(value):
        errors[name] = [_l("Give the full address, starting with https://.")]
    elif name == "ir_contact_email" and not EMAIL_RE.match(value):
        errors[name] = [_l("This is not an e-mail address.")]
    return value


def _whole(name: str, value, low: int, high: int, errors: dict):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[name] = [_l("Give a whole number from %(low)s to %(high)s.", low=low, high=high)]
        return None
    return value


def clean_profile(org: Organisation, values: dict) -> dict:
    """Validated values for the profile fields present in `values` (None or "" clears one).
    Amounts are integer minor units of `funding_currency`."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise DomainError(_l("Some fields are not part of a profile."),
                          {name: [_l("Not a profile field.")] for name in sorted(unknown)})
    errors, clean = {}, {}
    for name, value in values.items():
        if value is None or value == "":
            clean[name] = None
        elif name in STARTUP_FIELDS and org.kind != OrgKind.startup:
            errors[name] = [_l("Only startups give their stage, funding and investor contact.")]
        elif name in TEXT_LIMITS:
            clean[name] = _text(name, value, errors)
        elif name == "founded_year":
            clean[name] = _whole(name, value, 1900, utcnow().year, errors)
        elif name == "employees":
            clean[name] = _whole(name, value, 0, MAX_EMPLOYEES, errors)
        elif name in ("funding_raised", "funding_sought"):
            clean[name] = _whole(name, value, 0, MAX_AMOUNT, errors)
        elif name == "stage":
            if value not in StartupStage.__members__:
                errors[name] = [_l("Choose a stage from the list.")]
            clean[name] = value
        elif name == "funding_currency":
            if value not in CURRENCIES:
                errors[name] = [_l("Choose KRW or USD.")]
            clean[name] = value
    if errors:
        raise DomainError(_l("Some profile fields need correcting."), errors)
    return clean


def update_profile(org: Organisation, actor, values: dict) -> OrganisationProfile:
    """A member changes the fields in `values`; the rest stay as they are."""
    _require_member(org, actor)
    clean = clean_profile(org, values)
    profile = profile_of(org) or OrganisationProfile(organisation_id=org.id)
    for name, value in clean.items():
        setattr(profile, name, value)
    has_amount = profile.funding_raised is not None or profile.funding_sought is not None
    if has_amount and profile.funding_currency is None:
        profile.funding_currency = "KRW"  # amounts given without a currency are in won
    db.session.add(profile)
    db.session.flush()
    return profile


def set_logo(org: Organisation, actor, filename: str | None, data: bytes) -> OrganisationProfile:
    """Check the image by its content, shrink it to LOGO_SIZE on its long side, keep it as PNG."""
    _require_member(org, actor)
    LOGOS.check(filename, data)
    png = _resized_png(data)
    profile = profile_of(org) or OrganisationProfile(organisation_id=org.id)
    profile.logo_key = LOGOS.save(png)
    profile.updated_at = utcnow()
    db.session.add(profile)
    db.session.flush()
    return profile


def _resized_png(data: bytes) -> bytes:
    refused = DomainError(_l("The image cannot be read."), {"logo": [_l("The image cannot be "
                                                                         "read.")]})
    try:
        with Image.open(BytesIO(data)) as image:
            if image.width * image.height > MAX_LOGO_PIXELS:
                raise DomainError(_l("The image is too large."),
                                  {"logo": [_l("Use an image of at most 5,000 × 5,000 pixels.")]})
            image.load()
            image = image.convert("RGBA")
            image.thumbnail((LOGO_SIZE, LOGO_SIZE))
            out = BytesIO()
            image.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise refused from None
