"""Languages of the pages (Vietnamese by default, English on request) and how values are shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import phonenumbers
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import request, session
from flask_babel import get_locale, gettext

from ..clock import VIETNAM
from ..errors import AppError
from .session import page_user

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def select_locale() -> str:
    """``?lang=en`` (or ``vi``) switches the language and the session remembers the choice; a
    logged-in person's account language (`locale`, also that of their notifications) is used
    when this browser has not chosen one."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return remembered
    user = page_user() if request.blueprint == "web" else None
    return user.locale if user is not None and user.locale in LANGUAGES else DEFAULT_LANGUAGE


def vnd(amount: int | None) -> str:
    """Integer VND the Vietnamese way, in both languages: 45000 → "45.000 ₫"."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " ₫"


UNIT_LABELS = {
    "kg": N_("kg"),
    "g": N_("g"),
    "box": N_("box"),
    "bag": N_("bag"),
    "bunch": N_("bunch"),
    "piece": N_("piece"),
    "litre": N_("litre"),
    "dozen": N_("dozen"),
}


def percent_of_bps(bps: int | None) -> str:
    """Basis points as people read a percentage, with the decimal mark of the page's language:
    500 → "5 %", 750 → "7,5 %" in Vietnamese and "7.5 %" in English."""
    if bps is None:
        return ""
    number = babel_numbers.format_decimal(Decimal(bps) / 100, "#,##0.##", locale=_locale())
    return f"{number} %"


def local_phone(e164: str | None) -> str:
    """+84912345678 → "0912 345 678", as Vietnamese write it."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def unit_label(unit: str) -> str:
    return gettext(UNIT_LABELS[unit]) if unit in UNIT_LABELS else unit


def price_per_unit(amount: int, unit: str) -> str:
    """45000, "kg" → "45.000 ₫/kg"."""
    return f"{vnd(amount)}/{unit_label(unit)}"


def vietnam_time(value: dt.datetime) -> dt.datetime:
    """A timestamp (stored in UTC; a naive one is taken as UTC) as the clock in Vietnam shows it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(VIETNAM)


def show_date(value: dt.date | None) -> str:
    """A date; a timestamp shows its date in Vietnam."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = vietnam_time(value).date()
    pattern = "dd/MM/yyyy" if _lang() == "vi" else "d MMM yyyy"
    return babel_dates.format_date(value, pattern, locale=_locale())


def show_datetime(value: dt.datetime | None) -> str:
    """A timestamp in Vietnam time (Asia/Ho_Chi_Minh), whatever the page's language: deadlines,
    promised dates and order times are the buyers' and households' local time."""
    if value is None:
        return ""
    pattern = "HH:mm dd/MM/yyyy" if _lang() == "vi" else "d MMM yyyy, HH:mm"
    return babel_dates.format_datetime(
        vietnam_time(value), pattern, tzinfo=VIETNAM, locale=_locale()
    )


def _locale():
    return get_locale() or DEFAULT_LANGUAGE


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


# Labels of the statuses, schemes and moderation actions the services use.
STATUS_LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "suspended": N_("Suspended"),
    "pending_review": N_("Pending review"),
    "active": N_("On sale"),
    "paused": N_("Paused"),
    "removed": N_("Removed"),
    "archived": N_("Archived"),
}
SCHEME_LABELS = {
    "vietgap": "VietGAP",
    "globalgap": "GlobalGAP",
    "organic": N_("Organic"),
    "ocop": "OCOP",
}
AUDIT_LABELS = {
    "seller.approve": N_("Household approved"),
    "seller.reject": N_("Household rejected"),
    "seller.suspend": N_("Household suspended"),
    "seller.reinstate": N_("Household reinstated"),
    "seller.onboard": N_("Household onboarded"),
    "seller.claim_code": N_("New claim code"),
    "product.approve": N_("Listing approved"),
    "product.reject": N_("Listing rejected"),
    "product.remove": N_("Listing removed"),
    "certification.verify": N_("Certification verified"),
}


ORDER_LABELS = {
    "awaiting_payment": N_("Awaiting payment"),
    "paid": N_("Paid"),
    "payment_failed": N_("Payment failed"),
    "expired": N_("Expired"),
    "placed": N_("Placed"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
SELLER_ORDER_LABELS = {
    "pending": N_("Waiting"),
    "pre_ordered": N_("Pre-ordered"),
    "confirmed": N_("To ship"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "refused": N_("Refused at the door"),
    "cancelled": N_("Cancelled"),
}
DELIVERY_KIND_LABELS = {"pickup": N_("Pickup"), "delivery": N_("Delivery")}
# Reasons the system gives when it cancels a seller order (a person's reason is shown as written).
CANCEL_REASON_LABELS = {"not_shipped_in_time": N_("Not shipped in time")}
PAYMENT_LABELS = {
    "cod": N_("Cash on delivery"),
    "card": N_("Card"),
    "bank_transfer": N_("Bank transfer (VietQR)"),
}
PAYMENT_STATUS_LABELS = {
    "pending": N_("Pending"),
    "requires_action": N_("Your bank asks for a confirmation"),
    "processing": N_("Processing"),
    "succeeded": N_("Paid"),
    "failed": N_("Failed"),
    "expired": N_("Expired"),
    "partially_refunded": N_("Partly refunded"),
    "refunded": N_("Refunded"),
    "pending_collection": N_("To be paid on delivery"),
    "collected": N_("Collected"),
    "cancelled": N_("Cancelled"),
}
REPORT_LABELS = {
    "queued": N_("Queued"),
    "running": N_("Running"),
    "done": N_("Ready"),
    "failed": N_("Failed"),
    "sales_by_household": N_("Sales by household"),
}
LEDGER_LABELS = {
    "sale": N_("Sale"),
    "commission": N_("Commission"),
    "refund": N_("Refund"),
    "payout": N_("Payout"),
    "adjustment": N_("Adjustment"),
}
PAYOUT_LABELS = {"open": N_("Open"), "paid": N_("Paid"), "held": N_("To transfer")}

LABELS = {
    "report": REPORT_LABELS,
    "ledger": LEDGER_LABELS,
    "payout": PAYOUT_LABELS,
    "status": STATUS_LABELS,
    "scheme": SCHEME_LABELS,
    "audit": AUDIT_LABELS,
    "order": ORDER_LABELS,
    "seller_order": SELLER_ORDER_LABELS,
    "payment": PAYMENT_LABELS,
    "payment_status": PAYMENT_STATUS_LABELS,
    "delivery_kind": DELIVERY_KIND_LABELS,
    "cancel_reason": {
        **CANCEL_REASON_LABELS,
        "harvest_shortfall": N_("the harvest fell short: deposit refunded"),
    },
}


def label(kind: str, value: str) -> str:
    table = LABELS[kind]
    if kind == "cancel_reason" and value not in table:
        return value  # a reason a person wrote
    return gettext(table[value]) if value in table else value


# Messages of the services and of marshmallow that forms show next to a field.
FIELD_MESSAGES = (
    N_("Missing data for required field."),
    N_("Not a valid integer."),
    N_("Not a valid date."),
    N_("Not a valid string."),
    N_("Must not be empty."),
    N_("Must not be 0."),
    N_("Not a valid Vietnamese phone number."),
    N_("Not a Vietnamese phone number."),
    N_("Must be at least 10 characters."),
    N_("Must not be before harvest_start."),
    N_("Must not be before valid_from."),
    N_("Images must be http or https URLs."),
    N_("Already registered."),
    N_("Give an email or a phone number."),
    N_("Not a valid email address."),
    N_("Must be one of: kg, g, box, bag, bunch, piece, litre, dozen."),
    N_("A pre-order needs a harvest_start in the future."),
    N_("Required for a pre-order, and more than 0."),
    N_("Only a product sold by the kg can be priced by its weight."),
    N_(
        "A pre-order pays its deposit now: choose card or bank transfer "
        "(cash on delivery is not possible)."
    ),
    # The platform admin's forms: categories and co-ops' commissions.
    N_("Must be greater than or equal to 1 and less than or equal to 87600."),
    N_("Must be greater than or equal to 0 and less than or equal to 10000."),
    N_("Use lower-case ASCII letters, digits and '-'."),
    N_("Longer than maximum length 100."),
    N_("Longer than maximum length 200."),
    N_("Already taken."),
    N_("Give shelf_life_hours or cold_shelf_life_hours."),
    N_("Give a slug: the name has no letters or digits to make one from."),
)


# What a page says when a service refuses, by error code (the API's message is more precise
# but English; pages show it as is in English and in Vietnamese when it is translated).
CODE_MESSAGES = {
    "bad_request": N_("The request could not be understood."),
    "unauthorized": N_("Log in first."),
    "invalid_credentials": N_("The login or password is wrong."),
    "payment_declined": N_("The card was declined."),
    "forbidden": N_("You are not allowed to do this."),
    "not_found": N_("Not found."),
    "conflict": N_("This conflicts with the current state."),
    "insufficient_stock": N_("Not enough stock."),
    "invalid_transition": N_("This status change is not allowed."),
    "validation_error": N_("Some fields are invalid."),
    "rate_limited": N_("Too many requests; slow down and retry later."),
    "payment_provider_error": N_("The payment provider did not answer."),
    "payments_unavailable": N_("Card payments are not available."),
}
SERVICE_MESSAGES = (
    N_("Bank transfer is not available."),
    N_("This claim code is unknown, already used or expired."),
    N_("Only an approved household can list products."),
    N_("This certification is already verified."),
    N_("This email is already registered."),
    N_("This phone is already registered."),
)


def error_text(exc: AppError) -> str:
    """The message of a refused action in the page's language."""
    if _lang() == "en":
        return exc.message
    translated = gettext(exc.message)
    if translated != exc.message:
        return translated
    return gettext(CODE_MESSAGES.get(exc.code, N_("Something went wrong on our side.")))


def field_message(message: str) -> str:
    return gettext(message)
