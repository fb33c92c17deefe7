"""Ranking metrics on tiny cases computed by hand."""

import math

import pytest

from marketplace.matching.evaluation import evaluate, ndcg_at_k, recall_at_k, reciprocal_rank

GRADES = {"a": 2, "b": 1, "c": 1}


def test_ndcg_perfect_ranking_is_one():
    assert ndcg_at_k(["a", "b", "c", "x"], GRADES) == pytest.approx(1.0)


def test_ndcg_by_hand():
    # ranked: x(0) a(2) b(1); ideal: a(2) b(1) c(1)
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    ideal = 2 / 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(["x", "a", "b"], GRADES) == pytest.approx(dcg / ideal)


def test_ndcg_cutoff_ignores_lower_ranks():
    assert ndcg_at_k(["x", "y", "a"], GRADES, k=2) == 0.0


def test_recall_counts_grade_one_and_two():
    assert recall_at_k(["c", "x", "a"], GRADES, k=2) == pytest.approx(1 / 3)
    assert recall_at_k(["c", "x", "a"], GRADES, k=3) == pytest.approx(2 / 3)


def test_reciprocal_rank_first_relevant():
    assert reciprocal_rank(["x", "y", "b"], GRADES) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y"], GRADES) == 0.0


def test_evaluate_means_over_judged_queries_and_counts_missing_as_zero():
    qrels = {"q1": {"a": 2}, "q2": {"b": 1}}
    metrics = evaluate({"q1": ["a"]}, qrels)
    assert metrics == {"ndcg@10": 0.5, "recall@10": 0.5, "mrr": 0.5}
