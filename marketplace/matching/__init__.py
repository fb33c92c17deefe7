"""Matching engine: pairs technology needs with offerings across Korean and English.

Pure Python on plain data (:class:`Listing`), so the app can feed it from the database and store
vectors, scores and explanations per listing version. Typical use::

    engine = MatchEngine(model_name=app.config["MATCHING_MODEL"])
    vectors = engine.embed(offerings)                 # once per listing version; store them
    index = engine.build_index(offerings, vectors)
    for match in engine.rank(need, index, top_k=10):  # need -> offerings (or the reverse)
        match.score, match.explanation.to_dict(), render_explanation(match.explanation, "ko")
"""

from .embeddings import EmbeddingModel, get_model, register_model
from .engine import METHODS, Match, MatchEngine
from .explanations import Explanation, explanation_parts, render_explanation
from .glossary import Glossary, load_glossary
from .listing_data import Listing, listing_from_dict, load_listings, load_qrels
from .listing_index import ListingFeatures, ListingIndex, listing_features, top_k_indices
from .scoring import DEFAULT_WEIGHTS, Weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "METHODS",
    "EmbeddingModel",
    "Explanation",
    "Glossary",
    "Listing",
    "ListingFeatures",
    "ListingIndex",
    "Match",
    "MatchEngine",
    "Weights",
    "explanation_parts",
    "get_model",
    "listing_features",
    "listing_from_dict",
    "load_glossary",
    "load_listings",
    "load_qrels",
    "register_model",
    "render_explanation",
    "top_k_indices",
]


def init_app(app) -> None:
    """Register the recommendation pages, the navigation entry and the recompute hooks, and
    cap the process's matching threads (``MATCHING_THREADS``); answer listing search's
    questions (meaning, the other language)."""
    from flask_babel import lazy_gettext as _l

    from . import hooks, search
    from .embeddings import limit_threads
    from .views import bp

    limit_threads(app.config["MATCHING_THREADS"])
    app.register_blueprint(bp)
    app.config.setdefault("NAV_LINKS", []).append(("matching.mine", _l("Matches")))
    hooks.init_app(app)
    search.init_app(app)
