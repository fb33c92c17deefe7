"""Desk fixtures: the deal parties and their API tokens."""

from tests.api.conftest import tokens as tokens  # noqa: F401 (the fixture)
from tests.deals.conftest import parties as parties  # noqa: F401 (the fixture)
