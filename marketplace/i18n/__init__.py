"""Locale selection, language-prefixed URLs and Babel formatting helpers."""
