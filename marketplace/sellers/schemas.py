from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import DESCRIPTION_MAX, REASON_MAX, Day, Phone, StrictInteger, Text, positive_id
from ..http import PageArgs
from ..money.schemas import PayoutAccountInSchema, PayoutAccountSchema

SCHEMES = ("vietgap", "globalgap", "organic", "ocop")
SELLER_STATUSES = ("draft", "submitted", "approved", "rejected", "suspended")


class CoopRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CertificationSchema(Schema):
    id = fields.Integer(required=True)
    scheme = fields.String(required=True)
    certificate_no = fields.String(required=True)
    issued_by = fields.String(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    verified = fields.Boolean(required=True)
    verified_at = fields.DateTime(allow_none=True)


class RatingSchema(Schema):
    """Visible reviews: the average rating (1–5, two decimals; null without reviews) and count."""

    average = fields.Float(allow_none=True, required=True)
    count = fields.Integer(required=True)


class SellerSchema(Schema):
    """A household; ``user_id``, ``phone`` and ``address_line`` only in the full view (owner,
    co-op admins, platform admins)."""

    id = fields.Integer(required=True)
    user_id = fields.Integer()
    display_name = fields.String(required=True)
    status = fields.String(required=True)
    coop = fields.Nested(CoopRefSchema, required=True)
    province_code = fields.Integer(required=True)
    province_name = fields.String(allow_none=True)
    ward_code = fields.Integer(required=True)
    ward_name = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    farm_area_m2 = fields.Integer(allow_none=True)
    certifications = fields.List(fields.Nested(CertificationSchema), required=True)
    rating = fields.Nested(RatingSchema, required=True)
    created_at = fields.DateTime(required=True)
    phone = fields.String()
    address_line = fields.String()
    payout_account = fields.Nested(PayoutAccountSchema, allow_none=True)


class PublicSellerSchema(SellerSchema):
    """A household as buyers see it: the certifications verified and valid today, nothing
    private."""

    class Meta:
        exclude = ("user_id", "phone", "address_line", "payout_account")

    certifications = fields.List(
        fields.Nested(CertificationSchema), required=True, attribute="current_certifications"
    )


class HouseholdFieldsSchema(Schema):
    display_name = Text(required=True)
    phone = Phone(required=True)
    province_code = StrictInteger(required=True)
    ward_code = StrictInteger(required=True)
    address_line = Text(required=True)
    description = Text(max_length=DESCRIPTION_MAX, allow_none=True)
    farm_area_m2 = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=10**9))


class SellerCreateSchema(HouseholdFieldsSchema):
    coop_id = positive_id(required=True)


class SellerUpdateSchema(Schema):
    display_name = Text()
    phone = Phone()
    province_code = StrictInteger()
    ward_code = StrictInteger()
    address_line = Text()
    description = Text(max_length=DESCRIPTION_MAX, allow_none=True)
    farm_area_m2 = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=10**9))
    payout_account = fields.Nested(PayoutAccountInSchema, allow_none=True)


class AssistedOnboardingSchema(HouseholdFieldsSchema):
    full_name = Text(required=True)


class ReasonSchema(Schema):
    reason = Text(required=True, max_length=REASON_MAX)


class CertificationCreateSchema(Schema):
    scheme = fields.String(required=True, validate=validate.OneOf(SCHEMES))
    certificate_no = Text(required=True, max_length=100)
    issued_by = Text(required=True)
    valid_from = Day(required=True)
    valid_until = Day(required=True)

    @validates_schema
    def window(self, data, **kwargs):
        if (
            data.get("valid_from")
            and data.get("valid_until")
            and data["valid_until"] < data["valid_from"]
        ):
            raise ValidationError({"valid_until": ["Must not be before valid_from."]})


class ClaimCodeSchema(Schema):
    claim_code = fields.String(required=True)
    claim_code_expires_at = fields.DateTime(required=True)


class OnboardedHouseholdSchema(ClaimCodeSchema):
    seller = fields.Nested(SellerSchema, required=True)


class SellerQueueArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(SELLER_STATUSES))
