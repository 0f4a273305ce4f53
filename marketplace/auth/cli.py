import sys

import click

from ..errors import AppError
from ..unit_of_work import TransactionalGroup
from .services import create_admin

users_cli = TransactionalGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--email", required=True, help="The admin's email (their login).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--full-name", default="Platform admin", show_default=True)
def create_admin_command(email: str, password_stdin: bool, full_name: str) -> None:
    """Create a platform admin (or promote the account with this email)."""
    if not password_stdin:
        raise click.UsageError(
            "Pass --password-stdin and pipe the password in; it is never an argument."
        )
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_admin(email, password, full_name)
    except AppError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.details or {}).items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    click.echo(f"Platform admin {user.email} is ready (user id {user.id}).")
