"""Listing search and browse speed at 100,000 offerings and 20,000 needs, SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/search.py [--offerings 100000] [--needs 20000]
     [--databases sqlite,postgresql] [--pg-url postgresql://postgres@127.0.0.1:5432]

For each database it builds a fresh one (a temporary SQLite file; a PostgreSQL database it creates
and drops), bulk-loads synthetic listings written from the demo texts (Korean, English and both),
fills `listing_terms` with the real tokenizer, stores an embedding per listing (the normalised
mean of the matching model's vectors of its title, twice, and its sentences: the pool's pieces
are embedded once, not 120,000 listings), and prints:
  * p50/p95 of `search_listings` for keyword + filter queries (in process, no HTTP);
  * p50/p95 of the search page and of the browse page over HTTP, under gunicorn (2 workers),
    rendered for each request (`PAGE_CACHE_SIZE=0`, as a signed-in user's are);
  * the browse page's throughput as a ratio to a trivial endpoint of the same app and server
    (the language redirect at `/`; the home page is printed too), with bounded request loops:
    rendered, and as visitors who are not signed in get it (kept pages, the default).
Goal: search p95 under 100 ms at this size.

Terms are computed per distinct sentence and combined per listing (a listing's description is
a few sentences of the pool), which gives the same terms as tokenizing each listing whole, but
in seconds rather than an hour of kiwipiepy time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from benchmarks.server import get, start_server  # noqa: E402
from marketplace import create_app, korean  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.listings import fuzzy, text  # noqa: E402
from marketplace.listings.browse import browse  # noqa: E402
from marketplace.listings.models import Listing, ListingKind, ListingTerm  # noqa: E402
from marketplace.listings.search import search_listings  # noqa: E402
from marketplace.listings.vocabulary import (  # noqa: E402
    DEAL_TYPES,
    LANGUAGES,
    SECTORS,
    deal_type_bits,
    language_bits,
)
from marketplace.matching import get_model  # noqa: E402
from marketplace.matching.records import ListingEmbedding, vector_to_bytes  # noqa: E402
from marketplace.matching.search import vectors  # noqa: E402
from marketplace.matching.search_index import search_index  # noqa: E402
from marketplace.matching.settings import get_engine  # noqa: E402
from marketplace.page_cache import PageCacheVersion  # noqa: E402
from marketplace.warmup import warm_up  # noqa: E402

DATA = ROOT / "marketplace" / "listings" / "demo_data"
SENTENCE = re.compile(r"(?<=[.다])\s+")
FEATURES = {"tokens": [], "concepts": [], "expanded": []}
QUERIES = [  # (kind, params): what users type, with and without filters
    ("offering", {"q": "드론"}),
    ("offering", {"q": "배터리", "trl_min": "5"}),
    ("offering", {"q": "미세먼지", "sector": "environment"}),
    ("offering", {"q": "데이터센터 냉방", "deal_type": "license"}),
    ("offering", {"q": "battery monitoring", "lang": "en"}),
    ("offering", {"q": "AI 검사", "trl_min": "6", "verified": "1"}),
    ("offering", {"q": "inspection", "sector": "manufacturing", "trl_min": "4"}),
    ("offering", {"q": "의료 검체 배송"}),
    ("need", {"q": "보안", "sort": "deadline"}),
    ("need", {"q": "로봇", "trl_max": "8"}),
    ("need", {"q": "identity verification", "deal_type": "poc"}),
    ("need", {"q": "재활용 섬유", "sector": "fashion"}),
    # across languages and with typos: the glossary and the stored embeddings are asked too
    ("offering", {"q": "drone", "trl_min": "5"}),
    ("offering", {"q": "batery", "sector": "mobility"}),
    ("need", {"q": "배터리", "lang": "en"}),
    ("offering", {"q": "베터리 진단", "deal_type": "license"}),
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:6.1f} ms   p95 {pct(values, 95) * 1000:6.1f} ms"


# -- synthetic data ---------------------------------------------------------------------------


class Pool:
    """Titles and sentences of the demo texts, per language, with their terms cached."""

    def __init__(self):
        self.titles = {"ko": [], "en": []}
        self.sentences = {"ko": [], "en": []}
        self.keywords = {"ko": [], "en": []}
        for line in (DATA / "listings.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for lang in ("ko", "en"):
                if not row.get(f"title_{lang}"):
                    continue
                self.titles[lang].append(row[f"title_{lang}"])
                self.sentences[lang].extend(
                    s for s in SENTENCE.split(row.get(f"description_{lang}") or "") if s)
                self.keywords[lang].extend(row.get("keywords", []))
        self._terms: dict[str, frozenset[str]] = {}
        self._vectors: dict[str, object] = {}
        self.model = get_model()

    def vector(self, pieces: list[str]) -> bytes:
        """A listing's stored vector: the normalised mean of its pieces' vectors."""
        missing = [p for p in dict.fromkeys(pieces) if p not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.model.embed(missing, threads=1), strict=True))
        mean = sum(self._vectors[p] for p in pieces)
        return vector_to_bytes(mean / np.linalg.norm(mean))

    def terms(self, value: str) -> frozenset[str]:
        cached = self._terms.get(value)
        if cached is None:
            cached = self._terms[value] = frozenset(text.document_terms(value))
        return cached


def weighted(pool: Pool, fields: list[tuple[list[str], int]]) -> dict[str, int]:
    """`text.weighted_terms` over fields given as lists of pool pieces."""
    weights: dict[str, int] = {}
    for pieces, weight in fields:
        terms = set()
        for piece in pieces:
            terms |= pool.terms(piece)
        for term in terms:
            weights[term] = max(weights[term], weight) + 1 if term in weights else weight
    return weights


def generate(pool: Pool, kind: str, count: int, first_id: int, orgs: list[int],
             rng: random.Random):
    """Yield (listing row, {term: weight}, its pieces of text) for `count` synthetic
    listings."""
    now = datetime.now(UTC)
    for n in range(count):
        roll = rng.random()
        langs = ["ko"] if roll < 0.6 else ["en"] if roll < 0.85 else ["ko", "en"]
        row = {"id": first_id + n, "kind": kind, "status": "published" if rng.random() < 0.9
               else rng.choice(["draft", "closed"]), "organisation_id": rng.choice(orgs),
               "version": 1, "sector": rng.choice(SECTORS),
               "deal_types": rng.sample(DEAL_TYPES, rng.randint(1, 3)),
               "keywords": [], "patent_applications": [], "patent_registrations": [],
               "created_at": now, "updated_at": now,
               "published_at": now - timedelta(minutes=rng.randint(0, 500_000))}
        for lang in ("ko", "en"):
            for field in ("title", "summary", "description"):
                row[f"{field}_{lang}"] = None
        fields, pieces = [], []
        for lang in langs:
            title = rng.choice(pool.titles[lang])
            sentences = rng.sample(pool.sentences[lang], rng.randint(2, 3))
            row[f"title_{lang}"] = title
            row[f"summary_{lang}"] = sentences[0][:300]
            row[f"description_{lang}"] = " ".join(sentences)
            fields += [([title], 4), ([sentences[0]], 3), (sentences, 1)]
            pieces += [title, title, *sentences]
        if kind == "offering":
            row["trl"], row["min_trl"] = rng.randint(2, 9), None
            keywords = rng.sample(pool.keywords[langs[0]] or ["AI"], 3) if pool.keywords[
                langs[0]] else []
            row["keywords"] = keywords
            fields.append((keywords, 3))
            row["deadline"] = None
        else:
            row["trl"], row["min_trl"] = None, rng.randint(3, 8)
            row["deadline"] = now + timedelta(days=rng.randint(5, 200))
        if rng.random() < 0.5:
            low = rng.randint(1, 50) * 10_000_000
            row.update(price_min=low, price_max=low * 3, currency="KRW")
        else:
            row.update(price_min=None, price_max=None, currency=None)
        yield row, weighted(pool, fields), pieces


# -- loading ----------------------------------------------------------------------------------


def load(url: str, offerings: int, needs: int, seed: int) -> float:
    """Create the schema and bulk-load the listings and their terms; returns seconds taken."""
    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    rng = random.Random(seed)
    pool = Pool()
    with app.app_context():
        db.drop_all()
        db.create_all()
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"
        org_rows = ([{"id": i, "kind": "startup", "name_ko": f"스타트업{i}", "country": "KR",
                      "verification": "verified" if i % 3 else "pending"}
                     for i in range(1, 2001)] +
                    [{"id": i, "kind": "firm", "name_ko": f"기업{i}", "country": "KR",
                      "verification": "verified"} for i in range(2001, 2501)])
        org_table = db.metadata.tables["organisations"]
        listing_table = Listing.__table__
        with engine.begin() as conn:
            conn.execute(org_table.insert(), org_rows)
            if postgres:
                conn.execute(sa.text("ALTER TABLE listing_terms DROP CONSTRAINT pk_listing_terms"))
                conn.execute(sa.text("DROP INDEX ix_listing_terms_listing_id"))
            else:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        batches = [("offering", offerings, 1, list(range(1, 2001))),
                   ("need", needs, offerings + 1, list(range(2001, 2501)))]
        for kind, count, first, orgs in batches:
            chunk: list[dict] = []
            terms: list[tuple[str, int, int]] = []
            vectors: list[dict] = []
            for row, weights, pieces in generate(pool, kind, count, first, orgs, rng):
                chunk.append(row)
                if row["status"] == "published":
                    vectors.append({"listing_id": row["id"], "listing_version": 1,
                                    "model_version": pool.model.version, "dim": pool.model.dim,
                                    "vector": pool.vector(pieces), "features": FEATURES,
                                    "created_at": row["created_at"]})
                public = row["status"] == "published"
                trl = row["trl"] if kind == "offering" else row["min_trl"]
                deals = deal_type_bits(row["deal_types"])
                langs = language_bits(lang for lang in LANGUAGES if row[f"title_{lang}"])
                terms.extend((term, row["id"], w, kind, public, row["sector"], trl, deals, langs)
                             for term, w in weights.items())
                if len(chunk) == 5000:
                    _write(engine, listing_table, chunk, terms, postgres, vectors)
                    chunk, terms, vectors = [], [], []
            if chunk:
                _write(engine, listing_table, chunk, terms, postgres, vectors)
        with engine.begin() as conn:
            if postgres:
                conn.execute(sa.text("ALTER TABLE listing_terms ADD CONSTRAINT pk_listing_terms "
                                     "PRIMARY KEY (term, listing_id) INCLUDE (weight, kind, "
                                     "public, sector, trl, deal_types, languages)"))
                conn.execute(sa.text("CREATE INDEX ix_listing_terms_listing_id "
                                     "ON listing_terms (listing_id)"))
                conn.execute(sa.text("SELECT setval('listings_id_seq', "
                                     "(SELECT max(id) FROM listings))"))
            # the version of the data that a commit through the app would have raised
            conn.execute(PageCacheVersion.__table__.insert().values(
                id=1, epoch=uuid.uuid4().hex, value=1))
        with engine.connect() as conn:
            if postgres:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("VACUUM ANALYZE"))
            else:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            n_terms = conn.scalar(sa.select(sa.func.count()).select_from(ListingTerm))
        print(f"  loaded {offerings:,} offerings, {needs:,} needs, {n_terms:,} term rows "
              f"in {time.perf_counter() - started:.0f} s")
        db.engine.dispose()
    return time.perf_counter() - started


def _write(engine, table, rows, terms, postgres: bool, vectors: list[dict]) -> None:
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
        if vectors:
            conn.execute(ListingEmbedding.__table__.insert(), vectors)
        if postgres:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(
                    "COPY listing_terms (term, listing_id, weight, kind, public, sector, trl, "
                    "deal_types, languages) FROM STDIN") as copy:
                for row in terms:
                    copy.write_row(row)
        else:
            terms.sort()
            conn.exec_driver_sql(
                "INSERT INTO listing_terms (term, listing_id, weight, kind, public, sector, trl, "
                "deal_types, languages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", terms)


# -- measuring --------------------------------------------------------------------------------


def measure_function(url: str, rounds: int) -> list[float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "SEARCH_SEMANTIC": True})
    timings, facet_timings = [], []
    with app.test_request_context():
        korean.analyser()
        model = get_model(app.config["MATCHING_MODEL"])
        start = time.perf_counter()
        fuzzy.vocabulary()
        cold = {"vocabulary of index terms": time.perf_counter() - start}
        for kind in ("offering", "need"):
            start = time.perf_counter()
            stored = vectors(kind, model.version, model.dim)
            cold[f"{len(stored.ids):,} stored {kind} vectors"] = time.perf_counter() - start
            start = time.perf_counter()
            index = search_index(ListingKind(kind), get_engine())
            cold[f"engine index of {len(index):,} {kind}s (long queries; warm_up builds it "
                 "at start)"] = time.perf_counter() - start
        print("  first search in a process reads: " + ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in cold.items()))
        warm_up(app)  # what every serving process does before its first request
        for kind, params in QUERIES:  # warm caches and connection pool
            search_listings(kind, params)
        for _ in range(rounds):
            for kind, params in QUERIES:
                start = time.perf_counter()
                items, total = search_listings(kind, params)
                [item.organisation.name for item in items]
                timings.append(time.perf_counter() - start)
        for _ in range(max(1, rounds // 2)):
            for kind, params in QUERIES:
                start = time.perf_counter()
                browse(kind, params)
                facet_timings.append(time.perf_counter() - start)
        print(f"  browse() = search + counts per filter value ({len(facet_timings)} calls): "
              f"{fmt(facet_timings)}")
        db.engine.dispose()
    return timings


def latencies(port: int, paths: list[str], rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        for path in paths:
            start = time.perf_counter()
            status = get(port, path)
            timings.append(time.perf_counter() - start)
            assert status in (200, 302), (path, status)
    return timings


def throughput(port: int, paths: list[str], requests: int, clients: int = 4) -> float:
    """Requests per second for `requests` GETs spread over `clients` threads."""
    per_client = requests // clients

    def loop(offset: int) -> None:
        for i in range(per_client):
            get(port, paths[(offset + i) % len(paths)])

    threads = [threading.Thread(target=loop, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per_client * clients / (time.perf_counter() - start)


def quote(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def measure_http(url: str, rounds: int, requests: int) -> dict:
    """Latencies and throughput of pages rendered for each request (`PAGE_CACHE_SIZE=0`, as
    for a signed-in user), then the browse page's throughput as visitors get it (kept pages,
    the default), each beside the trivial endpoint of the same server."""
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-secret", REDIS_URL="",
               SESSION_COOKIE_SECURE="0")
    search_paths = [f"/ko/{kind}s?{quote(params)}" for kind, params in QUERIES]
    browse_paths = [f"/ko/offerings?page={p}" for p in (1, 2, 3, 50, 400)] + \
                   [f"/en/needs?page={p}" for p in (1, 7)] + \
                   ["/ko/offerings?sector=ai&trl_min=5", "/en/needs?sort=deadline"]
    result = {}
    for cache in ("0", None):
        process, port = start_server(env if cache is None else dict(env, PAGE_CACHE_SIZE=cache))
        try:
            for path in search_paths + browse_paths:  # both workers build Kiwi, warm the pool
                for _ in range(2 if cache == "0" else 4):  # and keep the pages
                    get(port, path)
            if cache == "0":
                result["search"] = latencies(port, search_paths, rounds)
                result["browse"] = latencies(port, browse_paths, rounds)
                result["home_rps"] = throughput(port, ["/ko/"], requests)
            key = "rendered" if cache == "0" else "kept"
            result[f"{key}_trivial_rps"] = throughput(port, ["/"], requests)
            result[f"{key}_browse_rps"] = throughput(port, browse_paths, requests)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return result


def run(name: str, url: str, args) -> None:
    print(f"\n== {name} ==")
    load(url, args.offerings, args.needs, args.seed)
    timings = measure_function(url, args.rounds)
    print(f"  search_listings (keyword + filters, {len(timings)} calls): {fmt(timings)}")
    http_result = measure_http(url, max(1, args.rounds // 2), args.requests)
    print(f"  search page over HTTP ({len(http_result['search'])} requests): "
          f"{fmt(http_result['search'])}")
    print(f"  browse page over HTTP ({len(http_result['browse'])} requests): "
          f"{fmt(http_result['browse'])}")
    trivial, browse_rps = http_result["rendered_trivial_rps"], http_result["rendered_browse_rps"]
    print(f"  throughput, 4 clients x gunicorn 2 workers, pages rendered for each request: "
          f"trivial endpoint (/ redirect) {trivial:.0f} req/s, home page "
          f"{http_result['home_rps']:.0f} req/s, browse page {browse_rps:.0f} req/s -> "
          f"browse/trivial {browse_rps / trivial:.2f}, browse/home "
          f"{browse_rps / http_result['home_rps']:.2f}")
    trivial, browse_rps = http_result["kept_trivial_rps"], http_result["kept_browse_rps"]
    print(f"  throughput as visitors get it (pages kept, the default): trivial endpoint "
          f"{trivial:.0f} req/s, browse page {browse_rps:.0f} req/s -> browse/trivial "
          f"{browse_rps / trivial:.2f} (goal >= 0.25)")
    p95 = pct(timings, 95) * 1000
    print(f"  goal search p95 < 100 ms: {'met' if p95 < 100 else 'NOT met'} ({p95:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offerings", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="tto_bench_search",
                        help="the PostgreSQL database to create and drop")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    started = time.perf_counter()
    for name in args.databases.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run("SQLite", f"sqlite:///{tmp}/search-bench.db", args)
        elif name == "postgresql":
            database = args.pg_database
            admin = sa.create_engine(args.pg_url.replace("postgresql://", "postgresql+psycopg://")
                                     + "/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database}"))
                conn.execute(sa.text(f"CREATE DATABASE {database}"))
            try:
                run("PostgreSQL", f"{args.pg_url}/{database}".replace(
                    "postgresql://", "postgresql+psycopg://"), args)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                admin.dispose()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
