"""The household's photos and harvest lots on its dashboard: upload and remove photos of a
listing, record lots, and print a sheet of QR labels for the crates of a lot."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import NotFound, PayloadTooLarge
from ..http import paginate
from ..lots import labels
from ..lots import services as lots
from ..lots.schemas import LotCreateSchema
from ..media import services as media
from .actions import perform
from .blueprint import bp
from .forms import ascii_int, load_form
from .household import my_household, my_product
from .session import login_required, page_user

MAX_LABELS = 60


@bp.route("/dashboard/products/<int:product_id>/photos", methods=["POST"])
@login_required
def upload_photo(product_id: int):
    """Add a photo from the phone (the edit page's upload form)."""
    user, _seller = my_household()
    product = my_product(user, product_id)
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge("A photo is at most 8 MB.") from exc
    perform(
        lambda: media.add_photo(user, product, upload.stream if upload else None),
        gettext("Photo added. Changed listings are reviewed by the co-op again."),
    )
    return redirect(url_for("web.edit_product", product_id=product.id, _anchor="photos"))


@bp.route("/dashboard/products/<int:product_id>/photos/<int:image_id>/delete", methods=["POST"])
@login_required
def delete_photo(product_id: int, image_id: int):
    user, _seller = my_household()
    product = my_product(user, product_id)
    perform(lambda: media.delete_photo(user, product, image_id), gettext("Photo removed."))
    return redirect(url_for("web.edit_product", product_id=product.id, _anchor="photos"))


@bp.route("/dashboard/products/<int:product_id>/lots", methods=["GET", "POST"])
@login_required
def product_lots(product_id: int):
    """A listing's harvest lots, newest first, and the form to record one."""
    user, seller = my_household()
    product = my_product(user, product_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = load_form(LotCreateSchema(), request.form)
        if data is not None and perform(
            lambda: lots.create_lot(user, product, data), gettext("Lot recorded.")
        ):
            return redirect(url_for("web.product_lots", product_id=product.id))
    result = paginate(lots.lots_of_product(product.id), 1, 100)
    certs = [c for c in seller.certifications if c.verified_at is not None]
    return render_template(
        "web/lots.html",
        product=product,
        lots=result["items"],
        certifications=certs,
        form=request.form,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/dashboard/lots/<code>/labels")
@login_required
def lot_labels(code: str):
    """A printable sheet of crate labels: QR code of the trace page, lot code, product, harvest."""
    lot = lots.get_lot(code)  # 404 for a code that names no lot, whoever asks
    seller = page_user().seller
    if seller is None or lot.seller_id != seller.id:
        raise NotFound("No such lot.")
    count = ascii_int(request.args.get("count", "12"), 3)
    count = min(count, MAX_LABELS) if count else 12
    qr = Markup(labels.qr_svg(lots.trace_url(lot), scale=3, xmldecl=False).decode())
    return render_template(
        "web/lot_labels.html", lot=lot, qr=qr, count=count, trace_url=lots.trace_url(lot)
    )
