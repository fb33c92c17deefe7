"""Matching in the app: feed the engine from the database, store what it finds, show it.

Embeddings are read from `listing_embeddings` / `profile_embeddings` and computed only for a
(version, model) not stored yet. Recomputing one listing ranks it against every public
counterpart, stores its top list and refreshes the score of pairs it holds in the other side's
list; a listing that is no longer public drops out of every list. New strong matches notify both
sides once. Functions `flush()`; the caller (a job, the CLI, a view) commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from babel.numbers import get_currency_precision
from flask import current_app, url_for
from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..accounts.models import Organisation, OrgKind, User
from ..clock import utcnow
from ..errors import DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..listings.challenges import Challenge
from ..listings.models import Listing
from ..listings.vocabulary import CURRENCIES, SECTOR_LABELS, SECTORS, ListingKind, ListingStatus
from ..mail.services import reading_language, send_email
from .documents import Listing as EngineListing
from .documents import listing_from_dict
from .engine import ListingFeatures, ListingIndex, MatchEngine
from .explanations import Explanation, explanation_parts
from .indexes import public_index, public_listings
from .records import (
    REGION_LABELS,
    InvestorMatch,
    InvestorProfile,
    InvestorStage,
    ListingEmbedding,
    Match,
    MatchNotification,
    ProfileEmbedding,
    region_of,
    vector_to_bytes,
)
from .signals import sector_affinity


def setting(name: str):
    """A matching setting; MATCHING_AUTO left at None means on, except in tests."""
    value = current_app.config[name]
    if name == "MATCHING_AUTO" and value is None:
        return not current_app.testing
    return value


# -- the engine and the listings as it sees them -----------------------------------------------

_ENGINES: dict[tuple, MatchEngine] = {}


def get_engine() -> MatchEngine:
    """One engine (model, glossary) per process, model name and exchange rate."""
    name = current_app.config["MATCHING_MODEL"]
    rates = exchange_rates()
    key = (name, tuple(sorted(rates.items())))
    if key not in _ENGINES:
        _ENGINES[key] = MatchEngine(model_name=name, rates=rates)
    return _ENGINES[key]


def exchange_rates() -> dict[str, float]:
    """Worth of one minor unit of each currency in won (what the engine compares prices in)."""
    krw_per_usd = float(current_app.config["MATCHING_KRW_PER_USD"])
    if krw_per_usd <= 0:
        return {}
    per_major = {"KRW": 1.0, "USD": krw_per_usd}
    return {code: rate / 10 ** get_currency_precision(code) for code, rate in per_major.items()}


def model_version() -> str:
    return get_engine().model_version


_TEXT_FIELDS = ("title_ko", "title_en", "summary_ko", "summary_en", "description_ko",
                "description_en")


def engine_listing(listing: Listing) -> EngineListing:
    data = {name: getattr(listing, name) for name in _TEXT_FIELDS}
    data.update(id=listing.id, sector=listing.sector, trl=listing.trl, min_trl=listing.min_trl,
                deal_types=listing.deal_types or [], keywords=listing.keywords or [],
                price_min=listing.price_min, price_max=listing.price_max,
                currency=listing.currency)
    return listing_from_dict(data, str(listing.kind))


def profile_listing(profile: InvestorProfile) -> EngineListing:
    """The profile as a "need" for the engine: its thesis, the names of its sectors in both
    languages and its keywords are the text; its TRL floor is the minimum. Deal types and
    budget stay neutral (an investment is open on every offering; a ticket is not a price)."""
    names = []
    for code in profile.sectors or []:
        if code in SECTOR_LABELS:
            for lang in ("ko", "en"):
                with force_locale(lang):
                    names.append(str(SECTOR_LABELS[code]))
    low, _high = profile.trl_range
    return EngineListing(id=f"investor:{profile.organisation_id}", kind="need", lang="ko",
                         title=", ".join(names), description=profile.thesis or "",
                         keywords=tuple(profile.keywords or ()), min_trl=low)


def _features_to_json(f: ListingFeatures) -> dict:
    return {"tokens": list(f.tokens), "concepts": sorted(f.concepts),
            "expanded": sorted(f.expanded)}


def _features_from_json(data: dict) -> ListingFeatures:
    return ListingFeatures(tuple(data.get("tokens") or ()), frozenset(data.get("concepts") or ()),
                           frozenset(data.get("expanded") or ()))


@dataclass
class Stored:
    vector: np.ndarray
    features: ListingFeatures


def listing_embeddings(listings: Sequence[Listing]) -> dict[int, Stored]:
    """Stored vector and features of each listing's current version; the missing ones are
    computed in one batch and stored. Never embeds a (listing version, model) twice."""
    engine = get_engine()
    version = engine.model_version
    out: dict[int, Stored] = {}
    wanted = {(x.id, x.version) for x in listings}
    ids = [x.id for x in listings]
    for chunk in range(0, len(ids), 500):
        rows = db.session.scalars(sa.select(ListingEmbedding).where(
            ListingEmbedding.listing_id.in_(ids[chunk:chunk + 500]),
            ListingEmbedding.model_version == version))
        for row in rows:
            if (row.listing_id, row.listing_version) in wanted:
                out[row.listing_id] = Stored(row.array, _features_from_json(row.features))
    missing = [x for x in listings if x.id not in out]
    if missing:
        plain = [engine_listing(x) for x in missing]
        vectors = engine.embed(plain)
        for listing, item, vector in zip(missing, plain, vectors, strict=True):
            features = engine.features(item)
            _store_once(ListingEmbedding, dict(listing_id=listing.id,
                                               listing_version=listing.version,
                                               model_version=version),
                        vector, features)
            out[listing.id] = Stored(np.asarray(vector, np.float32), features)
    return out


def profile_embedding(profile: InvestorProfile) -> Stored:
    engine = get_engine()
    key = dict(profile_id=profile.id, profile_version=profile.version,
               model_version=engine.model_version)
    row = db.session.scalar(sa.select(ProfileEmbedding).filter_by(**key))
    if row is not None:
        return Stored(row.array, _features_from_json(row.features))
    plain = profile_listing(profile)
    vector = engine.embed([plain])[0]
    features = engine.features(plain)
    _store_once(ProfileEmbedding, key, vector, features)
    return Stored(np.asarray(vector, np.float32), features)


def _store_once(model, key: dict, vector, features: ListingFeatures) -> None:
    """Insert the embedding unless another worker stored the same one in the meantime."""
    row = model(**key, dim=int(np.asarray(vector).shape[-1]), vector=vector_to_bytes(vector),
                features=_features_to_json(features))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except sa.exc.IntegrityError:
        pass


class Context:
    """What one recompute run shares: the engine and, per kind, the index of public listings."""

    def __init__(self) -> None:
        self.engine = get_engine()
        self._indexes: dict[ListingKind, ListingIndex] = {}
        self._stored: dict[int, Stored] = {}
        self.notify_threshold = float(setting("MATCHING_NOTIFY_THRESHOLD"))
        self.top_k = int(setting("MATCHING_TOP_K"))

    def stored(self, listing: Listing) -> Stored:
        if listing.id not in self._stored:
            self._stored.update(listing_embeddings([listing]))
        return self._stored[listing.id]

    def index(self, kind: ListingKind) -> ListingIndex:
        """The process's index of public listings of ``kind``, checked once per run."""
        if kind not in self._indexes:
            self._indexes[kind] = public_index(kind, self.engine)
        return self._indexes[kind]


# -- recomputing -------------------------------------------------------------------------------

def _other(kind: ListingKind) -> ListingKind:
    return ListingKind.offering if kind == ListingKind.need else ListingKind.need


def _side_columns(kind: ListingKind):
    """(own id column, other id column, own rank attribute, other rank attribute)."""
    if kind == ListingKind.need:
        return Match.need_id, Match.offering_id, "need_rank", "offering_rank"
    return Match.offering_id, Match.need_id, "offering_rank", "need_rank"


def recompute_listing(listing_id: int, ctx: Context | None = None,
                      with_investors: bool = True) -> dict:
    """Bring one listing's stored matches up to date (idempotent). Returns a small summary.

    An offering also refreshes the investors' lists unless `with_investors` is false (the full
    recompute ranks every investor once at the end instead)."""
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        return {"listing": listing_id, "status": "missing"}
    ctx = ctx or Context()
    if not listing.is_public:
        removed = _drop_out(listing)
        return {"listing": listing_id, "status": "not public", "removed": removed}
    own_col, other_col, own_rank, other_rank = _side_columns(listing.kind)
    stored = ctx.stored(listing)
    index = ctx.index(_other(listing.kind))
    query = engine_listing(listing)
    ranked = ctx.engine.rank(query, index, top_k=ctx.top_k, query_vector=stored.vector,
                             query_features=stored.features)
    existing = {getattr(row, other_col.key): row for row in db.session.scalars(
        sa.select(Match).where(own_col == listing.id))}
    top_ids = {int(m.listing_id) for m in ranked}
    held_elsewhere = [str(i) for i, row in existing.items()
                      if i not in top_ids and getattr(row, other_rank) is not None]
    rescored = ctx.engine.score_ids(query, index, held_elsewhere, stored.vector, stored.features)
    version, now = ctx.engine.model_version, utcnow()
    touched = []
    for position, result in [(i + 1, m) for i, m in enumerate(ranked)] + [(None, m)
                                                                          for m in rescored]:
        other_id = int(result.listing_id)
        row = existing.get(other_id)
        if row is None:
            ids = {own_col.key: listing.id, other_col.key: other_id}
            row = Match(**ids)
            db.session.add(row)
            existing[other_id] = row
        row.score = float(result.score)
        row.explanation = result.explanation.to_dict()
        row.model_version = version
        row.computed_at = now
        setattr(row, own_rank, position)
        touched.append(other_id)
    for other_id, row in existing.items():
        if other_id not in touched:
            setattr(row, own_rank, None)
            if other_id not in index.positions:  # the other side is no longer public
                setattr(row, other_rank, None)
    removed = _prune(existing.values())
    db.session.flush()
    notified = _notify_new([existing[i] for i in touched], ctx)
    summary = {"listing": listing_id, "status": "ranked", "matches": len(ranked),
               "rescored": len(rescored), "removed": removed, "notified": notified,
               "model_version": version}
    if listing.kind == ListingKind.offering and with_investors:
        summary["investors"] = recompute_offering_for_investors(listing, ctx)
    return summary


def _prune(rows: Iterable[Match]) -> int:
    removed = 0
    for row in list(rows):
        if not row.is_ranked and not row.is_sticky:
            db.session.delete(row)
            removed += 1
    return removed


def _drop_out(listing: Listing) -> int:
    """A closed, hidden or unpublished listing leaves every list (dismissals and the memory of a
    notice stay, so nothing is repeated when it comes back)."""
    own_col, _, _, _ = _side_columns(listing.kind)
    rows = list(db.session.scalars(sa.select(Match).where(own_col == listing.id)))
    for row in rows:
        row.need_rank = row.offering_rank = None
    removed = _prune(rows)
    if listing.kind == ListingKind.offering:
        investor_rows = list(db.session.scalars(sa.select(InvestorMatch).where(
            InvestorMatch.offering_id == listing.id)))
        for row in investor_rows:
            row.rank = None
            if not row.is_sticky:
                db.session.delete(row)
                removed += 1
    db.session.flush()
    return removed


# -- investors ---------------------------------------------------------------------------------

INVESTOR_WEIGHTS = {"sector": 0.05, "stage": 0.03, "language": 0.05, "region": 0.03}


def _investor_fit(profile: InvestorProfile, offering: Listing) -> tuple[float, dict]:
    """The profile's own signals against one offering: a score adjustment and its reasons."""
    w = INVESTOR_WEIGHTS
    adjust, facts = 0.0, {}
    if profile.sectors:
        affinity = max(sector_affinity(s, offering.sector) for s in profile.sectors)
        facts["sector_focus"] = ("same" if affinity >= 1 else "related" if affinity > 0
                                 else "outside")
        adjust += w["sector"] * affinity
    low, high = profile.trl_range
    if offering.trl is not None and (low is not None or high is not None):
        if low is not None and offering.trl < low:
            facts["stage_fit"] = "earlier"  # the engine's TRL penalty applies
        elif high is not None and offering.trl > high:
            facts["stage_fit"] = "later"
            adjust -= w["stage"]
        else:
            facts["stage_fit"] = "within"
    if profile.languages:
        readable = bool(set(profile.languages) & set(offering.languages))
        facts["language_fit"] = readable
        adjust -= 0 if readable else w["language"]
    if profile.regions:
        region = region_of(offering.organisation.country)
        inside = region in profile.regions
        facts["region_fit"] = inside
        facts["region"] = region
        adjust -= 0 if inside else w["region"]
    facts["trl"] = offering.trl
    return adjust, facts


def _investor_rows(org_id: int) -> dict[int, InvestorMatch]:
    return {row.offering_id: row for row in db.session.scalars(
        sa.select(InvestorMatch).where(InvestorMatch.investor_org_id == org_id))}


def recompute_investor(org_id: int, ctx: Context | None = None) -> dict:
    """Rank public offerings for one investor's profile and store the top list (idempotent)."""
    ctx = ctx or Context()
    profile = db.session.scalar(sa.select(InvestorProfile).filter_by(organisation_id=org_id))
    existing = _investor_rows(org_id)
    if profile is None or profile.organisation.kind != OrgKind.investor:
        for row in existing.values():
            row.rank = None
            if not row.is_sticky:
                db.session.delete(row)
        db.session.flush()
        return {"investor": org_id, "status": "no profile"}
    stored = profile_embedding(profile)
    index = ctx.index(ListingKind.offering)
    query = profile_listing(profile)
    pool = ctx.engine.rank(query, index, top_k=2 * ctx.top_k, query_vector=stored.vector,
                           query_features=stored.features)
    offerings = {x.id: x for x in db.session.scalars(sa.select(Listing).where(
        Listing.id.in_([int(m.listing_id) for m in pool])))}
    scored = []
    for m in pool:
        offering = offerings[int(m.listing_id)]
        adjust, facts = _investor_fit(profile, offering)
        explanation = m.explanation.to_dict() | {"investor": facts}
        scored.append((m.score + adjust, offering, explanation))
    scored.sort(key=lambda item: -item[0])
    scored = scored[:ctx.top_k]
    version, now = ctx.engine.model_version, utcnow()
    kept = set()
    for position, (score, offering, explanation) in enumerate(scored, start=1):
        row = existing.get(offering.id)
        if row is None:
            row = InvestorMatch(investor_org_id=org_id, offering_id=offering.id,
                                startup_org_id=offering.organisation_id)
            db.session.add(row)
            existing[offering.id] = row
        row.score, row.explanation, row.model_version = float(score), explanation, version
        row.computed_at, row.rank = now, position
        kept.add(offering.id)
    removed = 0
    for offering_id, row in list(existing.items()):
        if offering_id not in kept:
            row.rank = None
            if not row.is_sticky:
                db.session.delete(row)
                del existing[offering_id]
                removed += 1
    db.session.flush()
    notified = _notify_new([existing[i] for i in kept], ctx)
    return {"investor": org_id, "status": "ranked", "matches": len(kept), "removed": removed,
            "notified": notified, "model_version": version}


def recompute_offering_for_investors(offering: Listing, ctx: Context) -> int:
    """An offering changed: every investor's list is ranked again (investors are few)."""
    org_ids = list(db.session.scalars(sa.select(InvestorProfile.organisation_id)))
    for org_id in org_ids:
        recompute_investor(org_id, ctx)
    return len(org_ids)


def recompute_all() -> dict:
    """Every public listing and every investor profile, sharing one pair of indexes."""
    ctx = Context()
    counts = {"needs": 0, "offerings": 0, "investors": 0}
    for kind in (ListingKind.need, ListingKind.offering):
        ctx.index(kind)  # embeds what is missing, in batches
    for kind, key in ((ListingKind.need, "needs"), (ListingKind.offering, "offerings")):
        for listing in public_listings(kind):
            recompute_listing(listing.id, ctx, with_investors=False)
            counts[key] += 1
    for org_id in db.session.scalars(sa.select(InvestorProfile.organisation_id)):
        recompute_investor(org_id, ctx)
        counts["investors"] += 1
    # listings that are no longer public but still hold pairs
    stale = db.session.scalars(sa.select(Listing).where(
        sa.or_(Listing.status != ListingStatus.published, Listing.hidden_at.is_not(None)),
        sa.or_(Listing.id.in_(sa.select(Match.need_id)),
               Listing.id.in_(sa.select(Match.offering_id)),
               Listing.id.in_(sa.select(InvestorMatch.offering_id)))))
    counts["dropped"] = 0
    for listing in stale:
        _drop_out(listing)
        counts["dropped"] += 1
    return counts


# -- notifications -----------------------------------------------------------------------------

def _members(org_id: int) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.organisation_id == org_id, User.active.is_(True)).order_by(User.id)))


def _notify_new(rows: Sequence[Match | InvestorMatch], ctx: Context) -> int:
    """Notify both sides of each strong match not notified before; never twice."""
    count = 0
    for row in rows:
        if row.notified_at is not None or row.score < ctx.notify_threshold:
            continue
        if isinstance(row, Match):
            if row.need_dismissed_at or row.offering_dismissed_at:
                continue
            if not (row.need.is_public and row.offering.is_public):
                continue
            org_ids = [row.need.organisation_id, row.offering.organisation_id]
            field = "match_id"
        else:
            if row.dismissed_at or not row.offering.is_public:
                continue
            org_ids = [row.investor_org_id, row.startup_org_id]
            field = "investor_match_id"
        row.notified_at = utcnow()
        for org_id in org_ids:
            for user in _members(org_id):
                db.session.add(MatchNotification(user_id=user.id, **{field: row.id}))
        db.session.flush()
        jobs.enqueue(email_match, field, row.id)
        count += 1
    return count


def _link(endpoint: str, lang: str, **values) -> str:
    try:
        return url_for(endpoint, lang_code=lang, _external=True, **values)
    except RuntimeError:  # a worker without SERVER_NAME
        return ""


@dataclass
class Notice:
    """One notification as its reader sees it: their listing, the other side and why."""

    notification: MatchNotification
    own: Listing | Organisation
    other: Listing
    score: float
    explanation: dict
    url: str


def notice_view(notice: MatchNotification, lang: str, external: bool = False) -> Notice | None:
    user = notice.user
    if notice.match is not None:
        match = notice.match
        own_is_need = match.need.organisation_id == user.organisation_id
        own, other = (match.need, match.offering) if own_is_need else (match.offering,
                                                                       match.need)
        endpoint = f"listings.{own.kind}"
        values = {"listing_id": own.id, "_anchor": "recommendations"}
        score, explanation = match.score, match.explanation
    elif notice.investor_match is not None:
        match = notice.investor_match
        if match.investor_org_id == user.organisation_id:
            own, other = match.investor, match.offering
            endpoint, values = "matching.investor", {}
        else:
            own, other = match.offering, match.offering
            endpoint, values = "listings.offering", {"listing_id": match.offering_id}
        score, explanation = match.score, match.explanation
    else:
        return None
    url = (_link(endpoint, lang, **values) if external
           else url_for(endpoint, **values))
    return Notice(notice, own, other, score, explanation, url)


@jobs.job(queue="mail", timeout=120, retries=3)
def email_match(field: str, match_id: int) -> int:
    """E-mail every notice of one match not e-mailed yet. Idempotent."""
    column = getattr(MatchNotification, field)
    notices = list(db.session.scalars(sa.select(MatchNotification).where(
        column == match_id, MatchNotification.emailed_at.is_(None))
        .order_by(MatchNotification.id)))
    for notice in notices:
        user = notice.user
        lang = reading_language(user)
        if user.active:
            with force_locale(lang):
                view = notice_view(notice, lang, external=True)
                if view is not None:
                    title = view.other.text("title", lang)
                    subject = gettext("[Tech Trade-On] A strong match: %(title)s", title=title)
                    body = gettext(
                        "Hello %(name)s,\n\nThe matching found a strong fit (score %(score)s):\n"
                        "%(title)s\n%(why)s\n\nSee your recommendations: %(link)s\n",
                        name=user.display_name, score=f"{view.score:.2f}", title=title,
                        why=explanation_text(view.explanation, lang), link=view.url or "-")
                    send_email(user.email, subject, body)
        notice.emailed_at = utcnow()
    return len(notices)


def notifications_for(user, limit: int = 50) -> list[MatchNotification]:
    return list(db.session.scalars(sa.select(MatchNotification).where(
        MatchNotification.user_id == user.id).order_by(MatchNotification.id.desc())
        .limit(limit)))


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(sa.select(sa.func.count(MatchNotification.id)).where(
        MatchNotification.user_id == user.id, MatchNotification.read_at.is_(None))) or 0


def mark_read(user) -> int:
    result = db.session.execute(sa.update(MatchNotification).where(
        MatchNotification.user_id == user.id, MatchNotification.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount or 0


# -- reading: recommendations ------------------------------------------------------------------

INVESTOR_PHRASES = {
    "same": _l("In your focus sectors"),
    "related": _l("Next to your focus sectors"),
    "within": _l("Readiness fits your stage"),
    "later": _l("Later than your stage"),
    "unreadable": _l("Not written in your languages"),
    "outside_region": _l("Outside your regions"),
}


def explanation_text(explanation: dict, lang: str | None = None) -> str:
    return " · ".join(explanation_list(explanation, lang))


def explanation_list(explanation: dict, lang: str | None = None) -> list[str]:
    """The stored explanation as phrases in the viewer's language."""
    lang = lang or str(get_locale() or "ko")
    lang = lang if lang in ("ko", "en") else "ko"
    parts = explanation_parts(Explanation.from_dict(explanation), lang)
    facts = explanation.get("investor")
    if facts:
        with force_locale(lang):
            if facts.get("sector_focus") in ("same", "related"):
                parts.insert(1, str(INVESTOR_PHRASES[facts["sector_focus"]]))
            if facts.get("stage_fit") in ("within", "later"):
                parts.append(str(INVESTOR_PHRASES[facts["stage_fit"]]))
            if facts.get("language_fit") is False:
                parts.append(str(INVESTOR_PHRASES["unreadable"]))
            if facts.get("region_fit") is False:
                parts.append(str(INVESTOR_PHRASES["outside_region"]))
    return parts


@dataclass
class Recommendation:
    match: Match | InvestorMatch
    listing: Listing  # the recommended listing
    score: float
    explanation: dict

    @property
    def text(self) -> str:
        return explanation_text(self.explanation)

    @property
    def parts(self) -> list[str]:
        return explanation_list(self.explanation)

    @property
    def open_challenge(self) -> Challenge | None:
        challenge = self.listing.challenge
        return challenge if challenge is not None and challenge.is_open else None


def can_see_recommendations(listing: Listing, user) -> bool:
    """Only the listing's own organisation and staff see whom it was matched with."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return listing.is_member(user) or user.is_staff


def recommendations(listing: Listing, limit: int = 10) -> list[Recommendation]:
    """Ranked counterparts of `listing`: public ones, not dismissed by its organisation."""
    own_col, other_col, _, _ = _side_columns(listing.kind)
    dismissed = (Match.need_dismissed_at if listing.kind == ListingKind.need
                 else Match.offering_dismissed_at)
    Other = sa.orm.aliased(Listing)
    rows = db.session.scalars(
        sa.select(Match).join(Other, Other.id == other_col).where(
            own_col == listing.id, dismissed.is_(None),
            sa.or_(Match.need_rank.is_not(None), Match.offering_rank.is_not(None)),
            Other.status == ListingStatus.published, Other.hidden_at.is_(None))
        .order_by(Match.score.desc(), Match.id).limit(limit))
    other_attr = "offering" if listing.kind == ListingKind.need else "need"
    return [Recommendation(row, getattr(row, other_attr), row.score, row.explanation)
            for row in rows]


def investor_recommendations(org_id: int, limit: int = 20) -> list[Recommendation]:
    rows = db.session.scalars(
        sa.select(InvestorMatch).join(Listing, Listing.id == InvestorMatch.offering_id).where(
            InvestorMatch.investor_org_id == org_id, InvestorMatch.dismissed_at.is_(None),
            InvestorMatch.rank.is_not(None), Listing.status == ListingStatus.published,
            Listing.hidden_at.is_(None))
        .order_by(InvestorMatch.score.desc(), InvestorMatch.id).limit(limit))
    return [Recommendation(row, row.offering, row.score, row.explanation) for row in rows]


def match_for_member_or_404(match_id: int, user) -> tuple[Match, ListingKind]:
    """The match and the side (need or offering) the user's organisation is on."""
    match = db.session.get(Match, match_id)
    org_id = getattr(user, "organisation_id", None)
    if match is None or org_id is None:
        raise NotFound(_l("This recommendation does not exist."))
    if match.need.organisation_id == org_id:
        return match, ListingKind.need
    if match.offering.organisation_id == org_id:
        return match, ListingKind.offering
    raise NotFound(_l("This recommendation does not exist."))


def dismiss(match: Match, side: ListingKind) -> None:
    """Hide the recommendation from that side's list for good (recomputes keep the mark)."""
    if side == ListingKind.need:
        match.need_dismissed_at = match.need_dismissed_at or utcnow()
    else:
        match.offering_dismissed_at = match.offering_dismissed_at or utcnow()
    db.session.flush()


def investor_match_for_member_or_404(match_id: int, user) -> InvestorMatch:
    match = db.session.get(InvestorMatch, match_id)
    if match is None or match.investor_org_id != getattr(user, "organisation_id", None):
        raise NotFound(_l("This recommendation does not exist."))
    return match


def dismiss_investor_match(match: InvestorMatch) -> None:
    match.dismissed_at = match.dismissed_at or utcnow()
    db.session.flush()


def interest_url(match: Match | InvestorMatch, side: ListingKind | None = None) -> str:
    """Where "I am interested" leads: the deal inquiry form, prefilled."""
    if isinstance(match, InvestorMatch):
        return url_for("deals.new", offering=match.offering_id)
    return url_for("deals.new", offering=match.offering_id, need=match.need_id)


def unmatched(kind: ListingKind, limit: int = 50) -> list[tuple[Listing, float | None]]:
    """Staff: public listings whose best current match is weak or missing, weakest first."""
    own_col, _, _, _ = _side_columns(kind)
    best = (sa.select(own_col.label("listing_id"), sa.func.max(Match.score).label("best"))
            .where(sa.or_(Match.need_rank.is_not(None), Match.offering_rank.is_not(None)))
            .group_by(own_col).subquery())
    weak = float(setting("MATCHING_WEAK_SCORE"))
    rows = db.session.execute(
        sa.select(Listing, best.c.best).outerjoin(best, best.c.listing_id == Listing.id).where(
            Listing.kind == kind, Listing.status == ListingStatus.published,
            Listing.hidden_at.is_(None), sa.or_(best.c.best.is_(None), best.c.best < weak))
        .order_by(best.c.best.is_not(None), best.c.best, Listing.published_at).limit(limit))
    return [(listing, score) for listing, score in rows]


# -- investor profiles -------------------------------------------------------------------------

PROFILE_FIELDS = ("thesis", "sectors", "keywords", "stages", "trl_min", "trl_max", "ticket_min",
                  "ticket_max", "currency", "regions", "languages")
MAX_TICKET = 10**15


def profile_for(org: Organisation) -> InvestorProfile | None:
    return db.session.scalar(sa.select(InvestorProfile).filter_by(organisation_id=org.id))


def clean_profile_data(data: dict) -> dict:
    """Validated profile values from plain data; DomainError with per-field messages."""
    errors: dict[str, list] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    def codes(name, allowed):
        values = [str(v).strip() for v in data.get(name) or [] if str(v).strip()]
        values = list(dict.fromkeys(values))
        if any(v not in allowed for v in values):
            add(name, _l("Not a valid choice."))
        return [v for v in values if v in allowed]

    out = {
        "sectors": codes("sectors", SECTORS),
        "stages": codes("stages", [s.value for s in InvestorStage]),
        "regions": codes("regions", list(REGION_LABELS)),
        "languages": codes("languages", ["ko", "en"]),
    }
    thesis = (data.get("thesis") or "").strip() or None
    if thesis and len(thesis) > 5000:
        add("thesis", _l("Use at most %(n)d characters.", n=5000))
    out["thesis"] = thesis
    raw = data.get("keywords") or []
    if isinstance(raw, str):
        raw = raw.replace("\n", ",").split(",")
    keywords = list(dict.fromkeys(k.strip() for k in raw if k and k.strip()))
    if len(keywords) > 20 or any(len(k) > 40 for k in keywords):
        add("keywords", _l("Use at most 20 keywords of at most 40 characters."))
    out["keywords"] = keywords
    for name in ("trl_min", "trl_max", "ticket_min", "ticket_max"):
        value = data.get(name)
        if value in (None, ""):
            out[name] = None
            continue
        try:
            out[name] = int(value)
        except (TypeError, ValueError):
            add(name, _l("Enter a whole number."))
            out[name] = None
    for name in ("trl_min", "trl_max"):
        if out[name] is not None and not 1 <= out[name] <= 9:
            add(name, _l("The TRL is a number from 1 to 9."))
    if out["trl_min"] and out["trl_max"] and out["trl_min"] > out["trl_max"]:
        add("trl_max", _l("The maximum must not be below the minimum."))
    for name in ("ticket_min", "ticket_max"):
        if out[name] is not None and not 0 <= out[name] < MAX_TICKET:
            add(name, _l("Enter an amount between 0 and a sensible maximum."))
    if (out["ticket_min"] is not None and out["ticket_max"] is not None
            and out["ticket_max"] < out["ticket_min"]):
        add("ticket_max", _l("The maximum must not be below the minimum."))
    currency = (data.get("currency") or "").strip().upper() or None
    if out["ticket_min"] is None and out["ticket_max"] is None:
        currency = currency if currency in CURRENCIES else None
    elif currency not in CURRENCIES:
        add("currency", _l("Choose the currency of the amounts."))
    out["currency"] = currency
    if not (out["sectors"] or out["keywords"] or out["thesis"]):
        add("sectors", _l("Choose at least one sector, or describe your focus."))
    if errors:
        raise DomainError(_l("Please correct the marked fields."), errors)
    return out


def save_profile(user: User, data: dict) -> InvestorProfile:
    """Create or change the user's organisation's profile; a real change bumps the version and
    queues the recompute of its matches (sent after commit)."""
    org = user.organisation
    if org is None or org.kind != OrgKind.investor:
        raise PermissionDenied(_l("Only investors keep an interest profile."))
    values = clean_profile_data(data)
    profile = profile_for(org)
    if profile is None:
        profile = InvestorProfile(organisation_id=org.id, version=1, **values)
        db.session.add(profile)
    else:
        changed = {k: v for k, v in values.items() if getattr(profile, k) != v}
        if not changed:
            return profile
        for key, value in changed.items():
            setattr(profile, key, value)
        profile.version += 1
        profile.updated_at = utcnow()
    db.session.flush()
    if setting("MATCHING_AUTO"):
        from .jobs import recompute_investor_job

        jobs.enqueue(recompute_investor_job, org.id)
    return profile
