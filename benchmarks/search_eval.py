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

DRONE_KO = "병원 간·건물 간 의료 검체 드론 배송 서비스"
DRONE_EN = "Crop-spraying drones for rice and orchard farms"
ROBOTS = ["병원 내 물품·검체 자율주행 배송 로봇", "식당 서빙 자율주행 로봇",
          "Shelf-scanning robot for out-of-stock and price-label checks",
          "Collaborative robot frying station for quick-service kitchens"]
SUBTITLES = "Machine-translated subtitles with professional post-editing"
BMS_NEED = "전기차 배터리관리시스템 이상 징후 조기 진단"
# (group, kind, query, titles that should come first: any language's title of the listing)
LABELLED: list[tuple[str, str, str, list[str]]] = [
    ("en->ko", "offering", "drone", [DRONE_KO, DRONE_EN]),
    ("ko->en", "offering", "드론", [DRONE_KO, DRONE_EN]),
    ("en->ko", "offering", "robot", ROBOTS),
    ("ko->en", "offering", "로봇", ROBOTS),
    ("ko->en", "offering", "액침 냉각", ["Single-phase immersion cooling tanks"]),
    ("en->ko", "offering", "dubbing", ["원음 목소리를 유지하는 AI 다국어 더빙 솔루션"]),
    ("ko->en", "offering", "신분증 진위 확인",
     ["ID-card authenticity check and face matching for mobile onboarding"]),
    ("en->ko", "offering", "thermal imaging distribution panel",
     ["분전반 내장형 소형 열화상 상시 감시 장치"]),
    ("ko->en", "offering", "자막 번역", [SUBTITLES]),
    ("en->ko", "offering", "used clothing sorting", ["근적외선(NIR) 기반 폐의류 소재 자동 선별기"]),
    ("ko->en", "offering", "금속 검출", ["Multi-frequency metal detectors for food production"]),
    ("en->ko", "offering", "delivery robot", ["병원 내 물품·검체 자율주행 배송 로봇"]),
    ("ko->en", "offering", "엘리베이터 예지 정비",
     ["Predictive maintenance for elevators in ageing buildings"]),
    ("en->ko", "need", "battery", [BMS_NEED]),
    ("en->ko", "need", "drone delivery",
     ["도서 지역 물류드론 정기 배송",
      "Fast transport of lab specimens between hospital buildings"]),
    ("ko->en", "need", "튀김 자동화", ["Automating deep-frying in fried-chicken restaurants"]),
    ("typo", "need", "batery", [BMS_NEED]),
    ("typo", "need", "베터리", [BMS_NEED]),
    ("typo", "offering", "robto", ROBOTS),
    ("typo", "offering", "자율주헹 로봇", ROBOTS[:2]),
    ("typo", "offering", "subtitels", [SUBTITLES]),
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
