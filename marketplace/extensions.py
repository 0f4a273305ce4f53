"""Extension objects, created unbound and initialised in ``create_app``."""

from collections.abc import Callable, Iterable

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic batch migrations can alter them on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)


def listen_on_sessions(handlers: Iterable[tuple[str, Callable]]) -> None:
    """Listen on every Flask-SQLAlchemy session for these ``(event, handler)`` pairs, once each
    however many apps are created; handlers of one event run in the order they were first added."""
    for name, handler in handlers:
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)


api = Api()


def _client_address() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[])
