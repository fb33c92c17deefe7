"""What a listing card and a listing page's texts and facts show, as keys for the fragment
cache (`fragments`): every field they print, the viewer's language, and the rate behind the
approximate amounts beside prices."""

from flask import current_app


def card_key(listing, lang: str) -> tuple:
    org = listing.organisation
    challenge = listing.challenge
    return ("listing-card", lang, listing.id, listing.kind, listing.title_ko, listing.title_en,
            listing.summary_ko, listing.summary_en, listing.sector, listing.trl, listing.min_trl,
            tuple(listing.deal_types or ()), listing.price_min, listing.price_max,
            listing.currency, listing.deadline, org.id, org.name_ko, org.name_en,
            org.verification, challenge is not None and challenge.is_open, *_rate())


def detail_key(listing, lang: str) -> tuple:
    """A listing page's header, texts and facts, the same for every viewer: the listing's
    version (it goes up with every edit) and the changes of state that leave it, its
    organisation's name and verification, the viewer's language, and the rate that approximate
    amounts are converted at."""
    org = listing.organisation
    return ("listing-detail", lang, listing.id, listing.version, listing.updated_at,
            listing.status, listing.published_at, listing.closed_reason, listing.hidden_at,
            listing.hidden_reason, org.id, org.name_ko, org.name_en, org.verification, *_rate())


def _rate() -> tuple:
    """The rate that approximate amounts beside prices are converted at, and its date."""
    config = current_app.config
    return str(config["USD_KRW_RATE"]), config["USD_KRW_RATE_DATE"]
