"""Column types shared by every feature's models."""

from datetime import UTC

import sqlalchemy as sa


class AwareDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value is not None and dialect.name == "sqlite":
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def enum_column(cls, length: int = 20) -> sa.Enum:
    """An enum stored as its string value (no native database enum), checked on write."""
    return sa.Enum(cls, native_enum=False, length=length, validate_strings=True)
