"""Log in by phone or email, log out, register, and activate a household's claim code."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..auth import login_limit
from ..auth import services as auth
from ..auth.schemas import ClaimSchema, LoginSchema, RegisterSchema
from ..errors import AppError, Conflict, InvalidCredentials, ValidationError
from ..extensions import db, limiter
from .blueprint import bp
from .forms import load_form, service_errors
from .i18n import error_text
from .session import end_session, safe_next, start_session


def _home_of(user) -> str:
    if user.coop_ids:
        return url_for("web.coop_home", coop_id=user.coop_ids[0])
    if user.seller is not None:
        return url_for("web.dashboard")
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("300 per minute", methods=["POST"])
def login():
    """Log in with an email or a phone number in any common Vietnamese form."""
    errors: dict[str, list[str]] = {}
    next_url = request.values.get("next")
    if request.method == "POST":
        data, errors = load_form(LoginSchema(), request.form)
        if data is not None:
            login_limit.count_attempt(data["login"])  # one limit with the API's, per account
            try:
                user = auth.check_login(data["login"], data["password"])
            except InvalidCredentials as exc:
                errors = {"_schema": [error_text(exc)]}
            else:
                start_session(user)
                flash(gettext("Welcome, %(name)s.", name=user.full_name), "success")
                return redirect(safe_next(next_url, _home_of(user)))
    status = 422 if errors else 200
    return render_template(
        "web/login.html", errors=errors, form=request.form, next=next_url
    ), status


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    flash(gettext("You are logged out."), "success")
    return redirect(url_for("web.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def register():
    """A buyer's account with an email or a phone number."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = load_form(RegisterSchema(), request.form)
        if data is not None:
            try:
                user = auth.register_user(
                    full_name=data["full_name"],
                    password=data["password"],
                    email=data.get("email"),
                    phone=data.get("phone"),
                )
                start_session(user)
            except (ValidationError, Conflict) as exc:
                db.session.rollback()
                errors = service_errors(exc) or {"_schema": [error_text(exc)]}
            else:
                flash(gettext("Your account is ready."), "success")
                return redirect(safe_next(request.args.get("next"), url_for("web.home")))
    status = 422 if errors else 200
    return render_template("web/register.html", errors=errors, form=request.form), status


@bp.route("/claim", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def claim():
    """A household onboarded by its co-op sets its password with the claim code."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = load_form(ClaimSchema(), request.form)
        if data is not None:
            try:
                user = auth.redeem_claim_code(data["code"], data["password"])
                start_session(user)
            except AppError as exc:
                db.session.rollback()
                errors = service_errors(exc) if isinstance(exc, ValidationError) else {}
                errors = errors or {"_schema": [error_text(exc)]}
            else:
                flash(gettext("Your password is set. Welcome to your dashboard."), "success")
                return redirect(url_for("web.dashboard"))
    status = 422 if errors else 200
    # The code is never taken from the query string: addresses end up in access logs.
    return render_template("web/claim.html", errors=errors, form=request.form), status
