"""How well listing search finds the right listings across Korean and English, over the demo data.

Run: .venv/bin/python benchmarks/search_eval.py [--lexical]

Builds a temporary SQLite database with the demo data set, stores every public listing's
embedding (as matching does when a listing is published), loads the matching model and runs the
labelled queries below (English, Korean, with typos) through `search_listings`. Prints each
query's top three and recall@3 (the share of a query's relevant listings in its first three,
out of at most three), overall and per group; `--lexical` measures keyword search alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DRONES = ["Crop-spraying drones for rice paddies and orchards",
          "Autonomous drone inspection of wind turbine blades",
          "AI that classifies wind turbine blade damage from drone images",
          "Scheduled drone delivery to islands and remote villages",
          "Unstaffed drone delivery station (automatic battery swap and parcel lockers)"]
ROBOTS = ["AI piece-picking robot cells for fulfilment centres",
          "Goods-to-person robots that bring shelves to the pick station"]
BMS_NEED = "Early warning from EV battery management data"
BATTERIES = ["AI early warning of failing EV battery cells from BMS data",
             "Cloud prediction of EV battery state of health (SOH)"]
# (group, kind, query, titles that should come first: any language's title of the listing).
# Most demo listings are written in both languages; the "->" groups with one title are the
# listings written in one language only, found from the other.
LABELLED: list[tuple[str, str, str, list[str]]] = [
    ("en->ko", "offering", "drone", DRONES),
    ("ko->en", "offering", "드론", DRONES),
    ("en->ko", "offering", "robot", ROBOTS),
    ("ko->en", "offering", "로봇", ROBOTS),
    ("ko->en", "offering", "엑스레이 이물 검사",
     ["Dual-energy X-ray inspection for packaged food"]),
    ("ko->en", "offering", "인공 피부 자극 시험",
     ["Reconstructed human epidermis for in-vitro skin irritation testing"]),
    ("ko->en", "offering", "폴리에스터 면 혼방 분리",
     ["Enzymatic separation of polyester-cotton blends"]),
    ("ko->en", "offering", "분전반 아크 과열 감지",
     ["Arc-fault and overheating sensors for distribution panels"]),
    ("ko->en", "offering", "셀프계산대 도난 방지",
     ["Computer-vision loss prevention at self-checkouts"]),
    ("en->ko", "offering", "liveness face authentication",
     ["패시브 라이브니스(생체 위조 방지) 얼굴 인증 SDK"]),
    ("ko->en", "offering", "데이터센터 냉방 최적화",
     ["AI optimisation of data-centre cooling plant"]),
    ("en->ko", "offering", "thermal camera distribution panel",
     ["Compact thermal camera that watches inside distribution panels"]),
    ("en->ko", "need", "battery", [BMS_NEED]),
    ("en->ko", "need", "fine dust", ["Fine dust reduction on construction sites"]),
    ("ko->en", "need", "피킹 로봇", ["Picking robots for our fulfilment centre"]),
    ("typo", "need", "batery", [BMS_NEED]),
    ("typo", "need", "베터리", [BMS_NEED]),
    ("typo", "offering", "robto", ROBOTS),
    ("typo", "offering", "드롬", DRONES),
    ("typo", "offering", "batery", BATTERIES),
]
# Queries about nothing in the demo data: at most this many results each.
UNRELATED = [("offering", "cryptocurrency mining pool"), ("offering", "웨딩 드레스 대여"),
             ("need", "pet grooming salon")]
UNRELATED_MAX = 3


def titles(listing) -> set[str]:
    return {t for t in (listing.title_ko, listing.title_en) if t}


def recall_at_3(ranked: list[set[str]], relevant: list[str]) -> float:
    top = set().union(*ranked[:3]) if ranked else set()
    return sum(title in top for title in relevant) / min(3, len(relevant))


def evaluate(verbose: bool = False) -> dict:
    """Run the labelled queries in the current app context (the demo data loaded and
    embedded); returns {"recall": overall, "groups": {...}, "unrelated": {query: total}}."""
    import sqlalchemy as sa

    from marketplace.extensions import db
    from marketplace.listings.models import Listing
    from marketplace.listings.search import search_listings

    public = set()
    for listing in db.session.scalars(sa.select(Listing).where(Listing.status == "published")):
        public |= titles(listing)
    per_group: dict[str, list[float]] = {}
    for group, kind, query, relevant in LABELLED:
        relevant = [t for t in relevant if t in public]  # the demo leaves some unpublished
        if not relevant:
            raise ValueError(f"nothing relevant to {query!r} is published")
        items, _total = search_listings(kind, {"q": query})
        ranked = [titles(x) for x in items]
        score = recall_at_3(ranked, relevant)
        per_group.setdefault(group, []).append(score)
        if verbose:
            shown = " | ".join(sorted(t)[0][:38] for t in ranked[:3])
            print(f"  {score:4.2f}  {kind:8} {query!r:28} -> {shown}")
    unrelated = {}
    for kind, query in UNRELATED:
        unrelated[query] = search_listings(kind, {"q": query})[1]
        if verbose:
            print(f"  unrelated {kind:8} {query!r:28} -> {unrelated[query]} results")
    scores = [s for values in per_group.values() for s in values]
    return {"recall": sum(scores) / len(scores),
            "groups": {g: sum(v) / len(v) for g, v in per_group.items()},
            "unrelated": unrelated}


def embed_public_listings() -> int:
    """Store the embedding of every public listing, as matching does on publishing."""
    import sqlalchemy as sa

    from marketplace.extensions import db
    from marketplace.listings.models import Listing
    from marketplace.matching.embedding_store import listing_embeddings

    listings = list(db.session.scalars(sa.select(Listing).where(
        Listing.status == "published")))
    listing_embeddings(listings)
    db.session.commit()
    return len(listings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lexical", action="store_true", help="keyword search alone")
    parser.add_argument("--floor", type=float, help="SEARCH_SEMANTIC_FLOOR to measure")
    parser.add_argument("--weight", type=float, help="weight of the list by meaning")
    args = parser.parse_args()
    from marketplace import create_app
    from marketplace.demo import SEEDERS
    from marketplace.extensions import db
    from marketplace.listings import search
    from marketplace.matching import get_model

    if args.weight is not None:
        search.SEMANTIC_LIST_WEIGHT = args.weight

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/eval.db",
                          "SECRET_KEY": "eval", "REDIS_URL": "", "MATCHING_AUTO": False,
                          "SEARCH_SEMANTIC": not args.lexical,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        if args.floor is not None:
            app.config["SEARCH_SEMANTIC_FLOOR"] = args.floor
        with app.test_request_context():
            db.create_all()
            for seeder in SEEDERS:
                seeder()
                db.session.commit()
            get_model(app.config["MATCHING_MODEL"])
            print(f"embedded {embed_public_listings()} public listings")
            result = evaluate(verbose=True)
            db.engine.dispose()
    mode = "keyword search alone" if args.lexical else "keywords + glossary + embeddings"
    print(f"\nrecall@3 ({mode}, floor {app.config['SEARCH_SEMANTIC_FLOOR']}, semantic weight "
          f"{search.SEMANTIC_LIST_WEIGHT}, {len(LABELLED)} queries): {result['recall']:.3f}")
    for group, value in result["groups"].items():
        print(f"  {group:7} {value:.3f}")


if __name__ == "__main__":
    main()
