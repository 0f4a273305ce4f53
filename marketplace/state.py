"""State machines: one transition table per stateful thing and one ``move()`` for all of them.

A move is a compare-and-set: ``UPDATE … SET status = :new WHERE id = :id AND status = :expected``.
When two transactions race to move the same row (a buyer's cancel and a household's cancel, a
sweep and a shipment), the database lets exactly one UPDATE match; the other finds no row and
raises InvalidTransition, on SQLite (which ignores ``SELECT … FOR UPDATE``) as on PostgreSQL.
Because the winner's UPDATE is the first thing it writes, it holds the row (PostgreSQL) or the
database (SQLite) until it commits, before it calls any payment provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect, update
from sqlalchemy.orm.attributes import set_committed_value

from .clock import utcnow
from .errors import InvalidTransition
from .extensions import db


class StateMachine:
    """``(status, action) → new status``; anything else is 409 ``invalid_transition``."""

    def __init__(self, what: str, transitions: Mapping[tuple[str, str], str]):
        self.what = what
        self.transitions = dict(transitions)

    def target(self, status: str, action: str) -> str | None:
        return self.transitions.get((status, action))

    def allows(self, status: str, action: str) -> bool:
        return (status, action) in self.transitions

    def move(
        self, obj: Any, action: str, *, guard: Mapping[str, Any] | None = None, **values: Any
    ) -> str:
        """Move ``obj`` along ``action`` (setting ``values`` in the same UPDATE); the new status.

        A row not yet in the database simply takes the new status. A stored row is moved only if
        its status (and each column named in ``guard``) is still what this transaction read;
        otherwise InvalidTransition.
        """
        expected = obj.status
        new_status = self.transitions.get((expected, action))
        if new_status is None:
            raise InvalidTransition(
                f"Cannot {action} {self.what} in status '{expected}'.",
                {"status": expected, "action": action},
            )
        state = inspect(obj)
        if state.persistent:
            model = type(obj)
            if hasattr(model, "updated_at"):
                values.setdefault("updated_at", utcnow())
            moved = db.session.execute(
                update(model)
                .where(model.id == obj.id, model.status == expected)
                .where(*(getattr(model, name) == value for name, value in (guard or {}).items()))
                .values(status=new_status, **values)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:
                db.session.refresh(obj, ["status"])
                raise InvalidTransition(
                    f"{self.what.capitalize()} changed meanwhile (now '{obj.status}'); "
                    f"cannot {action} it.",
                    {"status": obj.status, "action": action},
                )
            # The row holds these values now; the object says so without writing them again.
            for name, value in {"status": new_status, **values}.items():
                set_committed_value(obj, name, value)
        else:
            obj.status = new_status
            for name, value in values.items():
                setattr(obj, name, value)
        return new_status
