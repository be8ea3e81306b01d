"""The holiday table admins maintain: official days off and make-up working days, one row per date."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, utcnow


class HolidayDay(Base):
    """One date of the State Council's yearly notice: ``off`` (放假) or ``work`` (调休上班).

    Dates not listed follow chinese-calendar's data when it has the year, otherwise Monday to Friday.
    """

    __tablename__ = "holiday_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(50))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
