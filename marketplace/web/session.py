"""Who is looking at a page: a random session id kept in the signed session cookie.

The session id is a login of kind "page" of the auth service (only its SHA-256 is stored, as for
bearer tokens); it is never an API token, so whoever reads a cookie's payload gets no API access.
Pages log in through the same services as the API (check_login, issue_token, revoke_token), so a
logout revokes the session and a claimed household's earlier sessions end as they do for the API.
The API itself never reads the cookie: it keeps bearer tokens and needs no CSRF protection.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from ..auth.models import User
from ..auth.services import PAGE_SESSION, issue_token, revoke_token, token_owner

SESSION_ID = "sid"


def page_user() -> User | None:
    """The logged-in user of this page request, or None."""
    if "page_user" not in g:
        raw = session.get(SESSION_ID)
        valid = isinstance(raw, str) and 0 < len(raw) <= 200
        owner = token_owner(raw, PAGE_SESSION) if valid else None
        if owner is None and SESSION_ID in session:
            session.pop(SESSION_ID)  # expired or revoked: the visitor is anonymous again
        session.pop("token", None)  # cookies of older releases carried an API token
        g.page_user = owner[0] if owner else None
        g.page_token = owner[1] if owner else None
    return g.page_user


def start_session(user: User) -> None:
    """Log ``user`` in on this browser (a fresh session; the language choice is kept)."""
    raw, _token = issue_token(user, PAGE_SESSION)
    lang = session.get("lang")
    session.clear()
    session[SESSION_ID] = raw
    if lang:
        session["lang"] = lang
    g.page_user = user


def end_session() -> None:
    if page_user() is not None:
        revoke_token(g.page_token)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.page_user = None


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site may be the place to go back to after logging in."""
    if not target:
        return default
    # No control characters: CR/LF would split the Location header, and browsers drop tabs and
    # newlines inside URLs ("/\t/evil.example" becomes "//evil.example").
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) or len(target) > 2048:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def login_required(view):
    """A page for logged-in people; others are sent to the login page and back."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if page_user() is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
