"""The words listings are described in: their kinds, statuses, sectors, deal types, readiness
levels, currencies and patent status, each with its label (the enums carry theirs), which
organisations post which kind, and the fields a listing's poster edits. No database."""

from flask_babel import lazy_gettext as _l

from ..accounts.models import OrgKind
from ..labels import LabelledEnum


class ListingKind(LabelledEnum):
    need = "need", _l("Need")
    offering = "offering", _l("Offering")


class ListingStatus(LabelledEnum):
    draft = "draft", _l("Draft")
    published = "published", _l("Published")
    closed = "closed", _l("Closed")
    archived = "archived", _l("Archived")


class CloseReason(LabelledEnum):
    deal_done = "deal_done", _l("A deal was made")
    withdrawn = "withdrawn", _l("Withdrawn by the poster")
    expired = "expired", _l("The deadline passed")


SECTOR_LABELS = {
    "ai": _l("Artificial intelligence"),
    "bio_health": _l("Bio and health"),
    "medical_device": _l("Medical devices"),
    "fintech": _l("Fintech"),
    "blockchain": _l("Blockchain"),
    "mobility": _l("Mobility"),
    "drone": _l("Drones"),
    "robotics": _l("Robotics"),
    "iot": _l("Internet of things"),
    "data": _l("Data and cloud"),
    "content_xr": _l("Content and XR"),
    "media": _l("Media"),
    "manufacturing": _l("Smart manufacturing"),
    "fashion": _l("Fashion and textiles"),
    "environment": _l("Environment"),
    "energy": _l("Energy"),
    "security": _l("Security"),
    "ecommerce": _l("E-commerce and retail"),
    "edutech": _l("Education technology"),
    "proptech": _l("Proptech and construction"),
}
SECTORS = tuple(SECTOR_LABELS)

DEAL_TYPE_LABELS = {
    "license": _l("Licence"),
    "transfer": _l("Technology transfer"),
    "joint_development": _l("Joint development"),
    "poc": _l("Proof of concept (PoC)"),
    "supply": _l("Supply"),
    "investment": _l("Investment"),
}
DEAL_TYPES = tuple(DEAL_TYPE_LABELS)
LANGUAGES = ("ko", "en")


def _bits(codes, order: tuple[str, ...]) -> int:
    return sum(1 << order.index(code) for code in set(codes or ()) if code in order)


def deal_type_bits(codes) -> int:
    """Deal types as one number, a bit per code in `DEAL_TYPES` order, as the search index
    carries them (add new codes at the end: the index's numbers depend on the order)."""
    return _bits(codes, DEAL_TYPES)


def language_bits(langs) -> int:
    """Languages as one number, a bit per code in `LANGUAGES` order (as `deal_type_bits`)."""
    return _bits(langs, LANGUAGES)

TRL_LABELS = {
    1: _l("Basic principles observed"),
    2: _l("Technology concept formulated"),
    3: _l("Experimental proof of concept"),
    4: _l("Technology validated in the lab"),
    5: _l("Technology validated in a relevant environment"),
    6: _l("Technology demonstrated in a relevant environment"),
    7: _l("Prototype demonstrated in an operational environment"),
    8: _l("System complete and qualified"),
    9: _l("System proven in operational use"),
}

CURRENCIES = ("KRW", "USD")


class IPStatus(LabelledEnum):
    none = "none", _l("No patent")
    applied = "applied", _l("Patent applied for")
    registered = "registered", _l("Patent registered")
    licensed = "licensed", _l("Used under licence")


# Organisation kinds that may post each kind of listing.
POSTER_KINDS = {
    ListingKind.need: (OrgKind.firm, OrgKind.agency),
    ListingKind.offering: (OrgKind.startup,),
}


def kind_for_organisation(org) -> ListingKind | None:
    """The kind of listing `org` posts: firms and agencies post needs, startups offerings."""
    for kind, org_kinds in POSTER_KINDS.items():
        if org.kind in org_kinds:
            return kind
    return None


# Every field the poster edits: what a version records and what the services accept.
SNAPSHOT_FIELDS = (
    "title_ko", "title_en", "summary_ko", "summary_en", "description_ko", "description_en",
    "sector", "trl", "min_trl", "deal_types", "keywords", "price_min", "price_max", "currency",
    "ip_status", "patent_applications", "patent_registrations", "evidence", "expected_benefit",
    "deadline", "confidential_text",
)
EDITABLE_STATUSES = (ListingStatus.draft, ListingStatus.published)
