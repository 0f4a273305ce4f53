"""`flask seed [--path seed_data] [--dry-run] [--demo]` and `flask seed synthetic`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..unit_of_work import (
    TransactionalGroup,
    after_commit,
    command_in_transaction,
    rollback,
)
from .claim_codes import write_claim_codes
from .demo import DEMO_PASSWORD, LOGINS, load_demo
from .loader import SeedLoader
from .synthetic import load_synthetic, total_rows

ROOT = Path(__file__).resolve().parent.parent.parent
# Files with more rows than this get a progress bar.
PROGRESS_MIN_ROWS = 300


def _console() -> Console:
    return Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(),
        transient=True,
    )


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int], Callable[[], None]]]:
    """A rich progress bar per big file, on standard error (the summary stays clean); nothing
    at all when every file is small."""
    progress: Progress | None = None

    def start(name: str, total: int) -> Callable[[], None]:
        nonlocal progress
        if total < PROGRESS_MIN_ROWS:
            return lambda: None
        if progress is None:
            progress = _progress()
            progress.start()
        task = progress.add_task(name, total=total)
        return lambda: progress.advance(task)

    try:
        yield start
    finally:
        if progress is not None:
            progress.stop()


@click.group("seed", cls=TransactionalGroup, invoke_without_command=True)
@click.option(
    "--path",
    "path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with categories.csv, coops.csv, households.csv, products.csv [seed_data].",
)
@click.option("--dry-run", is_flag=True, help="Validate and report, write nothing.")
@click.option("--demo", is_flag=True, help="Also create the demo accounts (not in production).")
@click.pass_context
@with_appcontext
@command_in_transaction
def seed_cli(ctx: click.Context, path: Path | None, dry_run: bool, demo: bool) -> None:
    """Load the CSV seed data (idempotent: natural keys decide create / update / unchanged)."""
    if ctx.invoked_subcommand is not None:
        return
    if demo and current_app.config["MARKETPLACE_ENV"] == "production":
        click.echo(
            "Refusing to create demo accounts with a known password in production "
            "(MARKETPLACE_ENV=production).",
            err=True,
        )
        raise click.exceptions.Exit(1)  # ctx.exit() would close the app context first
    path = path or ROOT / "seed_data"
    if not path.is_dir():
        click.echo(f"No seed folder at {path}.", err=True)
        raise click.exceptions.Exit(1)  # ctx.exit() would close the app context first

    with progress_bars() as progress:
        report = SeedLoader(path, progress).load()
    if not report.ok:
        for error in report.errors:
            click.echo(str(error), err=True)
        click.echo(
            f"{len(report.errors)} error(s) in {path}: nothing was written.",
            err=True,
        )
        raise click.exceptions.Exit(1)  # ctx.exit() would close the app context first
    demo_summary = load_demo() if demo else None

    for summary in report.files:
        click.echo(str(summary))
    if demo_summary:
        click.echo(str(demo_summary))
    if dry_run:
        rollback()
        click.echo("Dry run: every row is valid; nothing was written.")
        return
    if report.claim_codes:
        target = current_app.config["SEED_CLAIM_CODES_FILE"]

        def write_codes() -> None:
            write_claim_codes(target, report.claim_codes)
            click.echo(
                f"Claim codes of {len(report.claim_codes)} new household(s) written to {target} "
                "(mode 0600); hand them out, they are not shown anywhere else."
            )

        after_commit(write_codes)  # only codes that the database keeps
    if demo:
        click.echo(f"Demo logins (password {DEMO_PASSWORD}):")
        for role, login in LOGINS:
            click.echo(f"  {role:<17} {login}")


@seed_cli.command("synthetic")
@click.option("--products", type=click.IntRange(1, 10_000_000), required=True)
@click.option("--seed", "seed", type=click.IntRange(0, 999_999), default=1, show_default=True)
def synthetic_command(products: int, seed: int) -> None:
    """Deterministic synthetic co-ops, households and products for benchmarks (bulk inserts)."""
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("synthetic rows", total=total_rows(products))
        summary = load_synthetic(products, seed, lambda n: progress.advance(task, n))
    inserted = time.perf_counter()
    click.echo(
        f"synthetic (seed {seed}): co-ops created {summary.created['coops']}, "
        f"households created {summary.created['households']}, "
        f"products created {len(summary.product_ids)} "
        f"(already there: {summary.existing['coops']}, {summary.existing['households']}, "
        f"{summary.products_existing})"
    )

    def report_time() -> None:
        committed = time.perf_counter()
        click.echo(
            f"in {committed - started:.1f} s (database inserts {inserted - started:.1f} s, "
            f"commit with the search index {committed - inserted:.1f} s)"
        )

    after_commit(report_time)
