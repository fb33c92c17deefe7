"""Column types and columns shared by every feature's models."""

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship


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


def listing_id_column(**options):
    """A listing's id: the row goes with the listing when the listing is deleted."""
    return mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"), **options)


def child_rows(back_populates: str, order_by: str):
    """The rows written under this one, in order. Read-only from this side: each row is added
    on its own (most of them are append-only)."""
    return relationship(back_populates=back_populates, order_by=order_by, viewonly=True)


class DealRecord:
    """Columns of a row that belongs to one deal, which keeps the deal from being deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="RESTRICT"),
                                         index=True)
