"""`flask search rebuild` and `flask search check`."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..extensions import db
from ..unit_of_work import TransactionalGroup
from .backend import count_visible
from .services import get_backend
from .sync import repair

search_cli = TransactionalGroup("search", help="Maintain the search index.")

SHOWN_IDS = 20


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the active backend's index from the database; search keeps answering meanwhile."""
    backend = get_backend()
    console = Console(stderr=True)
    with db.engine.connect() as conn:
        total = count_visible(conn)
    columns = (
        TextColumn("[bold]indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("products", total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)

        # PostgreSQL: one transaction, readers keep the old vectors until it commits.
        # Whoosh: a new generation, swapped in when complete.
        with db.engine.begin() as conn:
            count = backend.rebuild(conn, advance)
    # Changes committed while the new generation was being written went to the old one.
    with db.engine.connect() as conn:
        drift = backend.check(conn)
    repair(backend, drift)
    click.echo(f"search index ({backend.name}) rebuilt: {count} products")


@search_cli.command("check")
def check_command() -> None:
    """Compare the index with the database; exit 1 when they disagree."""
    backend = get_backend()
    with db.engine.connect() as conn:
        drift = backend.check(conn)
    for label, ids in (
        ("missing from the index", drift.missing),
        ("stale in the index", drift.stale),
        ("in the index but not visible", drift.extra),
    ):
        shown = ", ".join(map(str, ids[:SHOWN_IDS])) + (" …" if len(ids) > SHOWN_IDS else "")
        click.echo(f"{label}: {len(ids)}" + (f" ({shown})" if ids else ""))
    if drift.clean:
        click.echo(f"search index ({backend.name}) is in step with the database")
        return
    click.echo("drift found: run `flask search rebuild`", err=True)
    sys.exit(1)
