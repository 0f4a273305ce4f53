"""One unit of work per request and per CLI command (indico's ``RH.process``).

Every view function of the API blueprints and of the pages, and every CLI command, runs inside
``in_transaction``: the database session commits once when the view answers with a success
(status below 400) and rolls back when it raises or answers with an error. Services ``flush()``
and never commit; routes, pages and commands never commit either.

The one exception is the card checkout (``orders/checkout.py``): it commits three short
transactions so that no row lock is held while the payment provider is called.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
import flask
from flask import current_app
from flask.cli import AppGroup

from .extensions import db

_AFTER_COMMIT = "marketplace.after_commit"
_AFTER_ROLLBACK = "marketplace.after_rollback"


@contextmanager
def transaction() -> Iterator[None]:
    """One unit of work: commit when the block ends normally, roll back when it raises. CLI
    commands and jobs that work through many independent items use one per item."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.info.pop(_AFTER_COMMIT, None)
        undo = db.session.info.pop(_AFTER_ROLLBACK, [])
        # A connection that died cannot roll back; the request's teardown discards it, and the
        # error that ended the unit of work is the one to report.
        with contextlib.suppress(Exception):
            db.session.rollback()
        _undo(undo)
        raise
    db.session.info.pop(_AFTER_ROLLBACK, None)
    _run_after_commit()


def after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the current unit of work has committed (never when it rolls back):
    for effects outside the database, such as writing a file."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def after_rollback(callback: Callable[[], Any]) -> None:
    """Run ``callback`` if the current unit of work rolls back (never when it commits): undoes an
    effect outside the database made before the commit, such as a file already stored."""
    db.session.info.setdefault(_AFTER_ROLLBACK, []).append(callback)


def _run_after_commit() -> None:
    for callback in db.session.info.pop(_AFTER_COMMIT, []):
        callback()


def rollback() -> None:
    """Give up the current unit of work (a page that answers a refusal with a redirect)."""
    db.session.info.pop(_AFTER_COMMIT, None)
    undo = db.session.info.pop(_AFTER_ROLLBACK, [])
    db.session.rollback()
    _undo(undo)


def _undo(callbacks: list[Callable[[], Any]]) -> None:
    for callback in reversed(callbacks):
        callback()


def in_transaction(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a view: commit when it succeeds, roll back when it fails (raised or answered >= 400)."""

    @wraps(view)
    def unit_of_work(*args, **kwargs):
        with transaction():
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code >= 400:
                rollback()
        return response

    return unit_of_work


def command_in_transaction(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a CLI command's callback: commit once when it returns, roll back when it raises
    (``sys.exit(1)`` and ``click.exceptions.Exit(1)`` count as failures, exit code 0 as
    success; ``ctx.exit()`` cannot be used: it closes the app context before the rollback)."""

    @wraps(command)
    def unit_of_work(*args, **kwargs):
        with transaction():
            try:
                return command(*args, **kwargs)
            except (SystemExit, click.exceptions.Exit) as done:
                code = done.code if isinstance(done, SystemExit) else done.exit_code
                if code not in (0, None):
                    raise
                finished = done
        raise finished  # exited early with success: committed, then the exit goes on

    return unit_of_work


class TransactionalBlueprint(flask.Blueprint):
    """A plain Flask blueprint whose views each run as one unit of work (the pages)."""

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        if view_func is not None and endpoint != "static":
            view_func = in_transaction(view_func)
        super().add_url_rule(rule, endpoint, view_func, **options)


class TransactionalGroup(AppGroup):
    """A ``flask`` command group whose commands each run as one unit of work."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(callback):
            return register(command_in_transaction(callback))

        return decorator
