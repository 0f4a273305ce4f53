"""Server-rendered pages for people: storefront, household dashboard, co-op console.

Pages call the same services as the API; they differ only in how they read input (HTML forms
validated by the API's schemas), who the caller is (a session cookie instead of a bearer token,
so every form carries a CSRF token) and how they answer (HTML, and HTML error pages).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, g, render_template, request
from flask_babel import Babel, gettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, NotFound

from ..errors import AppError, backing_failure, error_response
from ..notifications import services as notifications
from . import (  # noqa: F401  (routes)
    accounts,
    admin,
    coop_console,
    coop_delivery,
    coop_reports,
    harvest_page,
    household,
    household_lots,
    household_orders,
    money,
    notifications_page,
    profile,
    reviews_pages,
    search_page,
    shop,
    storefront,
    trace,
)
from .blueprint import bp
from .i18n import (
    error_text,
    field_message,
    label,
    local_phone,
    percent_of_bps,
    price_per_unit,
    select_locale,
    show_date,
    show_datetime,
    unit_label,
    vnd,
)
from .session import page_user

log = logging.getLogger("marketplace.web")
babel = Babel()
csrf = CSRFProtect()
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_web(app: Flask) -> None:
    """Register the pages, their languages and their CSRF protection on ``app``."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    # CSRF is checked by the pages' blueprint only: the API authenticates with bearer tokens.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    app.jinja_env.filters.update(
        vnd=vnd,
        price=price_per_unit,
        day=show_date,
        moment=show_datetime,
        unit=unit_label,
        phone=local_phone,
        percent=percent_of_bps,
    )
    app.jinja_env.globals.update(label=label, field_message=field_message, url_with=url_with)
    app.register_blueprint(bp)
    app.register_error_handler(NotFound, not_found)


def not_found(exc: NotFound):
    """An address that names no route: a page for a browser asking for HTML, else the API's
    JSON error (the API and /healthz always answer JSON)."""
    path = request.path
    wants_html = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if request.blueprint == "web" or (
        wants_html == "text/html" and not path.startswith(("/api/", "/healthz"))
    ):
        return error_page(404, gettext("There is nothing at this address."))
    return error_response(404, "not_found", "Not found.")


@bp.before_request
def protect_forms():
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@bp.after_request
def no_shared_caching(response):
    response.vary.add("Cookie")
    if g.get("page_user") is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_context_processor
def page_context():
    if request.blueprint != "web":
        return {}
    me = page_user()
    unread = notifications.unread_count(me) if me is not None else 0
    return {"me": me, "lang": select_locale(), "unread_notifications": unread}


def url_with(**changes) -> str:
    """This page's address with some query arguments changed (None drops one). Built from the
    path, not url_for, so that no query argument can reach url_for's own (_scheme, _external…)."""
    args = {k: v for k, v in request.args.items() if not k.startswith("_")}
    args.update(changes)
    query = urlencode({k: v for k, v in args.items() if v is not None})
    return request.path + (f"?{query}" if query else "")


def error_page(status: int, message: str):
    titles = {
        400: gettext("This request could not be understood"),
        403: gettext("You are not allowed here"),
        404: gettext("Page not found"),
        405: gettext("This action is not allowed here"),
        409: gettext("This conflicts with the current state"),
        413: gettext("This request is too large"),
        414: gettext("This address is too long"),
        422: gettext("Some fields are invalid"),
        429: gettext("Too many requests"),
        500: gettext("Something went wrong on our side"),
        503: gettext("The service is unavailable"),
    }
    title = titles.get(status, gettext("Something went wrong on our side"))
    body = render_template(
        "web/error.html",
        status=status,
        title=title,
        message=message,
        request_id=g.get("request_id"),
    )
    return body, status


@bp.errorhandler(AppError)
def app_error_page(exc: AppError):
    return error_page(exc.status, error_text(exc))


@bp.errorhandler(CSRFError)
def csrf_error_page(exc: CSRFError):
    return error_page(
        400, gettext("The form expired or did not come from this site. Reload the page and retry.")
    )


@bp.errorhandler(RateLimitExceeded)
def rate_limited_page(exc: RateLimitExceeded):
    return error_page(429, gettext("Too many attempts; wait a minute and retry."))


@bp.errorhandler(HTTPException)
def http_error_page(exc: HTTPException):
    status = exc.code or 500
    messages = {
        404: gettext("There is nothing at this address."),
        403: gettext("You are not allowed to see this page."),
        405: gettext("This action is not allowed here."),
        413: gettext("The request body is larger than 1 MiB."),
    }
    return error_page(status, messages.get(status, gettext("Please try again.")))


@bp.errorhandler(Exception)
def unexpected_error_page(exc: Exception):
    known = backing_failure(exc)
    if known is not None:  # as the API: the database went away (503), refused a value (422)…
        status = known[0]
        messages = {
            503: gettext("The service is unavailable for a moment; please retry shortly."),
            409: gettext("Someone changed this at the same time; reload the page and retry."),
        }
        return error_page(status, messages.get(status, gettext("Please try again.")))
    log.exception("unhandled error on a page (request %s)", g.get("request_id"))
    return error_page(500, gettext("Quote the request id below if you report it."))
