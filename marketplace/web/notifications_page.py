"""The bell's page: a logged-in person's in-app notifications, and marking them read."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ..auth.services import LOCALES, set_locale
from ..http import paginate
from ..notifications import services as notifications
from ..unit_of_work import transaction
from .blueprint import bp
from .forms import ascii_int
from .session import login_required, page_user
from .storefront import page_number

PER_PAGE = 30


@bp.route("/notifications")
@login_required
def notifications_page():
    """Newest first; the unread ones stand out until they are marked read."""
    user = page_user()
    result = paginate(notifications.feed(user), page_number(), PER_PAGE)
    return render_template("web/notifications.html", result=result)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_notifications():
    """Mark one notification (`id`) or all of them read."""
    raw = request.form.get("id", "")
    number = ascii_int(raw)
    ids = [number] if number is not None else None
    notifications.mark_read(page_user(), ids)
    return redirect(url_for("web.notifications_page"))


@bp.before_request
def remember_language():
    """``?lang=`` on any page also sets a logged-in person's account language (their
    notifications follow it), in a unit of work of its own."""
    asked = request.args.get("lang")
    user = page_user() if asked in LOCALES else None
    if user is not None and user.locale != asked:
        with transaction():
            set_locale(user, asked)
