from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import UTCDateTime, utcnow
from ..extensions import db


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language of the pages and of the notifications sent to this person: vi or en.
    locale: Mapped[str] = mapped_column(String(2), default="vi", server_default="vi")
    # Made by its co-op (assisted onboarding, the seed): only such an account, and only while it
    # has no password, can be claimed with a claim code. Self-registered accounts never can.
    created_by_coop: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Defined by name: coops and sellers build on auth, not the other way round.
    coop_memberships: Mapped[list[CoopAdmin]] = relationship(  # noqa: F821
        "CoopAdmin", back_populates="user", cascade="all, delete-orphan"
    )
    seller: Mapped[Seller | None] = relationship("Seller", back_populates="user", uselist=False)  # noqa: F821

    @property
    def coop_ids(self) -> list[int]:
        return sorted(m.coop_id for m in self.coop_memberships)

    @property
    def seller_id(self) -> int | None:
        return self.seller.id if self.seller else None

    @property
    def roles(self) -> list[str]:
        roles = ["buyer"]
        if self.seller is not None:
            roles.append("seller")
        if self.coop_memberships:
            roles.append("coop_admin")
        if self.is_admin:
            roles.append("admin")
        return roles


class AuthToken(db.Model):
    """A login: an API bearer token or a page session (``kind``); only the secret's SHA-256 is kept."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "api": a bearer token; "page": a browser session, whose secret only the session cookie holds
    # (it never works as a bearer token, so a stolen cookie payload is no API token).
    kind: Mapped[str] = mapped_column(String(8), default="api", server_default="api")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(User)


class ClaimCode(db.Model):
    """A single-use, expiring code with which a household onboarded by its co-op sets a password."""

    __tablename__ = "claim_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(User)


class LoginAttempts(db.Model):
    """How many times one account (or one unknown login) was tried in one fixed time window.

    Kept in the app's database so that every gunicorn worker and every host counts together,
    whichever entry point (API, login page) and whichever login (email, phone) was used."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
