"""The ``flask matching`` commands on the shared matching sample."""

import json

import pytest
from flask import Flask

from marketplace.matching.cli import matching_cli


@pytest.fixture(scope="module")
def runner():
    app = Flask(__name__)
    app.cli.add_command(matching_cli)
    return app.test_cli_runner()


def _files(sample_dir):
    return [
        "--needs",
        str(sample_dir / "needs.jsonl"),
        "--offerings",
        str(sample_dir / "offerings.jsonl"),
    ]


def _metric(output: str, name: str) -> float:
    for line in output.splitlines():
        if line.startswith(name + ":"):
            return float(line.split(":")[1])
    raise AssertionError(f"{name} not in output:\n{output}")


def test_eval_hybrid_beats_embedding_and_tfidf(runner, sample_dir, engine):
    qrels = ["--qrels", str(sample_dir / "qrels.jsonl")]
    figures = {}
    for method in ("hybrid", "embedding", "tfidf"):
        result = runner.invoke(
            args=["matching", "eval", *_files(sample_dir), *qrels, "--method", method]
        )
        assert result.exit_code == 0, result.output
        figures[method] = _metric(result.output, "NDCG@10")
        assert 0 <= _metric(result.output, "Recall@10") <= 1
        assert 0 <= _metric(result.output, "MRR") <= 1
    assert figures["hybrid"] >= 0.95
    assert figures["hybrid"] > figures["embedding"] > figures["tfidf"]


def test_rank_prints_one_json_line_per_need(runner, sample_dir, engine):
    result = runner.invoke(args=["matching", "rank", *_files(sample_dir), "--top", "5"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    with open(sample_dir / "needs.jsonl", encoding="utf-8") as fh:
        need_ids = [json.loads(line)["id"] for line in fh if line.strip()]
    assert [line["need"] for line in lines] == need_ids
    assert all(len(line["ranked"]) == 5 for line in lines)
    assert all(r.startswith("O") for line in lines for r in line["ranked"])


def test_eval_rejects_unknown_method(runner, sample_dir):
    result = runner.invoke(
        args=[
            "matching",
            "eval",
            *_files(sample_dir),
            "--qrels",
            str(sample_dir / "qrels.jsonl"),
            "--method",
            "bogus",
        ]
    )
    assert result.exit_code != 0
