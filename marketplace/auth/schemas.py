from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import Phone, StrictInteger, Text


class UserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    full_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    coop_ids = fields.List(fields.Integer(), required=True)
    seller_id = fields.Integer(allow_none=True)
    locale = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class UserUpdateSchema(Schema):
    locale = fields.String(required=True, validate=validate.OneOf(("vi", "en")))


class RegisterSchema(Schema):
    email = fields.Email(validate=validate.Length(max=254), allow_none=True)
    phone = Phone(allow_none=True)
    password = fields.String(required=True, validate=validate.Length(max=1024))
    full_name = Text(required=True)

    @validates_schema
    def one_contact(self, data, **kwargs):
        if not data.get("email") and not data.get("phone"):
            message = "Give an email or a phone number."
            raise ValidationError({"email": [message], "phone": [message]})


class LoginSchema(Schema):
    login = Text(required=True, max_length=254)
    password = fields.String(required=True, validate=validate.Length(max=1024))


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class ClaimSchema(Schema):
    code = Text(required=True, max_length=64)
    password = fields.String(required=True, validate=validate.Length(max=1024))


class AdminUserIdSchema(Schema):
    user_id = StrictInteger(required=True)
