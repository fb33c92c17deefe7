"""Programme figures at 100,000 listings and 20,000 deals on PostgreSQL.

Run: .venv/bin/python benchmarks/dashboards.py [--listings 100000] [--deals 20000] [--runs 30]
     [--pg-url postgresql://postgres@127.0.0.1:5432] [--db-name tto_bench_dashboards]

Creates a scratch PostgreSQL database (dropped at the end), bulk-loads organisations, listings
in every status, deals with their event log, terms and signed contracts (KRW and USD) and
matches, then prints, for the public ecosystem page, the staff dashboards (with and without
filters), a download and GET /api/v1/stats through the Flask test client: the first request's
time (nothing kept), p50/p95 of requests that each compute the figures afresh (as after any
change to the data) and p50/p95 of requests served from the kept figures, next to the same
run's trivial endpoint (the language redirect at `/`) as a ratio. Goal: p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import Organisation, User  # noqa: E402
from marketplace.agreements.models import Contract  # noqa: E402
from marketplace.deals.models import Deal, DealEvent, DealTerms  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.listings.models import SECTORS, Listing  # noqa: E402
from marketplace.matching.records import InvestorMatch, Match  # noqa: E402

DB_NAME = "tto_bench_dashboards"
PASSWORD = "bench-password-1"
START = datetime(2025, 1, 1, tzinfo=UTC)
PATH = ["inquiry", "negotiating", "agreed", "drafting", "signing", "signed", "payment_pending",
        "paid", "closed"]
ENDINGS = ["withdrawn", "declined", "expired"]
COUNTRIES = ["US", "JP", "GB", "DE", "SG", "VN", "FR"]


def moment(rng: random.Random, days: int = 700) -> datetime:
    return START + timedelta(minutes=rng.randrange(days * 24 * 60))


def bulk(model, rows: list[dict]) -> None:
    for i in range(0, len(rows), 5000):
        db.session.execute(sa.insert(model), rows[i:i + 5000])


def load(n_listings: int, n_deals: int, rng: random.Random) -> None:
    kinds = ["firm"] * 200 + ["startup"] * 2000 + ["investor"] * 60 + ["agency"] * 40
    bulk(Organisation, [{
        "id": i, "kind": kind, "name_ko": f"기관 {i}", "name_en": f"Org {i}",
        "country": rng.choice(COUNTRIES) if rng.random() < 0.1 else "KR",
        "verification": rng.choice(["verified", "verified", "verified", "pending", "rejected"]),
        "created_at": moment(rng)} for i, kind in enumerate(kinds, start=1)])
    by_kind = {k: [i for i, kind in enumerate(kinds, start=1) if kind == k] for k in set(kinds)}
    staff = User(id=len(kinds) + 1, email="staff@bench.example", display_name="staff",
                 role="staff")
    staff.set_password(PASSWORD)
    bulk(User, [{"id": i, "email": f"u{i}@bench.example", "password_hash": staff.password_hash,
                 "display_name": f"u{i}", "role": "member", "organisation_id": i,
                 "preferred_language": "en" if rng.random() < 0.1 else "ko", "active": True,
                 "created_at": moment(rng)} for i in range(1, len(kinds) + 1)])
    db.session.add(staff)
    db.session.flush()

    statuses = ["published"] * 14 + ["closed"] * 2 + ["draft"] * 2 + ["archived", "hidden"]
    listings, offerings, needs = [], [], []
    for i in range(1, n_listings + 1):
        need = rng.random() < 0.3
        status = rng.choice(statuses)
        published = None if status == "draft" else moment(rng)
        listings.append({
            "id": i, "kind": "need" if need else "offering",
            "status": "published" if status == "hidden" else status,
            "organisation_id": rng.choice(by_kind["firm" if need else "startup"]),
            "title_ko": f"목록 {i}", "sector": rng.choice(SECTORS), "version": 1,
            "deal_types": ["license"], "keywords": [], "patent_applications": [],
            "patent_registrations": [], "created_at": published or moment(rng),
            "updated_at": published or moment(rng), "published_at": published,
            "hidden_at": published if status == "hidden" else None})
        if status in ("published", "closed"):
            (needs if need else offerings).append(listings[-1])
    bulk(Listing, listings)

    deals, events, terms, contracts = [], [], [], []
    for i in range(1, n_deals + 1):
        offering = rng.choice(offerings)
        need = rng.choice(needs) if rng.random() < 0.5 else None
        buyer = need["organisation_id"] if need else rng.choice(by_kind["firm"])
        reached = rng.choices(range(1, len(PATH) + 1), weights=[30, 20, 10, 5, 5, 10, 5, 10, 5])[0]
        steps = PATH[:reached]
        if reached <= 5 and rng.random() < 0.7:
            steps = steps + [rng.choice(ENDINGS)]
        when = moment(rng, 600)
        agreed = "agreed" in steps
        for seq, state in enumerate(steps, start=1):
            events.append({"deal_id": i, "seq": seq, "kind": "open" if seq == 1 else "step",
                           "from_state": steps[seq - 2] if seq > 1 else None, "to_state": state,
                           "payload": {}, "payload_digest": "0" * 64, "created_at": when,
                           "prev_hash": "0" * 64, "hash": f"{seq:064d}"})
            when += timedelta(hours=rng.randrange(1, 24 * 20))
        deals.append({
            "id": i, "deal_type": rng.choice(["license", "transfer", "poc", "supply"]),
            "state": steps[-1], "buyer_org_id": buyer,
            "seller_org_id": offering["organisation_id"], "initiator_side": "buyer",
            "offering_id": offering["id"], "need_id": need and need["id"], "opened_by_id": buyer,
            "current_version": 1 if agreed else 0,
            "buyer_accepted_version": 1 if agreed else None,
            "seller_accepted_version": 1 if agreed else None, "event_seq": len(steps),
            "created_at": events[-len(steps)]["created_at"], "last_activity_at": when})
        if agreed:
            currency = rng.choice(["KRW", "USD"])
            terms.append({"deal_id": i, "version": 1, "author_side": "buyer",
                          "author_org_id": buyer, "author_user_id": buyer, "currency": currency,
                          "fields": {"currency": currency, "price": rng.randrange(1, 10**8)},
                          "created_at": when})
        if "signed" in steps:
            contracts.append({"deal_id": i, "version": 1, "contract_no": f"C{i}",
                              "status": "signed", "template_key": "transfer",
                              "template_version": 1, "terms_version": 1, "variables": {},
                              "locked": [], "overrides": {}, "created_by_id": buyer,
                              "pdf_sha256": "a" * 64, "signed_pdf_sha256": "b" * 64,
                              "signed_at": when, "created_at": when})
    bulk(Deal, deals)
    bulk(DealEvent, events)
    bulk(DealTerms, terms)
    bulk(Contract, contracts)

    pairs = {(rng.choice(needs)["id"], rng.choice(offerings)["id"]) for _ in range(50_000)}
    bulk(Match, [{"need_id": n, "offering_id": o, "score": 0.5, "explanation": {},
                  "model_version": "bench", "computed_at": moment(rng),
                  "need_dismissed_at": moment(rng) if rng.random() < 0.1 else None}
                 for n, o in pairs])
    investor_pairs = {(rng.choice(by_kind["investor"]), rng.randrange(len(offerings)))
                      for _ in range(5_000)}
    bulk(InvestorMatch, [{"investor_org_id": inv, "offering_id": offerings[o]["id"],
                          "startup_org_id": offerings[o]["organisation_id"], "score": 0.5,
                          "explanation": {}, "model_version": "bench",
                          "computed_at": moment(rng)} for inv, o in investor_pairs])
    db.session.commit()
    print(f"loaded {len(listings)} listings, {len(deals)} deals, {len(events)} deal events, "
          f"{len(contracts)} signed contracts, {len(pairs)} matches")


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def timed(client, url: str) -> float:
    began = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code in (200, 302), (url, response.status_code)
    return elapsed


def timings(app, client, url: str, runs: int) -> dict:
    """The first request (nothing kept: computed), `runs` requests each computing afresh (the
    kept figures dropped before each, as after a change to the data), then `runs` requests
    served from the kept figures."""
    from marketplace.stats.cache import kept_figures

    kept = kept_figures(app)
    kept.clear()
    first = timed(client, url)
    fresh = []
    for _ in range(runs):
        kept.clear()
        fresh.append(timed(client, url))
    warm = [timed(client, url) for _ in range(runs)]
    return {"first": first, "fresh": percentiles(fresh), "kept": percentiles(warm)}


def print_figure_times(runs: int) -> None:
    """Each figure's query alone, in process: which one a slow page waits for."""
    from marketplace.stats import figures

    print(f"{'figure (in process, no filter)':40} {'p50 ms':>8} {'p95 ms':>8}")
    for name in ("listings_by_sector_month", "supply_demand_gap", "matches",
                 "deals_by_state_and_type", "funnel", "stage_days", "contracts_signed",
                 "organisations_by_kind", "overseas_organisations", "english_users"):
        samples = []
        for _ in range(max(5, runs // 3)):
            began = time.perf_counter()
            getattr(figures, name)(figures.Filters())
            samples.append((time.perf_counter() - began) * 1000)
        samples.sort()
        print(f"{name:40} {statistics.median(samples):8.1f} "
              f"{samples[max(0, round(0.95 * len(samples)) - 1)]:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default=DB_NAME,
                        help=f"the scratch database (default {DB_NAME}); dropped at the end")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept database again")
    args = parser.parse_args()

    if not args.reuse:
        with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {args.db_name}")
    url = f"{args.pg_url.replace('postgresql://', 'postgresql+psycopg://', 1)}/{args.db_name}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench",
                      "STATS_CACHE_SIZE": 32,
                      "WTF_CSRF_ENABLED": False, "REDIS_URL": None,
                      "LOGIN_RATE_LIMIT": "10000 per minute", "SESSION_COOKIE_SECURE": False})
    try:
        with app.app_context():
            if not args.reuse:
                db.create_all()
                began = time.perf_counter()
                load(args.listings, args.deals, random.Random(7))
                print(f"load: {time.perf_counter() - began:.1f} s")
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        with app.test_request_context():
            print_figure_times(args.runs)
        client = app.test_client()
        client.post("/ko/login", data={"email": "staff@bench.example", "password": PASSWORD})
        pages = [
            ("trivial: / (redirect)", "/"),
            ("public /ko/ecosystem", "/ko/ecosystem"),
            ("public /en/ecosystem?sector=ai", "/en/ecosystem?sector=ai"),
            ("staff /ko/staff/dashboards", "/ko/staff/dashboards"),
            ("staff dashboards, 2025 + sector", "/ko/staff/dashboards?from=2025-01-01"
                                                "&to=2025-12-31&sector=drone"),
            ("staff listings.xlsx", "/ko/staff/dashboards/listings.xlsx"),
            ("GET /api/v1/stats", "/api/v1/stats"),
            ("GET /api/v1/stats?from&to", "/api/v1/stats?from=2025-06-01&to=2025-12-31"),
        ]
        base = None
        print(f"{'endpoint':34} {'first':>7} {'computed p50/p95':>17} {'kept p50/p95':>15} "
              f"{'p95/trivial (computed)':>23}")
        for label, path in pages:
            t = timings(app, client, path, args.runs)
            base = base or t["fresh"][1]
            print(f"{label:34} {t['first']:7.1f} {t['fresh'][0]:8.1f} {t['fresh'][1]:8.1f} "
                  f"{t['kept'][0]:7.1f} {t['kept'][1]:7.1f} {t['fresh'][1] / base:23.1f}")
        print("ms; first: the first request, nothing kept; computed: each request computes the "
              "figures (as after a change to the data); kept: served from the kept figures "
              f"(STATS_CACHE_SIZE={app.config['STATS_CACHE_SIZE']})")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            with psycopg.connect(f"{args.pg_url}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")


if __name__ == "__main__":
    main()
