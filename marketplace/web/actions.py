"""Running a page's action through a service: on a refusal, roll back and say why.

The request's unit of work (unit_of_work.py) commits a successful action; a refusal that the page
answers with a redirect (a success status) is rolled back here, so nothing of it is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash

from ..errors import AppError, Forbidden, NotFound
from ..unit_of_work import rollback
from .i18n import error_text


def perform(action: Callable[[], Any], success: str) -> bool:
    """Run ``action`` as the request's one unit of work. A refusal the visitor can act on
    (a conflict, a wrong value) becomes a message on the page; 403 and 404 become error pages."""
    try:
        action()
    except (Forbidden, NotFound):
        raise
    except AppError as exc:
        rollback()
        flash(error_text(exc), "error")
        return False
    flash(success, "success")
    return True
