"""``flask search eval``: how well listing search finds the judged offerings of the matching
sample when each need's title is typed as the query.

The offerings go into a scratch index, never the configured database: a second app on a SQLite
file in a temporary folder, one verified startup per sample organisation, each offering created,
published and indexed as the app does it (the keyword index on saving, the embedding matching
stores for a published listing). Each need's title is then searched with no filter, and the
rankings are scored with matching's metrics (`flask matching eval`), overall and on the pairs
whose languages differ.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .extensions import db

search_cli = AppGroup("search", help="Measure listing search.")

# The most results one search page returns; MRR looks this deep.
DEPTH = 100


def _rows(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _summary_and_body(description: str) -> tuple[str, str]:
    """The first sentence as the one-line summary and the rest as the description, so that
    the offering's text is the sample's, each sentence once (matching embeds the title,
    summary and description together: a summary repeated in the description would weigh its
    sentence twice, and the offerings would not be the ones `flask matching eval` ranks)."""
    first, *rest = re.split(r"(?<=[.다])\s+", description.strip(), maxsplit=1)
    if len(first) > 300 or not rest:
        return first[:300], description.strip()
    return first, rest[0]


def _offering_data(row: dict) -> dict:
    lang = row["lang"]
    summary, body = _summary_and_body(row["description"])
    return {f"title_{lang}": row["title"], f"summary_{lang}": summary,
            f"description_{lang}": body, "sector": row["sector"],
            "trl": row["trl"], "deal_types": row["deal_types"],
            "keywords": row.get("keywords", [])}


def scratch_app(directory: str):
    """An app of its own on a SQLite file in `directory`, searching by meaning with the
    configured model; nothing is queued to a worker."""
    from . import create_app

    config = current_app.config
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(directory) / 'scratch.db'}",
        "SECRET_KEY": config.get("SECRET_KEY") or secrets.token_hex(16),
        "MATCHING_MODEL": config["MATCHING_MODEL"],
        "SEARCH_SEMANTIC": True,
        "MATCHING_AUTO": False,
        "REDIS_URL": None,
        "JOBS_AFTER_RESPONSE": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def index_offerings(rows: list[dict]) -> dict[int, str]:
    """Create and publish the offerings, one startup per `org`; store their embeddings as
    matching does for a published listing. Returns {listing id: sample id}."""
    from .accounts.models import Verification
    from .accounts.services import create_account
    from .listings import services
    from .listings.models import Listing
    from .matching.embedding_store import listing_embeddings

    members = {}
    for org in dict.fromkeys(row["org"] for row in rows):
        user = create_account(
            email=f"org{len(members) + 1}@scratch.invalid", password=secrets.token_hex(8),
            display_name=org, org_kind="startup", org_name_ko=org, org_name_en=org,
            country="US")  # a Korean startup would need a registration number
        user.organisation.verification = Verification.verified
        members[org] = user
    db.session.flush()
    sample_ids = {}
    for row in rows:
        user = members[row["org"]]
        listing = services.create_listing(user.organisation, user, _offering_data(row),
                                          "offering")
        listing.publish(user)
        sample_ids[listing.id] = row["id"]
    db.session.flush()
    listing_embeddings(list(db.session.scalars(
        sa.select(Listing).where(Listing.id.in_(list(sample_ids))))))
    db.session.commit()
    return sample_ids


def search_rankings(needs: list[dict], sample_ids: dict[int, str]) -> dict[str, list[str]]:
    from .listings.search import search_listings

    rankings = {}
    for need in needs:
        items, _total = search_listings("offering", {"q": need["title"], "per_page": DEPTH})
        rankings[need["id"]] = [sample_ids[x.id] for x in items if x.id in sample_ids]
    return rankings


@search_cli.command("eval")
@click.option("--needs", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--offerings", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--qrels", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--k", default=10, show_default=True, help="Cut-off for NDCG and recall.")
def eval_command(needs, offerings, qrels, k):
    """Search each need's title among the offerings (in a scratch index) and print NDCG@k,
    Recall@k and MRR, overall and for the pairs in different languages."""
    from .matching import get_model
    from .matching.cli import echo_metrics
    from .matching.listing_data import load_qrels

    judged = load_qrels(qrels)
    need_rows, offering_rows = _rows(needs), _rows(offerings)
    with tempfile.TemporaryDirectory(prefix="search-eval-") as directory:
        app = scratch_app(directory)
        get_model(app.config["MATCHING_MODEL"])  # search by meaning uses a loaded model only
        with app.test_request_context():
            db.create_all()
            try:
                sample_ids = index_offerings(offering_rows)
                rankings = search_rankings(need_rows, sample_ids)
            finally:
                db.session.remove()
                db.engine.dispose()
    click.echo("method: search (need title as the query)")
    echo_metrics(rankings, judged, {n["id"]: n["lang"] for n in need_rows},
                 {o["id"]: o["lang"] for o in offering_rows}, k)
