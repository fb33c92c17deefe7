"""Matching's settings as the app reads them, and the one engine per process they choose."""

from __future__ import annotations

from babel.numbers import get_currency_precision
from flask import current_app

from .engine import MatchEngine


def setting(name: str):
    """A matching setting; MATCHING_AUTO left at None means on, except in tests."""
    value = current_app.config[name]
    if name == "MATCHING_AUTO" and value is None:
        return not current_app.testing
    return value


_ENGINES: dict[tuple, MatchEngine] = {}


def get_engine() -> MatchEngine:
    """One engine (model, glossary) per process, model name and exchange rate."""
    name = current_app.config["MATCHING_MODEL"]
    rates = exchange_rates()
    key = (name, tuple(sorted(rates.items())))
    if key not in _ENGINES:
        _ENGINES[key] = MatchEngine(model_name=name, rates=rates)
    return _ENGINES[key]


def exchange_rates() -> dict[str, float]:
    """Worth of one minor unit of each currency in won (what the engine compares prices in)."""
    krw_per_usd = float(current_app.config["MATCHING_KRW_PER_USD"])
    if krw_per_usd <= 0:
        return {}
    per_major = {"KRW": 1.0, "USD": krw_per_usd}
    return {code: rate / 10 ** get_currency_precision(code) for code, rate in per_major.items()}


def model_version() -> str:
    return get_engine().model_version
