"""What a listing card shows, as a key for the card cache (`fragments`): every field the card
prints, the viewer's language, and whether its challenge is open now."""


def card_key(listing, lang: str) -> tuple:
    org = listing.organisation
    challenge = listing.challenge
    return ("listing-card", lang, listing.id, listing.kind, listing.title_ko, listing.title_en,
            listing.summary_ko, listing.summary_en, listing.sector, listing.trl, listing.min_trl,
            tuple(listing.deal_types or ()), listing.price_min, listing.price_max,
            listing.currency, listing.deadline, org.id, org.name_ko, org.name_en,
            org.verification, challenge is not None and challenge.is_open)
