"""``flask search eval`` on a few needs of the matching sample, and ``matching eval
--title-only`` beside it."""

import json

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import Listing

NEEDS = 5


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return str(path)


@pytest.fixture
def subset(sample_dir, tmp_path):
    """The first needs with a Korean and an English one among them, their judgements and the
    offerings judged for them."""
    needs = _read(sample_dir / "needs.jsonl")[:NEEDS]
    assert {n["lang"] for n in needs} == {"ko", "en"}
    ids = {n["id"] for n in needs}
    qrels = [q for q in _read(sample_dir / "qrels.jsonl") if q["need"] in ids]
    judged = {q["offering"] for q in qrels}
    offerings = [o for o in _read(sample_dir / "offerings.jsonl") if o["id"] in judged]
    return ["--needs", _write(tmp_path / "needs.jsonl", needs),
            "--offerings", _write(tmp_path / "offerings.jsonl", offerings),
            "--qrels", _write(tmp_path / "qrels.jsonl", qrels)]


def _metrics(output):
    lines = output.splitlines()
    out = {}
    for line in lines[1:]:
        name, value = line.rsplit(": ", 1)
        out[name] = float(value)
    return lines[0], out


NAMES = ["queries", "NDCG@10", "Recall@10", "MRR"]


def test_search_eval_prints_metrics_overall_and_across_languages(app, subset, engine):
    result = app.test_cli_runner().invoke(args=["search", "eval", *subset])
    assert result.exit_code == 0, result.output
    header, metrics = _metrics(result.output)
    assert header == "method: search (need title as the query)"
    assert list(metrics) == NAMES + [f"other-language {n}" for n in NAMES]
    assert metrics["queries"] == NEEDS
    assert 1 <= metrics["other-language queries"] <= NEEDS
    for name, value in metrics.items():
        if "queries" not in name:
            assert 0 < value <= 1, (name, value)
    with app.app_context():  # the configured database was never written
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_matching_eval_on_titles_only(app, subset, engine):
    runner = app.test_cli_runner()
    full = runner.invoke(args=["matching", "eval", *subset])
    titles = runner.invoke(args=["matching", "eval", *subset, "--title-only"])
    assert full.exit_code == 0 and titles.exit_code == 0, full.output + titles.output
    header, metrics = _metrics(titles.output)
    assert header == "method: hybrid (need titles only)"
    assert list(metrics) == NAMES + [f"other-language {n}" for n in NAMES]
    assert all(v > 0 for v in metrics.values())
    # the description, tags and constraints are gone: the ranking is not the full need's
    assert titles.output.splitlines()[1:] != full.output.splitlines()[1:]


def test_search_ranks_need_titles_as_well_as_the_engine(app, sample_dir, engine):
    """Typed as a query, a need's title (three words or more) is ranked as the engine ranks
    the need with only that title: on the whole sample search reaches the engine's figures."""
    files = [arg for name in ("needs", "offerings", "qrels")
             for arg in (f"--{name}", str(sample_dir / f"{name}.jsonl"))]
    runner = app.test_cli_runner()
    searched = runner.invoke(args=["search", "eval", *files])
    ranked = runner.invoke(args=["matching", "eval", *files, "--title-only"])
    assert searched.exit_code == 0 and ranked.exit_code == 0, searched.output + ranked.output
    _header, search_metrics = _metrics(searched.output)
    _header, engine_metrics = _metrics(ranked.output)
    assert list(search_metrics) == list(engine_metrics)
    for name, value in engine_metrics.items():
        if "queries" in name:
            assert search_metrics[name] == value
        else:
            assert search_metrics[name] >= value - 1e-9, (name, search_metrics, engine_metrics)
