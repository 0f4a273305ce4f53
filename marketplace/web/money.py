"""Money pages: the household's balance, ledger and bank account; the co-op's cash on delivery
still owed; the platform admin's payout batches with a VietQR code per household."""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup

from ..http import paginate
from ..money import services as money
from ..money.banks import NAPAS_BANKS
from ..money.schemas import MarkPaidSchema, PayoutAccountInSchema
from ..sellers import services as sellers
from .actions import perform
from .admin import platform_admin
from .blueprint import bp
from .coop_console import moderated_coop
from .forms import load_form
from .household import my_household
from .session import login_required
from .storefront import page_number

PER_PAGE = 50


@bp.route("/dashboard/money", methods=["GET", "POST"])
@login_required
def household_money():
    """My balance (pending, available, paid out), my ledger, and where payouts go."""
    user, seller = my_household()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = load_form(PayoutAccountInSchema(), request.form)
        if data is not None:
            perform(
                lambda: sellers.update_seller(seller, {"payout_account": data}),
                gettext("Your bank account for payouts is saved."),
            )
            return redirect(url_for("web.household_money"))
    ledger = paginate(money.ledger_of(user, seller.id), page_number(), PER_PAGE)
    return render_template(
        "web/household_money.html",
        seller=seller,
        balance=money.balance_of(user, seller.id),
        ledger=ledger,
        banks=NAPAS_BANKS,
        form=request.form if request.method == "POST" else (seller.payout_account or {}),
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/coop/<int:coop_id>/cod")
@login_required
def coop_cod(coop_id: int):
    """Cash on delivery the co-op collected and still owes the platform."""
    user, coop = moderated_coop(coop_id)
    return render_template(
        "web/coop_cod.html", coop=coop, owed=money.cod_outstanding(user, coop.id)
    )


def qr_svg(payload: str) -> Markup:
    """A VietQR payload as an inline SVG (scannable from the screen)."""
    return Markup(segno.make(payload, error="m").svg_inline(scale=3, dark="#111", light="#fff"))


@bp.route("/admin/payouts", methods=["GET", "POST"])
@login_required
def payouts():
    """Payout batches; a new batch holds every available balance of households with an account."""
    user = platform_admin()
    if request.method == "POST":
        batches = []
        done = perform(
            lambda: batches.append(money.create_batch(user)), gettext("A payout batch is ready.")
        )
        if done:
            return redirect(url_for("web.payout_batch", batch_id=batches[0].id))
        return redirect(url_for("web.payouts"))
    result = paginate(money.list_batches(user), page_number(), PER_PAGE)
    return render_template("web/payouts.html", result=result)


@bp.route("/admin/payouts/<int:batch_id>")
@login_required
def payout_batch(batch_id: int):
    """A batch: each household's transfer with its VietQR code to scan, and "paid" buttons."""
    user = platform_admin()
    return render_template(
        "web/payout_batch.html", batch=money.get_batch(user, batch_id), qr=qr_svg, banks=NAPAS_BANKS
    )


@bp.route("/admin/payouts/<int:batch_id>/items/<int:item_id>/paid", methods=["POST"])
@login_required
def payout_item_paid(batch_id: int, item_id: int):
    user = platform_admin()
    data, _errors = load_form(MarkPaidSchema(), request.form)
    if data is None:
        flash(gettext("Give the bank's transfer reference."), "error")
    else:
        perform(
            lambda: money.mark_paid(user, batch_id, item_id, data["reference"]),
            gettext("The transfer is recorded in the household's ledger."),
        )
    return redirect(url_for("web.payout_batch", batch_id=batch_id, _anchor=f"item-{item_id}"))
