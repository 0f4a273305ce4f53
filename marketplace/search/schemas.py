from marshmallow import Schema, fields, validate

from ..catalogue.schemas import ProductFilterArgs, ProductSchema

Q_MAX = 200


class SearchArgs(ProductFilterArgs):
    """What to look for, and the catalogue's own filters and pagination."""

    q = fields.String(
        validate=validate.Length(max=Q_MAX),
        metadata={"description": "Words to look for; empty or absent browses, newest first."},
    )


class SearchItemSchema(ProductSchema):
    """A search hit: its product's fields and its score."""

    score = fields.Float(required=True)

    def get_attribute(self, obj, attr, default):
        if attr == "score":
            return obj.score
        return super().get_attribute(obj.product, attr, default)


class CategoryFacetSchema(Schema):
    value = fields.String(required=True, metadata={"description": "category slug"})
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class ProvinceFacetSchema(Schema):
    value = fields.Integer(required=True, metadata={"description": "province_code"})
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class FacetsSchema(Schema):
    category = fields.List(fields.Nested(CategoryFacetSchema), required=True)
    province = fields.List(fields.Nested(ProvinceFacetSchema), required=True)


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(SearchItemSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    facets = fields.Nested(FacetsSchema, required=True)
    suggestion = fields.String(required=True, allow_none=True)
