"""POST/DELETE /products/{id}/images, and GET /media/<key> (the stored files, cached for a year)."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth.access import login_required, require_user
from ..catalogue.services import get_product_for
from ..errors import NotFound, PayloadTooLarge
from ..http import Blueprint
from . import services, storage
from .schemas import PhotoSchema, PhotoUploadSchema

blp = Blueprint("media", __name__, url_prefix="/api/v1", description="Product photos")
files_blp = Blueprint("media_files", __name__, description="Stored photo files")

UPLOAD_ENDPOINTS = {"media.upload_photo", "web.upload_photo"}


def allow_photo_bodies() -> None:
    """The photo upload endpoints take bodies up to 8 MB; every other one keeps 1 MiB."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = services.MAX_UPLOAD_BODY


def uploaded_file():
    """The multipart field ``file`` (None when absent); a body over the limit → 413."""
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge("A photo is at most 8 MB.") from exc
    return upload.stream if upload is not None else None


def init_app(app: Flask) -> None:
    storage.init_app(app)
    app.before_request(allow_photo_bodies)


@blp.route("/products/<int:product_id>/images", methods=["POST"])
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": PhotoUploadSchema}}})
@blp.response(201, PhotoSchema)
@blp.errors(401, 403, 404, 409, 413, 422)
@login_required
def upload_photo(product_id):
    """Add a photo (its household): JPEG, PNG or WebP up to 8 MB in the multipart field `file`,
    stored without metadata at 1200 and 400 px wide; at most 10 per product."""
    user = require_user()
    product = get_product_for(user, product_id)
    return services.add_photo(user, product, uploaded_file())


@blp.route("/products/<int:product_id>/images/<int:image_id>", methods=["DELETE"])
@blp.response(204)
@blp.errors(401, 403, 404, 409)
@login_required
def delete_photo(product_id, image_id):
    """Remove a photo (its household); the ones after it move up."""
    user = require_user()
    services.delete_photo(user, get_product_for(user, product_id), image_id)


@files_blp.route("/media/<path:key>", methods=["GET"])
@files_blp.doc(responses={"200": {"description": "The photo", "content": {"image/jpeg": {}}}})
@files_blp.errors(404)
def serve(key):
    """A stored photo file; its name carries its content's hash, so it is cached for a year."""
    data = storage.store().get(key) if storage.valid_key(key) else None
    if data is None:
        raise NotFound("No such file.")
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = storage.CACHE_FOREVER
    return response
