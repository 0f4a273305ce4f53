from urllib.parse import urlparse

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ..fields import DESCRIPTION_MAX, REASON_MAX, Day, StrictInteger, Text, money, positive_id
from ..http import PageArgs
from ..media.schemas import PhotoSchema
from ..sellers.schemas import CoopRefSchema, RatingSchema
from .models import PRODUCT_STATUSES, SALE_MODES, UNIT_WEIGHTS_G, UNITS

MAX_IMAGES = 10
MAX_SHELF_LIFE_HOURS = 87_600  # ten years
MAX_UNIT_WEIGHT_G = 1_000_000  # a tonne


def shelf_life(**kwargs) -> StrictInteger:
    """Hours a product keeps, 1 … ten years."""
    return StrictInteger(validate=validate.Range(min=1, max=MAX_SHELF_LIFE_HOURS), **kwargs)


SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case ASCII letters, digits and '-'."
)


class CategoryRefSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)


class CategoryNodeSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    parent_slug = fields.String(allow_none=True)
    shelf_life_hours = fields.Integer(allow_none=True)
    cold_shelf_life_hours = fields.Integer(allow_none=True)
    children = fields.List(fields.Nested(lambda: CategoryNodeSchema()), required=True)


class CategoryTreeSchema(Schema):
    items = fields.List(fields.Nested(CategoryNodeSchema), required=True)


class CategoryCreateSchema(Schema):
    name = Text(required=True)
    slug = fields.String(validate=[validate.Length(min=1, max=100), SLUG])
    parent_slug = fields.String(allow_none=True, validate=validate.Length(max=100))
    shelf_life_hours = shelf_life(allow_none=True)
    cold_shelf_life_hours = shelf_life(allow_none=True)


class CategoryUpdateSchema(Schema):
    """PATCH /categories/{id}: its shelf lives (hours; null: not known). Fields left out keep
    their value; a cold shelf life shorter than the ambient one is refused (service)."""

    shelf_life_hours = shelf_life(allow_none=True)
    cold_shelf_life_hours = shelf_life(allow_none=True)

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError(
                "Give shelf_life_hours or cold_shelf_life_hours.", field_name="_schema"
            )


class OriginSchema(Schema):
    province_code = fields.Integer(required=True)
    province_name = fields.String(allow_none=True)
    area = fields.String(allow_none=True)


class SellerRefSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


class ShownCertificationSchema(Schema):
    scheme = fields.String(required=True)
    certificate_no = fields.String(required=True)
    valid_until = fields.Date(required=True)


class ProductSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.Nested(CategoryRefSchema, required=True)
    unit = fields.String(required=True)
    unit_price_vnd = fields.Integer(required=True)
    stock_quantity = fields.Integer(required=True)
    min_order_quantity = fields.Integer(required=True)
    harvest_start = fields.Date(allow_none=True)
    harvest_end = fields.Date(allow_none=True)
    in_season = fields.Boolean(required=True)
    origin = fields.Nested(OriginSchema, required=True)
    seller = fields.Nested(SellerRefSchema, required=True)
    coop = fields.Nested(CoopRefSchema, required=True)
    certifications = fields.List(
        fields.Nested(ShownCertificationSchema), required=True, attribute="shown_certifications"
    )
    status = fields.String(required=True)
    images = fields.List(fields.String(), required=True, attribute="image_urls")
    unit_weight_g = fields.Integer(required=True)
    shelf_life_hours = fields.Integer(allow_none=True)
    sale_mode = fields.String(required=True)
    expected_quantity = fields.Integer(allow_none=True)
    pre_order_cap_pct = fields.Integer(required=True)
    deposit_pct = fields.Integer(required=True)
    harvested_quantity = fields.Integer(allow_none=True)
    harvested_at = fields.DateTime(allow_none=True)
    catch_weight = fields.Boolean(required=True)
    photos = fields.List(fields.Nested(PhotoSchema), required=True)
    rating = fields.Nested(RatingSchema, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


def _check_image(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError("Images must be http or https URLs.")


class ImageUrl(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        url = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(url) > 2000:
            raise ValidationError("Image URLs are at most 2000 characters.")
        _check_image(url)
        return url


class ProductFieldsSchema(Schema):
    """Fields a household sets on a listing (POST requires the required ones; PATCH any subset)."""

    name = Text(required=True)
    description = Text(required=True, max_length=DESCRIPTION_MAX)
    category_slug = fields.String(required=True, validate=validate.Length(min=1, max=100))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    unit_price_vnd = money(required=True)
    # required for in_stock products; a pre-order's stock is its allowance (catalogue/sale_mode.py)
    stock_quantity = StrictInteger(validate=validate.Range(min=0, max=10**9))
    min_order_quantity = StrictInteger(validate=validate.Range(min=1, max=10**6))
    harvest_start = Day(allow_none=True)
    harvest_end = Day(allow_none=True)
    origin_province_code = StrictInteger(required=True)
    origin_area = Text(allow_none=True)
    images = fields.List(ImageUrl(), validate=validate.Length(max=MAX_IMAGES))
    unit_weight_g = StrictInteger(validate=validate.Range(min=1, max=MAX_UNIT_WEIGHT_G))
    # null: its category's shelf life
    shelf_life_hours = shelf_life(allow_none=True)
    sale_mode = fields.String(validate=validate.OneOf(SALE_MODES))
    expected_quantity = StrictInteger(validate=validate.Range(min=1, max=10**9))
    pre_order_cap_pct = StrictInteger(validate=validate.Range(min=1, max=100))
    deposit_pct = StrictInteger(validate=validate.Range(min=1, max=100))
    catch_weight = fields.Boolean()

    @validates_schema
    def harvest_window(self, data, **kwargs):
        start, end = data.get("harvest_start"), data.get("harvest_end")
        if start and end and end < start:
            raise ValidationError({"harvest_end": ["Must not be before harvest_start."]})


class ProductCreateSchema(ProductFieldsSchema):
    @validates_schema
    def weight_of_counted_units(self, data, **kwargs):
        """kg, g and litre weigh what they say; a box, bag, bunch, piece or dozen needs its weight."""
        if data.get("unit") not in UNIT_WEIGHTS_G and "unit_weight_g" not in data:
            raise ValidationError(
                {"unit_weight_g": ["Required for this unit: how many grams one unit weighs."]}
            )

    @validates_schema
    def stock_unless_pre_order(self, data, **kwargs):
        if data.get("sale_mode") != "pre_order" and "stock_quantity" not in data:
            raise ValidationError({"stock_quantity": ["Missing data for required field."]})


class ProductUpdateSchema(ProductFieldsSchema):
    """Any subset. A new stock_quantity is kept as a stock movement of the difference
    (POST …/stock-adjustments says why; PATCH just states the count)."""

    def on_bind_field(self, field_name, field_obj):
        field_obj.required = False


class StockAdjustmentSchema(Schema):
    delta = StrictInteger(required=True, validate=validate.Range(min=-(10**9), max=10**9))
    reason = Text(required=True, max_length=REASON_MAX)

    @validates("delta")
    def not_zero(self, value, **kwargs):
        if value == 0:
            raise ValidationError("Must not be 0.")


class ActorRefSchema(Schema):
    id = fields.Integer(required=True)
    full_name = fields.String(required=True)


class StockMovementSchema(Schema):
    id = fields.Integer(required=True)
    delta = fields.Integer(required=True)
    reason = fields.String(required=True)
    resulting_quantity = fields.Integer(required=True)
    actor = fields.Nested(ActorRefSchema, allow_none=True)
    order_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)


SORTS = ("newest", "price", "-price", "name")


class ProductFilterArgs(PageArgs):
    """The catalogue's filters (also used by GET /search)."""

    category = fields.String(validate=validate.Length(max=100))
    # bounded so that no number reaches the database as an integer overflow (500)
    province_code = StrictInteger(from_text=True, validate=validate.Range(min=0, max=2**31 - 1))
    coop_id = positive_id(from_text=True)
    seller_id = positive_id(from_text=True)
    min_price = StrictInteger(from_text=True, validate=validate.Range(min=0, max=10**12))
    max_price = StrictInteger(from_text=True, validate=validate.Range(min=0, max=10**12))
    in_season = fields.Boolean()
    in_stock = fields.Boolean()


class ProductListArgs(ProductFilterArgs):
    sort = fields.String(load_default="newest", validate=validate.OneOf(SORTS))


class ProductStatusArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES))
