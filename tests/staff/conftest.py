"""The hand-counted programme of the figures' tests, for the console's pages."""

from tests.stats.conftest import build_programme, programme  # noqa: F401
