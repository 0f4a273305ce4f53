from marshmallow import Schema, fields


class PhotoSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    thumbnail_url = fields.String(required=True)
    position = fields.Integer(required=True)


class PhotoUploadSchema(Schema):
    """Documents the multipart body (the route reads the file itself, after authorising)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
