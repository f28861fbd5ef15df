"""The service catalog: what callers report about, who looks after it, and the numbers of
priority (CAS) customers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base

if TYPE_CHECKING:
    from app.models.incidents import Incident
    from app.models.paging import Responder


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    customer: Mapped[str] = mapped_column(String(200), default="")
    # CAS customers are served first (the support process says so).
    priority_customer: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Who looks after it: in business hours callers are put through to them, and they are paged
    # first for a business-hours report.
    primary_admin_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    backup_admin_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))

    incidents: Mapped[list[Incident]] = relationship(back_populates="service")
    primary_admin: Mapped[Responder | None] = relationship(foreign_keys=[primary_admin_id])
    backup_admin: Mapped[Responder | None] = relationship(foreign_keys=[backup_admin_id])


class PriorityContact(Base):
    """A number that belongs to a priority (CAS) customer, whatever service they call about."""

    __tablename__ = "priority_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer: Mapped[str] = mapped_column(String(200))
