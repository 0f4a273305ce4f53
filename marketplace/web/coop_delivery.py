"""The co-op console's delivery methods: list, add, edit, deactivate (through the API's schemas
and services)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError

from ..delivery import services as delivery
from ..delivery.models import DeliveryMethod
from ..delivery.schemas import DeliveryMethodCreateSchema, DeliveryMethodUpdateSchema
from ..errors import ValidationError
from ..extensions import db
from ..places import all_provinces, wards_of
from .actions import perform
from .blueprint import bp
from .coop_console import moderated_coop
from .forms import service_errors
from .session import login_required

_NUMBERS = ("base_fee_vnd", "per_kg_fee_vnd", "free_over_vnd", "lead_time_hours")


def _number(text: str) -> Any:
    compact = text.strip().replace(".", "").replace(" ", "")
    digits = compact.lstrip("-")
    return int(compact) if digits.isascii() and digits.isdigit() and len(compact) < 16 else text


def _body(form) -> dict[str, Any]:
    """The API body a delivery-method form stands for."""
    body: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "name": form.get("name", ""),
        "cold_chain": form.get("cold_chain") == "on",
        "provinces": [_number(code) for code in form.getlist("provinces")],
    }
    for name in _NUMBERS:
        text = form.get(name, "")
        if text.strip():
            body[name] = _number(text)
        elif name == "free_over_vnd":
            body[name] = None
    if body["kind"] == "pickup":
        body["pickup_address"] = {
            "province_code": _number(form.get("pickup_province_code", "")),
            "ward_code": _number(form.get("pickup_ward_code", "")),
            "address_line": form.get("address_line", ""),
            "opening_hours": form.get("opening_hours", ""),
        }
        body["provinces"] = []
    else:
        body["pickup_address"] = None
    return body


def _errors(messages: Any) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for name, value in (messages or {}).items():
        if isinstance(value, dict):
            for sub, sub_messages in value.items():
                key = f"pickup_{sub}" if str(sub) in ("province_code", "ward_code") else str(sub)
                if name == "provinces":
                    key = "provinces"
                items = sub_messages if isinstance(sub_messages, list) else [sub_messages]
                flat.setdefault(key, []).extend(str(m) for m in items)
        else:
            flat[name] = [str(m) for m in value] if isinstance(value, list) else [str(value)]
    return flat


def _form_of(method: DeliveryMethod) -> dict[str, Any]:
    address = method.pickup_address or {}
    return {
        "kind": method.kind,
        "name": method.name,
        "cold_chain": "on" if method.cold_chain else "",
        "provinces": [str(code) for code in method.provinces or []],
        "base_fee_vnd": method.base_fee_vnd,
        "per_kg_fee_vnd": method.per_kg_fee_vnd,
        "free_over_vnd": method.free_over_vnd,
        "lead_time_hours": method.lead_time_hours,
        "pickup_province_code": address.get("province_code"),
        "pickup_ward_code": address.get("ward_code"),
        "address_line": address.get("address_line"),
        "opening_hours": address.get("opening_hours"),
    }


def _save(schema: Schema, form, save) -> dict[str, list[str]]:
    """Load the form with the API's schema and run ``save(data)``; field errors or {}."""
    try:
        data = schema.load(_body(form))
        save(data)
    except SchemaError as exc:
        return _errors(exc.messages) or {"_schema": [gettext("Some fields are invalid.")]}
    except ValidationError as exc:
        db.session.rollback()
        return _errors(service_errors(exc)) or {"_schema": [exc.message]}
    return {}


def _page(coop, form, errors, method=None):
    province = form.get("pickup_province_code") or coop.province_code
    try:
        province = int(province)
    except (TypeError, ValueError):
        province = coop.province_code
    selected = form.get("provinces") or []
    if not isinstance(selected, list):
        selected = request.form.getlist("provinces")
    return render_template(
        "web/coop_delivery.html",
        coop=coop,
        methods=delivery.all_methods(coop.id),
        method=method,
        form=form,
        selected_provinces={str(code) for code in selected},
        errors=errors,
        provinces=all_provinces(),
        wards=wards_of(province),
    ), (422 if errors else 200)


@bp.route("/coop/<int:coop_id>/delivery", methods=["GET", "POST"])
@login_required
def coop_delivery(coop_id: int):
    """The co-op's delivery methods, and a form to add one."""
    user, coop = moderated_coop(coop_id)
    form: Any = {"kind": "delivery", "pickup_province_code": coop.province_code}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        if not request.form.get("refresh"):
            errors = _save(
                DeliveryMethodCreateSchema(),
                request.form,
                lambda data: delivery.create_method(user, coop, data),
            )
            if not errors:
                flash(gettext("Delivery method added."), "success")
                return redirect(url_for("web.coop_delivery", coop_id=coop.id))
    return _page(coop, form, errors)


@bp.route("/coop/<int:coop_id>/delivery/<int:method_id>", methods=["GET", "POST"])
@login_required
def coop_delivery_method(coop_id: int, method_id: int):
    """Edit one delivery method (orders placed before keep their fee)."""
    user, coop = moderated_coop(coop_id)
    method = delivery.get_method_for(user, coop, method_id)
    form: Any = _form_of(method)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        if not request.form.get("refresh"):
            errors = _save(
                DeliveryMethodUpdateSchema(),
                request.form,
                lambda data: delivery.update_method(method, data),
            )
            if not errors:
                flash(gettext("Delivery method saved."), "success")
                return redirect(url_for("web.coop_delivery", coop_id=coop.id))
    return _page(coop, form, errors, method)


@bp.route("/coop/<int:coop_id>/delivery/<int:method_id>/deactivate", methods=["POST"])
@login_required
def deactivate_delivery_method(coop_id: int, method_id: int):
    """Stop offering a method; orders that used it keep it."""
    user, coop = moderated_coop(coop_id)
    method = delivery.get_method_for(user, coop, method_id)
    perform(
        lambda: delivery.deactivate_method(method),
        gettext("%(name)s is no longer offered.", name=method.name),
    )
    return redirect(url_for("web.coop_delivery", coop_id=coop.id))
