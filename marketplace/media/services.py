"""Product photos: add (validated, re-encoded, stored) and delete, at most 10 per product.

Files are stored before the transaction commits and removed again if it rolls back
(unit_of_work.after_rollback); a deleted photo's files go once the deletion has committed.
"""

from __future__ import annotations

from typing import IO

from sqlalchemy import func, select, update

from .. import unit_of_work
from ..auth.models import User
from ..catalogue.models import Product
from ..catalogue.services import TRANSITIONS as PRODUCT_TRANSITIONS
from ..errors import Forbidden, InvalidTransition, NotFound, PayloadTooLarge, ValidationError
from ..extensions import db
from . import images, storage
from .models import MAX_PHOTOS, ProductImage

MAX_PHOTO_BYTES = 8 * 1024 * 1024
# The multipart envelope around the file (boundaries, headers, a CSRF token on the page).
MAX_UPLOAD_BODY = MAX_PHOTO_BYTES + 64 * 1024


def _own_product(user: User, product: Product) -> None:
    if product.seller.user_id != user.id:
        raise Forbidden("Only the household that lists this product can change its photos.")
    if product.status == "archived":
        raise InvalidTransition("An archived product's photos cannot change.")


def read_upload(stream: IO[bytes] | None) -> bytes:
    """The uploaded file's bytes, at most 8 MB (413 beyond)."""
    if stream is None:
        raise ValidationError(details={"file": ["Send the photo as the multipart field 'file'."]})
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLarge("A photo is at most 8 MB.")
    if not data:
        raise ValidationError(details={"file": ["The file is empty."]})
    return data


def add_photo(user: User, product: Product, stream: IO[bytes] | None) -> ProductImage:
    """Add a photo at the end of the product's list. Like an edit of its images, it sends an
    active listing back to the co-op's review."""
    _own_product(user, product)
    # The product row is locked, so two uploads cannot both take the tenth place.
    db.session.execute(select(Product.id).where(Product.id == product.id).with_for_update())
    count, last = db.session.execute(
        select(func.count(ProductImage.id), func.max(ProductImage.position)).where(
            ProductImage.product_id == product.id
        )
    ).one()
    if count >= MAX_PHOTOS:
        raise ValidationError(details={"file": [f"A product has at most {MAX_PHOTOS} photos."]})
    large, small = images.renditions(read_upload(stream))
    photo = ProductImage(
        product_id=product.id,
        position=(last or 0) + 1,
        key="",
        thumbnail_key="",
        width=large.width,
        height=large.height,
        thumbnail_width=small.width,
    )
    db.session.add(photo)
    db.session.flush()  # the id names the files
    photo.key = _store(f"p{product.id}/{photo.id}-{large.digest[:20]}.jpg", large)
    photo.thumbnail_key = _store(f"p{product.id}/{photo.id}-{small.digest[:20]}-t.jpg", small)
    if (product.status, "edit") in PRODUCT_TRANSITIONS:
        product.status = PRODUCT_TRANSITIONS[(product.status, "edit")]
    product.updated_at = photo.created_at
    db.session.flush()
    db.session.expire(product, ["photos"])
    return photo


def _store(key: str, rendition: images.Rendition) -> str:
    media = storage.store()
    media.put(key, rendition.data, rendition.content_type)
    unit_of_work.after_rollback(lambda: media.delete(key))
    return key


def delete_photo(user: User, product: Product, photo_id: int) -> None:
    """Remove a photo; the ones after it move up one place."""
    _own_product(user, product)
    photo = db.session.scalar(
        select(ProductImage)
        .where(ProductImage.id == photo_id, ProductImage.product_id == product.id)
        .with_for_update()
    )
    if photo is None:
        raise NotFound("No such photo of this product.")
    keys, position = (photo.key, photo.thumbnail_key), photo.position
    db.session.delete(photo)
    db.session.flush()
    # One row at a time in position order, so (product_id, position) stays unique throughout.
    later = db.session.scalars(
        select(ProductImage.id)
        .where(ProductImage.product_id == product.id, ProductImage.position > position)
        .order_by(ProductImage.position)
    ).all()
    for photo_id_after in later:
        db.session.execute(
            update(ProductImage)
            .where(ProductImage.id == photo_id_after)
            .values(position=ProductImage.position - 1),
            execution_options={"synchronize_session": False},
        )
    product.updated_at = photo.created_at.now(photo.created_at.tzinfo)
    db.session.flush()
    db.session.expire(product, ["photos"])
    media = storage.store()
    unit_of_work.after_commit(lambda: [media.delete(key) for key in keys])
