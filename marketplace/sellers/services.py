"""Household seller profiles: onboarding, moderation, certifications, assisted onboarding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import User
from ..auth.services import ensure_unique_contact, issue_claim_code, register_user
from ..clock import utcnow
from ..coops.models import Coop
from ..coops.services import can_moderate, get_coop, record_audit, require_coop_admin
from ..errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError, field_error
from ..extensions import db
from ..notifications import services as notifications
from ..places import check_place
from .models import Certification, Seller

# The onboarding state machine: (status, action) → new status. Anything else is 409.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("rejected", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("approved", "suspend"): "suspended",
    ("suspended", "reinstate"): "approved",
}
MODERATION_ACTIONS = ("approve", "reject", "suspend", "reinstate")


def _check_place(province_code: int, ward_code: int) -> None:
    errors = check_place(province_code, ward_code)
    if errors:
        raise ValidationError(details=errors)


def _seller_query() -> Select:
    return select(Seller).options(
        joinedload(Seller.coop), selectinload(Seller.certifications), joinedload(Seller.user)
    )


def is_owner(user: User | None, seller: Seller) -> bool:
    return user is not None and seller.user_id == user.id


def sees_full_view(user: User | None, seller: Seller) -> bool:
    return is_owner(user, seller) or can_moderate(user, seller.coop_id)


def get_seller_for(user: User | None, seller_id: int) -> Seller:
    """The seller as ``user`` may see it: approved ones are public, others only to owner and co-op."""
    seller = db.session.scalar(_seller_query().where(Seller.id == seller_id))
    if seller is None or (seller.status != "approved" and not sees_full_view(user, seller)):
        raise NotFound("No such household.")
    return seller


def create_seller(user: User, *, coop_id: int, **fields: Any) -> Seller:
    """A household's own profile, in status draft."""
    if db.session.scalar(select(Seller.id).where(Seller.user_id == user.id)) is not None:
        raise Conflict("You already have a seller profile.")
    if db.session.get(Coop, coop_id) is None:
        raise field_error("coop_id", "No co-op with this id.")
    _check_place(fields["province_code"], fields["ward_code"])
    seller = Seller(user_id=user.id, coop_id=coop_id, status="draft", **fields)
    db.session.add(seller)
    db.session.flush()
    return seller


def update_seller(seller: Seller, changes: dict[str, Any]) -> Seller:
    _check_place(
        changes.get("province_code", seller.province_code),
        changes.get("ward_code", seller.ward_code),
    )
    if "payout_account" in changes:
        account = changes.pop("payout_account") or {}
        seller.payout_bank_bin = account.get("bank_bin")
        seller.payout_account_no = account.get("account_no")
        seller.payout_account_name = account.get("account_name")
    for name, value in changes.items():
        setattr(seller, name, value)
    db.session.flush()
    return seller


def transition(seller: Seller, action: str, actor: User, reason: str | None = None) -> Seller:
    """Move along the onboarding state machine; moderation actions go to the co-op's audit log."""
    new_status = TRANSITIONS.get((seller.status, action))
    if new_status is None:
        raise InvalidTransition(
            f"Cannot {action} a household in status '{seller.status}'.",
            {"status": seller.status, "action": action},
        )
    seller.status = new_status
    notifications.household_moderated(seller, action, reason)
    if action in MODERATION_ACTIONS:
        record_audit(
            coop_id=seller.coop_id,
            actor=actor,
            action=f"seller.{action}",
            target_type="seller",
            target_id=seller.id,
            reason=reason,
        )
    db.session.flush()
    return seller


def submit(seller: Seller, actor: User) -> Seller:
    if not is_owner(actor, seller):
        raise Forbidden("Only the household itself submits its profile.")
    return transition(seller, "submit", actor)


def require_moderator(actor: User, seller: Seller) -> None:
    """403 unless ``actor`` is an admin of the household's co-op, and not the household."""
    if not can_moderate(actor, seller.coop_id):
        raise Forbidden("Only an admin of this household's co-op can do this.")
    forbid_own_household(actor, seller)


def require_full_view(actor: User, seller: Seller) -> None:
    """403 unless ``actor`` is the household or an admin of its co-op."""
    if not sees_full_view(actor, seller):
        raise Forbidden("Only the household or its co-op can do this.")


def moderator_of(user: User, seller_id: int) -> None:
    """The route's check that ``user`` moderates this household (404, then 403)."""
    require_moderator(user, get_seller_for(user, seller_id))


def full_viewer_of(user: User, seller_id: int) -> None:
    """The route's check that ``user`` is the household or an admin of its co-op (404, 403)."""
    require_full_view(user, get_seller_for(user, seller_id))


def moderate(seller: Seller, action: str, actor: User, reason: str | None = None) -> Seller:
    require_moderator(actor, seller)
    return transition(seller, action, actor, reason)


def forbid_own_household(actor: User, seller: Seller) -> None:
    """Separation of duties: nobody moderates their own household, listings or certificates;
    another admin of the co-op or a platform admin does."""
    if is_owner(actor, seller):
        raise Forbidden("You cannot moderate your own household: another admin of the co-op does.")


def add_certification(seller: Seller, actor: User, **fields: Any) -> Certification:
    require_full_view(actor, seller)
    return record_certification(seller, **fields)


def record_certification(seller: Seller, *, verified: bool = False, **fields: Any) -> Certification:
    """A certification (CertificationCreateSchema fields) of ``seller``. ``verified=True`` is
    for certificates the co-op has already checked (the seed loader)."""
    cert = Certification(seller_id=seller.id, **fields)
    db.session.add(cert)
    db.session.flush()
    if verified:
        mark_verified(seller, cert, None)
    return cert


def verify_certification(seller: Seller, cert_id: int, actor: User) -> Certification:
    cert = db.session.scalar(
        select(Certification).where(
            Certification.id == cert_id, Certification.seller_id == seller.id
        )
    )
    if cert is None:
        raise NotFound("No such certification.")
    if not can_moderate(actor, seller.coop_id):
        raise Forbidden("Only an admin of this household's co-op verifies certifications.")
    forbid_own_household(actor, seller)
    if cert.verified_at is not None:
        raise InvalidTransition("This certification is already verified.")
    return mark_verified(seller, cert, actor)


def mark_verified(seller: Seller, cert: Certification, actor: User | None) -> Certification:
    """Record the co-op's verification (``actor`` None: the seed loader, for the co-op)."""
    cert.verified_at = utcnow()
    cert.verified_by_id = actor.id if actor else None
    record_audit(
        coop_id=seller.coop_id,
        actor=actor,
        action="certification.verify",
        target_type="certification",
        target_id=cert.id,
    )
    db.session.flush()
    return cert


ONBOARDING_FOR_ADMINS = "Only an admin of this co-op onboards its households."


def onboard_household(coop_id: int, actor: User, *, full_name: str, **fields: Any):
    """Assisted onboarding: the co-op creates the account and an approved profile, and hands
    the household a claim code with which it sets its own password."""
    coop = get_coop(coop_id)
    require_coop_admin(actor, coop.id, ONBOARDING_FOR_ADMINS)
    seller = register_household(coop, actor, full_name=full_name, **fields)
    code, claim = issue_claim_code(seller.user)
    return seller, code, claim


def register_household(
    coop: Coop,
    actor: User | None,
    *,
    full_name: str,
    code: str | None = None,
    email: str | None = None,
    password: str | None = None,
    **fields: Any,
) -> Seller:
    """An account and an approved household profile in ``coop`` (HouseholdFieldsSchema fields).

    Without a password the household sets one with a claim code. ``actor`` None is the seed
    loader acting for the co-op; ``code`` is the seed's natural key.
    """
    _check_place(fields["province_code"], fields["ward_code"])
    ensure_unique_contact(email, fields["phone"])
    user = register_user(full_name=full_name, password=password, phone=fields["phone"], email=email)
    user.created_by_coop = True
    seller = Seller(user_id=user.id, coop_id=coop.id, status="approved", code=code, **fields)
    db.session.add(seller)
    db.session.flush()
    record_audit(
        coop_id=coop.id,
        actor=actor,
        action="seller.onboard",
        target_type="seller",
        target_id=seller.id,
    )
    return seller


def update_household(
    seller: Seller, *, coop: Coop, full_name: str, changes: dict[str, Any]
) -> Seller:
    """The seed's update of a household it loaded: profile fields (as PATCH /sellers/{id}),
    its co-op, and the account's name and phone (the phone is the household's login)."""
    if "phone" in changes:
        ensure_unique_contact(None, changes["phone"], exclude_id=seller.user_id)
        seller.user.phone = changes["phone"]
    seller.user.full_name = full_name
    seller.coop = coop
    return update_seller(seller, changes)


def households_by_code(codes: Iterable[str]) -> dict[str, Seller]:
    """Households by their natural key (the seed's ``code``), in one query."""
    codes = list(codes)
    if not codes:
        return {}
    rows = db.session.scalars(_seller_query().where(Seller.code.in_(codes)))
    return {s.code: s for s in rows}


def new_claim_code(seller: Seller, actor: User):
    """A fresh claim code (409 when the account is not the co-op's to hand over, see
    ``auth.services.claimable``)."""
    if not can_moderate(actor, seller.coop_id):
        raise Forbidden("Only an admin of this household's co-op issues claim codes.")
    code, claim = issue_claim_code(seller.user)
    record_audit(
        coop_id=seller.coop_id,
        actor=actor,
        action="seller.claim_code",
        target_type="seller",
        target_id=seller.id,
    )
    return code, claim


def coop_sellers(coop_id: int, status: str | None) -> Select:
    query = _seller_query().where(Seller.coop_id == coop_id)
    if status:
        query = query.where(Seller.status == status)
    return query.order_by(Seller.created_at, Seller.id)
