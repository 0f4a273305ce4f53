"""Who is calling: the bearer token → ``current_user()``, and the ``login_required`` decorator."""

from __future__ import annotations

from functools import wraps

import flask_smorest
from flask import g, request

from ..errors import Forbidden, Unauthorized
from .models import AuthToken, User
from .services import token_owner

BEARER_DOC = flask_smorest.Blueprint.doc(security=[{"bearerAuth": []}])


def _authenticate() -> tuple[User, AuthToken] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip() or len(raw) > 200:
        return None
    return token_owner(raw.strip())


def current_auth() -> tuple[User, AuthToken] | None:
    if "auth" not in g:
        g.auth = _authenticate()
    return g.auth


def current_user() -> User | None:
    """The caller, or None when anonymous (a bad or expired token counts as anonymous here)."""
    auth = current_auth()
    return auth[0] if auth else None


def require_user() -> User:
    user = current_user()
    if user is None:
        if request.headers.get("Authorization"):
            raise Unauthorized("The token is invalid, expired or revoked; log in again.")
        raise Unauthorized()
    return user


def require_admin() -> User:
    user = require_user()
    if not user.is_admin:
        raise Forbidden("Only a platform admin can do this.")
    return user


def login_required(func):
    """The route needs a valid bearer token (401 otherwise); documented in OpenAPI.

    The check is also named on the view (``check_caller``), so that the blueprint runs it before
    the body and query are parsed: an anonymous call is 401 whatever its body."""
    return _checked(func, require_user)


def admin_required(func):
    """The route is for platform admins only (401 anonymous, 403 for other users)."""
    return _checked(func, require_admin)


def acting_on(find):
    """The route acts on the object named by its path: after the login (401), ``find(user,
    **path_arguments)`` looks it up (404) and checks that the caller may act on it (403), and the
    blueprint runs this before the body is read (400, 422) — DESIGN's order of checks. The view
    then finds the object again with the same rule (the session already holds it)."""

    def decorator(func):
        def check() -> None:
            find(require_user(), **request.view_args)

        view = login_required(func)
        view.check_caller = check
        return view

    return decorator


def _checked(func, check):
    @wraps(func)
    def wrapper(*args, **kwargs):
        check()
        return func(*args, **kwargs)

    wrapper.check_caller = check
    return BEARER_DOC(wrapper)
