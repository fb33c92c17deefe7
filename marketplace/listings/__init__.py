"""Needs, offerings, challenges and Korean-aware search."""
