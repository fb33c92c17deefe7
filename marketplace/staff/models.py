"""The staff console's own table: the monthly programme reports (the PDF lives on disk)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db_types import AwareDateTime
from ..extensions import db


class ProgrammeReport(db.Model):
    """One generated report of a month's figures: its file under PROGRAMME_REPORT_DIR and the
    file's SHA-256 (checked again at each download). A month may be generated again; the
    newest one is the month's report."""

    __tablename__ = "programme_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date, index=True)  # the month's first day
    filename: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"))  # None: the monthly job
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    created_by = relationship("User")
