"""Co-ops, their admins, and the moderation audit log."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..errors import Conflict, Forbidden, NotFound, ValidationError, field_error
from ..extensions import db
from ..places import check_place
from ..search.text import slugify
from .models import AuditEntry, Coop, CoopAdmin


def get_coop(coop_id: int) -> Coop:
    coop = db.session.get(Coop, coop_id)
    if coop is None:
        raise NotFound("No such co-op.")
    return coop


def list_coops() -> Select:
    return select(Coop).order_by(Coop.name, Coop.id)


def is_coop_admin(user: User | None, coop_id: int) -> bool:
    return user is not None and any(m.coop_id == coop_id for m in user.coop_memberships)


def can_moderate(user: User | None, coop_id: int) -> bool:
    """Platform admins moderate every co-op; a co-op admin only its own."""
    return user is not None and (user.is_admin or is_coop_admin(user, coop_id))


def require_coop_admin(user: User, coop_id: int, message: str) -> None:
    """403 ``message`` unless ``user`` moderates this co-op."""
    if not can_moderate(user, coop_id):
        raise Forbidden(message)


def admin_of_coop(message: str):
    """A route's check (see ``auth.access.acting_on``) that the caller administers the co-op of
    the path: 404 for an unknown co-op, then 403 ``message``."""

    def check(user: User, coop_id: int, **_: object) -> None:
        require_coop_admin(user, get_coop(coop_id).id, message)

    return check


def create_coop(
    *,
    name: str,
    province_code: int,
    slug: str | None = None,
    ward_code: int | None = None,
    description: str | None = None,
) -> Coop:
    errors = check_place(province_code, ward_code)
    if errors:
        raise ValidationError(details=errors)
    slug = slug or slugify(name)
    if not slug:
        raise field_error(
            "slug", "Give a slug: the name has no letters or digits to make one from."
        )
    if db.session.scalar(select(Coop.id).where(Coop.slug == slug)) is not None:
        raise Conflict(f"A co-op with slug '{slug}' exists.", {"slug": ["Already taken."]})
    coop = Coop(
        name=name,
        slug=slug,
        province_code=province_code,
        ward_code=ward_code,
        description=description,
    )
    db.session.add(coop)
    db.session.flush()
    return coop


def update_coop(coop: Coop, changes: dict) -> Coop:
    """Change a co-op's name, place, description or commission (slug excluded)."""
    errors = check_place(
        changes.get("province_code", coop.province_code),
        changes.get("ward_code", coop.ward_code),
    )
    if errors:
        raise ValidationError(details=errors)
    for name, value in changes.items():
        setattr(coop, name, value)
    db.session.flush()
    return coop


def coops_by_slug(slugs: Iterable[str] | None = None) -> dict[str, Coop]:
    """Co-ops by their natural key, in one query (all of them when ``slugs`` is None)."""
    query = select(Coop)
    if slugs is not None:
        query = query.where(Coop.slug.in_(list(slugs)))
    return {c.slug: c for c in db.session.scalars(query)}


def add_admin(coop: Coop, user_id: int) -> None:
    user = db.session.get(User, user_id)
    if user is None:
        raise field_error("user_id", "No user with this id.")
    if db.session.get(CoopAdmin, (coop.id, user_id)) is None:
        db.session.add(CoopAdmin(coop_id=coop.id, user_id=user_id))
        db.session.flush()


def remove_admin(coop: Coop, user_id: int) -> None:
    membership = db.session.get(CoopAdmin, (coop.id, user_id))
    if membership is None:
        raise NotFound("This user is not an admin of this co-op.")
    db.session.delete(membership)
    db.session.flush()


def record_audit(
    *,
    coop_id: int,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int,
    reason: str | None = None,
) -> AuditEntry:
    """Write one moderation action into the co-op's audit log."""
    entry = AuditEntry(
        coop_id=coop_id,
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def audit_log(coop_id: int) -> Select:
    return (
        select(AuditEntry)
        .where(AuditEntry.coop_id == coop_id)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
