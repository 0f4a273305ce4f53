"""Accounts and bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..errors import Conflict, InvalidCredentials, ValidationError
from ..extensions import db
from ..phones import InvalidPhone, looks_like_phone, normalise_phone
from .models import AuthToken, ClaimCode, User

PASSWORD_MIN = 10
# A hash to compare against when the login is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000")


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_login(login: str) -> str:
    """An email (lower-cased) or a phone in E.164; unparseable phones are returned as given."""
    login = (login or "").strip()
    if looks_like_phone(login):
        try:
            return normalise_phone(login)
        except InvalidPhone:
            return login
    return normalise_email(login)


def set_password(user: User, password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError(
            details={"password": [f"Must be at least {PASSWORD_MIN} characters."]}
        )
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def ensure_unique_contact(email: str | None, phone: str | None, *, exclude_id: int | None = None):
    for column, value, label in ((User.email, email, "email"), (User.phone, phone, "phone")):
        if value is None:
            continue
        query = select(User.id).where(column == value)
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if db.session.scalar(query) is not None:
            raise Conflict(f"This {label} is already registered.", {label: ["Already registered."]})


def register_user(
    *, full_name: str, password: str | None, email: str | None = None, phone: str | None = None
) -> User:
    """Create an account; phone is E.164 already. ``password`` None leaves it to a claim code."""
    email = normalise_email(email) if email else None
    if not email and not phone:
        raise ValidationError(
            "Give an email or a phone number.",
            {
                "email": ["Give an email or a phone number."],
                "phone": ["Give an email or a phone number."],
            },
        )
    ensure_unique_contact(email, phone)
    user = User(email=email, phone=phone, full_name=full_name)
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def find_user_by_login(login: str) -> User | None:
    key = normalise_login(login)
    column = User.phone if key.startswith("+") else User.email
    return db.session.scalar(select(User).where(column == key))


def check_login(login: str, password: str) -> User:
    user = find_user_by_login(login)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidCredentials()
    if not check_password_hash(user.password_hash, password):
        raise InvalidCredentials()
    return user


API_TOKEN = "api"
PAGE_SESSION = "page"


def issue_token(user: User, kind: str = API_TOKEN) -> tuple[str, AuthToken]:
    """A new random secret: a bearer token (``kind`` "api") or a page session id ("page");
    only its SHA-256 is stored."""
    raw = secrets.token_urlsafe(32)
    ttl = dt.timedelta(hours=current_app.config["TOKEN_TTL_HOURS"])
    token = AuthToken(
        user_id=user.id, token_hash=hash_secret(raw), kind=kind, expires_at=utcnow() + ttl
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


def token_owner(raw: str, kind: str = API_TOKEN) -> tuple[User, AuthToken] | None:
    """The user and token for a raw secret of ``kind`` that is known, unexpired and not revoked
    (a page session id is no bearer token, and a bearer token opens no page session)."""
    token = db.session.scalar(
        select(AuthToken)
        .where(AuthToken.token_hash == hash_secret(raw), AuthToken.kind == kind)
        .options(joinedload(AuthToken.user))  # every authenticated request needs both: one query
    )
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    return token.user, token


def revoke_token(token: AuthToken) -> None:
    token.revoked_at = utcnow()
    db.session.flush()


LOCALES = ("vi", "en")


def set_locale(user: User, locale: str) -> User:
    """The language of the user's pages and notifications (`vi` or `en`)."""
    if locale not in LOCALES:
        raise ValidationError(details={"locale": [f"Must be one of: {', '.join(LOCALES)}."]})
    user.locale = locale
    db.session.flush()
    return user


def create_admin(email: str, password: str, full_name: str = "Platform admin") -> User:
    """Create a platform admin, or promote the account that already has this email."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        user = register_user(full_name=full_name, password=password, email=email)
    else:
        set_password(user, password)
    user.is_admin = True
    db.session.flush()
    return user


# Claim codes: no 0/O or 1/I/L, so they can be read out over the phone.
_CLAIM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _canonical_claim_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def claimable(user: User) -> bool:
    """A claim code sets the password of an account its co-op created and nobody has claimed:
    it never takes over an account someone registered, nor one whose owner set a password."""
    return user.created_by_coop and not user.password_hash


def issue_claim_code(user: User) -> tuple[str, ClaimCode]:
    """A new claim code for ``user``; any earlier unused code of theirs stops working."""
    if not claimable(user):
        raise Conflict(
            "A claim code is only for an account the co-op created and that has no password yet."
        )
    now = utcnow()
    for old in db.session.scalars(
        select(ClaimCode).where(
            ClaimCode.user_id == user.id, ClaimCode.used_at.is_(None), ClaimCode.voided_at.is_(None)
        )
    ):
        old.voided_at = now
    raw = "".join(secrets.choice(_CLAIM_ALPHABET) for _ in range(10))
    ttl = dt.timedelta(hours=current_app.config["CLAIM_CODE_TTL_HOURS"])
    claim = ClaimCode(user_id=user.id, code_hash=hash_secret(raw), expires_at=now + ttl)
    db.session.add(claim)
    db.session.flush()
    return f"{raw[:5]}-{raw[5:]}", claim


def redeem_claim_code(code: str, password: str) -> User:
    """Set the password of the household that holds ``code``; the code is used up."""
    claim = db.session.scalar(
        select(ClaimCode)
        .where(ClaimCode.code_hash == hash_secret(_canonical_claim_code(code)))
        .with_for_update()
    )
    now = utcnow()
    if (
        claim is None
        or claim.used_at
        or claim.voided_at
        or claim.expires_at <= now
        or not claimable(claim.user)  # a code issued before the account had a password
    ):
        raise InvalidCredentials("This claim code is unknown, already used or expired.")
    set_password(claim.user, password)
    claim.used_at = now
    # A new password ends every earlier session (a lost phone is why co-ops reissue codes).
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == claim.user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.flush()
    return claim.user
