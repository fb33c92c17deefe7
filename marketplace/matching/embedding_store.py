"""Listings and investor profiles as the engine sees them, and their embeddings stored once per
(listing or profile version, model version): read what is stored, compute and store the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask_babel import force_locale

from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import SECTOR_LABELS
from .listing_data import Listing as EngineListing
from .listing_data import listing_from_dict
from .listing_index import ListingFeatures
from .records import InvestorProfile, ListingEmbedding, ProfileEmbedding, vector_to_bytes
from .settings import get_engine

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


def features_from_json(data: dict) -> ListingFeatures:
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
                out[row.listing_id] = Stored(row.array, features_from_json(row.features))
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
        return Stored(row.array, features_from_json(row.features))
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
