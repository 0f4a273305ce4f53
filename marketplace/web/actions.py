"""Running a page's action through a service: commit once, or roll back and say why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash

from ..errors import AppError, Forbidden, NotFound
from ..extensions import db
from .i18n import error_text


def perform(action: Callable[[], Any], success: str) -> bool:
    """Run ``action`` as the request's one unit of work. A refusal the visitor can act on
    (a conflict, a wrong value) becomes a message on the page; 403 and 404 become error pages."""
    try:
        action()
    except (Forbidden, NotFound):
        db.session.rollback()
        raise
    except AppError as exc:
        db.session.rollback()
        flash(error_text(exc), "error")
        return False
    flash(success, "success")
    return True
