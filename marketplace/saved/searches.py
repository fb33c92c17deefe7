"""Saving a browse query, listing and deleting a user's saved searches, and whether a listing
matches one.

The rules are the same for the pages and the API: `save_search(user, data)` checks the values
(a refusal is `Invalid`, answered 422, with a translated message per field), and a user sees and
deletes only their own searches (another's is 404, as if it did not exist).
"""

from collections.abc import Mapping

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..errors import Conflict, DomainError, NotFound
from ..extensions import db
from ..listings import text
from ..listings.models import Listing
from ..listings.vocabulary import DEAL_TYPE_LABELS, SECTOR_LABELS, ListingKind
from .models import SavedSearch

MAX_QUERY = 200
MAX_LABEL = 200
#: Enough for anyone; a limit keeps the matching job's work per listing bounded.
MAX_SAVED_SEARCHES = 50
LANGUAGE_LABELS = {"ko": _l("Written in Korean"), "en": _l("Written in English")}


class Invalid(DomainError):
    status = 422
    code = "validation_error"


def _text(value, limit: int, name: str, errors: dict) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        errors[name] = [_l("Not a valid text.")]
        return ""
    value = " ".join(value.split())
    if len(value) > limit:
        errors[name] = [_l("Use at most %(n)s characters.", n=limit)]
    return value


def _choice(value, allowed, name: str, message, errors: dict) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        errors[name] = [message]
        return None
    return value


def _trl(value, name: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or not 1 <= number <= 9 or str(number) != str(value).strip():
        errors[name] = [_l("Choose a readiness level from 1 to 9.")]
        return None
    return number


def clean(data: Mapping) -> dict:
    """The saved search's values from `data` (strings as a form sends them, or JSON values);
    Invalid (422) with a message per field when one is not usable."""
    errors: dict = {}
    kind = _choice(data.get("kind"), [k.value for k in ListingKind], "kind",
                   _l("Choose needs or offerings."), errors)
    if kind is None and "kind" not in errors:
        errors["kind"] = [_l("Choose needs or offerings.")]
    values = {
        "kind": kind,
        "q": _text(data.get("q"), MAX_QUERY, "q", errors),
        "sector": _choice(data.get("sector"), SECTOR_LABELS, "sector",
                          _l("Choose a sector from the list."), errors),
        "trl_min": _trl(data.get("trl_min"), "trl_min", errors),
        "trl_max": _trl(data.get("trl_max"), "trl_max", errors),
        "deal_type": _choice(data.get("deal_type"), DEAL_TYPE_LABELS, "deal_type",
                             _l("Choose a deal type from the list."), errors),
        "lang": _choice(data.get("lang"), ("ko", "en"), "lang",
                        _l("Choose Korean or English."), errors),
        "label": _text(data.get("label"), MAX_LABEL, "label", errors),
    }
    low, high = values["trl_min"], values["trl_max"]
    if low is not None and high is not None and low > high:
        errors["trl_max"] = [_l("The highest readiness level cannot be below the lowest.")]
    if errors:
        raise Invalid(_l("The search could not be saved. Check the fields marked."), errors)
    return values


def describe(values: Mapping) -> str:
    """The search in words, in the current language: its keywords and filters, or what it
    covers when it has none (the default name of a saved search)."""
    parts = []
    if values.get("q"):
        parts.append(f"“{values['q']}”")
    if values.get("sector"):
        parts.append(str(SECTOR_LABELS[values["sector"]]))
    low, high = values.get("trl_min"), values.get("trl_max")
    if low and high:
        parts.append(gettext("TRL %(low)s to %(high)s", low=low, high=high))
    elif low:
        parts.append(gettext("TRL %(n)s or higher", n=low))
    elif high:
        parts.append(gettext("TRL %(n)s or lower", n=high))
    if values.get("deal_type"):
        parts.append(str(DEAL_TYPE_LABELS[values["deal_type"]]))
    if values.get("lang"):
        parts.append(str(LANGUAGE_LABELS[values["lang"]]))
    if not parts:
        return (gettext("All technology needs") if values.get("kind") == ListingKind.need
                else gettext("All technology offerings"))
    return " · ".join(parts)


def save_search(user: User, data: Mapping) -> SavedSearch:
    """Save `data` ({kind, q, sector, trl_min, trl_max, deal_type, lang}, optional label) for
    `user`. The same query twice is a conflict (409), and so is one more than the limit."""
    values = clean(data)
    label = values.pop("label") or describe(values)[:MAX_LABEL]
    mine = sa.select(SavedSearch).where(SavedSearch.user_id == user.id)
    same = mine.where(*[getattr(SavedSearch, name) == value if value is not None
                        else getattr(SavedSearch, name).is_(None)
                        for name, value in values.items()])
    if db.session.scalar(same.limit(1)) is not None:
        raise Conflict(_l("You have already saved this search."))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(mine.subquery()))
    if count >= MAX_SAVED_SEARCHES:
        raise Conflict(_l("You can keep at most %(n)s saved searches. Delete one first.",
                          n=MAX_SAVED_SEARCHES))
    search = SavedSearch(user_id=user.id, label=label, **values)
    db.session.add(search)
    db.session.flush()
    return search


def searches_of(user: User) -> list[SavedSearch]:
    return list(db.session.scalars(sa.select(SavedSearch).where(
        SavedSearch.user_id == user.id).order_by(SavedSearch.id.desc())))


def search_of(user: User, search_id: int) -> SavedSearch:
    """The user's own saved search; anyone else's does not exist for them (404)."""
    search = db.session.get(SavedSearch, search_id)
    if search is None or search.user_id != user.id:
        raise NotFound(_l("This saved search does not exist."))
    return search


def delete_search(user: User, search_id: int) -> None:
    db.session.delete(search_of(user, search_id))
    db.session.flush()


def browse_url(search: SavedSearch, **kwargs) -> str:
    """The browse page that runs the search again."""
    endpoint = "listings.needs" if search.kind == ListingKind.need else "listings.offerings"
    return url_for(endpoint, **search.filters(), **kwargs)


# -- matching one listing ----------------------------------------------------------------------


def candidates(listing: Listing):
    """The saved searches whose filters `listing` passes, of owners outside its organisation:
    every filter but the keywords, in SQL, as browse applies them (`search._filters`)."""
    trl = listing.trl_value
    owner = sa.select(User.id).where(User.active.is_(True), sa.or_(
        User.organisation_id.is_(None), User.organisation_id != listing.organisation_id))
    conditions = [
        SavedSearch.kind == listing.kind,
        SavedSearch.user_id.in_(owner),
        sa.or_(SavedSearch.sector.is_(None), SavedSearch.sector == listing.sector),
        sa.or_(SavedSearch.trl_min.is_(None), sa.literal(trl) >= SavedSearch.trl_min)
        if trl is not None else SavedSearch.trl_min.is_(None),
        sa.or_(SavedSearch.trl_max.is_(None), sa.literal(trl) <= SavedSearch.trl_max)
        if trl is not None else SavedSearch.trl_max.is_(None),
        sa.or_(SavedSearch.deal_type.is_(None),
               SavedSearch.deal_type.in_(list(listing.deal_types or []))),
        sa.or_(SavedSearch.lang.is_(None), SavedSearch.lang.in_(listing.languages)),
    ]
    return sa.select(SavedSearch).where(*conditions).order_by(SavedSearch.id)


def keywords_match(query: str, listing_terms: set[str]) -> bool:
    """Whether a listing indexed under `listing_terms` is found by the keywords `query`: the
    search's own rule — every term of the query (`text.query_terms`) is one of the listing's
    terms; keywords with no searchable word find nothing, as on the browse page."""
    if not query:
        return True
    terms = text.query_terms(query)
    return bool(terms) and set(terms) <= listing_terms
