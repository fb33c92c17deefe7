"""Ranking quality metrics for the matching engine, with graded relevance.

Grades follow the sample's judgements: 2 strong fit, 1 partial fit, unlisted 0. NDCG uses the grade
as the gain; recall and reciprocal rank count grade >= 1 as relevant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """NDCG@k with linear gain (the grade itself); 0 when nothing is relevant."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(doc, 0) for doc in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    relevant = {doc for doc, g in grades.items() if g >= 1}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int]) -> float:
    for i, doc in enumerate(ranked):
        if grades.get(doc, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(
    rankings: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    k: int = 10,
) -> dict[str, float]:
    """Mean NDCG@k, Recall@k and MRR over the judged queries.

    A judged query missing from ``rankings`` counts as an empty ranking (scores 0).
    """
    queries = sorted(qrels)
    if not queries:
        raise ValueError("no judged queries")
    totals = {f"ndcg@{k}": 0.0, f"recall@{k}": 0.0, "mrr": 0.0}
    for q in queries:
        ranked = list(rankings.get(q, ()))
        totals[f"ndcg@{k}"] += ndcg_at_k(ranked, qrels[q], k)
        totals[f"recall@{k}"] += recall_at_k(ranked, qrels[q], k)
        totals["mrr"] += reciprocal_rank(ranked, qrels[q])
    return {name: value / len(queries) for name, value in totals.items()}


def other_language(
    rankings: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    query_langs: Mapping[str, str],
    doc_langs: Mapping[str, str],
) -> tuple[dict[str, list[str]], dict[str, dict[str, int]]]:
    """The rankings and judgements reduced to documents in another language than the query's:
    each ranking keeps its other-language documents in order, each query its judged
    other-language pairs (a query with none is left out)."""
    judged = {}
    for q, grades in qrels.items():
        kept = {d: g for d, g in grades.items() if doc_langs.get(d) != query_langs.get(q)}
        if any(g >= 1 for g in kept.values()):
            judged[q] = kept
    ranked = {q: [d for d in rankings.get(q, ()) if doc_langs.get(d) != query_langs.get(q)]
              for q in judged}
    return ranked, judged
