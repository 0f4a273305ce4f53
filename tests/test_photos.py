"""Product photos: a household uploads phone photos; they are stored re-encoded without any
metadata in two widths, served with long cache headers, listed on the product in order; bad
files are refused and leave nothing behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace import unit_of_work
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.media import services as media
from marketplace.media.models import ProductImage
from tests.conftest import recorded_statements
from tests.factories import build_world, new_product
from tests.media_helpers import (
    GPS_IFD,
    MAKE,
    MODEL,
    files_in,
    phone_photo,
    png_bomb,
    tiny_png,
    transparent_png,
    upload,
)


@pytest.fixture
def media_dir(tmp_path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def app_config(app_config, media_dir):
    return {**app_config, "MEDIA_DIR": str(media_dir)}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


@pytest.fixture
def product(world):
    return new_product(world.household, world.coop_admin)


def photo_rows(app, product_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(ProductImage.id)).where(ProductImage.product_id == product_id)
        )


def fetch_image(api, url: str) -> tuple[Image.Image, object]:
    r = api.client.get(url)
    assert r.status_code == 200
    return Image.open(io.BytesIO(r.data)), r


def test_phone_photo_is_stored_in_two_widths_without_gps_or_camera(app, api, world, product):
    original = phone_photo(1600, 1200)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the phone wrote GPS

    r = upload(world.household, product["id"], original)

    assert r.status_code == 201, r.get_json()
    photo = r.get_json()
    assert set(photo) == {"id", "url", "thumbnail_url", "position"}
    assert photo["position"] == 1
    for url, width, height in ((photo["url"], 1200, 900), (photo["thumbnail_url"], 400, 300)):
        image, response = fetch_image(api, url)
        assert image.format == "JPEG" and image.size == (width, height)
        exif = image.getexif()
        assert not exif.get_ifd(GPS_IFD) and MAKE not in exif and MODEL not in exif
        assert b"Samsung" not in response.data and b"Galaxy" not in response.data
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=31536000" in response.headers["Cache-Control"]
    shown = world.household.api.get(f"/products/{product['id']}").get_json()
    assert shown["images"] == [photo["url"]]
    assert shown["photos"] == [photo]
    # Like any edit of its images, a new photo sends the listing back to the co-op's review.
    assert shown["status"] == "pending_review"


def test_narrow_transparent_png_is_not_enlarged(app, api, world, product):
    r = upload(world.household, product["id"], transparent_png(300, 200), "logo.png", "image/png")

    assert r.status_code == 201, r.get_json()
    for url in (r.get_json()["url"], r.get_json()["thumbnail_url"]):
        image, _ = fetch_image(api, url)
        assert image.size == (300, 200) and image.mode == "RGB"


def test_photos_are_listed_in_order_and_close_up_after_a_delete(
    app, api, world, product, media_dir
):
    ids = []
    for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
        r = upload(world.household, product["id"], tiny_png(colour), "a.png", "image/png")
        assert r.status_code == 201
        ids.append(r.get_json()["id"])
    first_files = files_in(media_dir)
    assert len(first_files) == 6

    r = world.household.api.delete(f"/products/{product['id']}/images/{ids[0]}")

    assert r.status_code == 204
    shown = world.household.api.get(f"/products/{product['id']}").get_json()
    assert [(p["id"], p["position"]) for p in shown["photos"]] == [(ids[1], 1), (ids[2], 2)]
    assert len(files_in(media_dir)) == 4
    assert api.client.get(f"/media/{first_files[0]}").status_code in (200, 404)
    assert (
        world.household.api.delete(f"/products/{product['id']}/images/{ids[0]}").status_code == 404
    )


def test_urls_given_with_the_listing_follow_the_uploaded_photos(app, api, world):
    product = new_product(
        world.household, world.coop_admin, images=["https://example.vn/vai-thieu.jpg"]
    )
    r = upload(world.household, product["id"], tiny_png(), "a.png", "image/png")
    assert r.status_code == 201
    shown = world.household.api.get(f"/products/{product['id']}").get_json()
    assert shown["images"] == [r.get_json()["url"], "https://example.vn/vai-thieu.jpg"]


@pytest.mark.parametrize(
    "data, name, ctype, status",
    [
        (b"%PDF-1.7 not a photo at all", "photo.jpg", "image/jpeg", 422),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "photo.png", "image/png", 422),
        (b"GIF89a" + b"\x00" * 100, "photo.webp", "image/webp", 422),
        (phone_photo(200, 150)[:300], "cut.jpg", "image/jpeg", 422),  # truncated
        (png_bomb(), "bomb.png", "image/png", 422),
        (png_bomb(12_001), "tall.png", "image/png", 422),
        (b"\xff\xd8\xff" + b"\x00" * (8 * 1024 * 1024), "huge.jpg", "image/jpeg", 413),
    ],
    ids=["pdf", "svg", "gif", "truncated", "bomb", "too-wide", "over-8MB"],
)
def test_bad_files_are_refused_and_leave_nothing(
    app, api, world, product, media_dir, data, name, ctype, status
):
    r = upload(world.household, product["id"], data, name, ctype)

    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"]["code"] in ("validation_error", "payload_too_large")
    assert files_in(media_dir) == []
    assert photo_rows(app, product["id"]) == 0


def test_a_missing_file_field_is_422(app, api, world, product):
    r = world.household.api.post(f"/products/{product['id']}/images", {"file": "x"})
    assert r.status_code == 422
    assert "file" in r.get_json()["error"]["details"]


def test_json_bodies_keep_their_one_mib_limit(app, api, world):
    r = world.household.api.post("/products", {"name": "x" * (1024 * 1024 + 10)})
    assert r.status_code == 413


def test_the_eleventh_photo_is_refused(app, api, world, product, media_dir):
    for i in range(10):
        r = upload(world.household, product["id"], tiny_png((i, i, i)), "a.png", "image/png")
        assert r.status_code == 201, r.get_json()
    r = upload(world.household, product["id"], tiny_png(), "a.png", "image/png")

    assert r.status_code == 422
    assert photo_rows(app, product["id"]) == 10
    assert len(files_in(media_dir)) == 20


def test_only_the_household_changes_its_photos(app, api, world, product, media_dir):
    r = upload(world.household, product["id"], tiny_png(), "a.png", "image/png")
    photo_id = r.get_json()["id"]
    # Back in review after the upload: strangers no longer see it (404); its co-op does (403).
    for stranger, status in (
        (world.other_household, 404),
        (world.buyer, 404),
        (world.coop_admin, 403),
    ):
        assert (
            upload(stranger, product["id"], tiny_png(), "a.png", "image/png").status_code == status
        )
        r = stranger.api.delete(f"/products/{product['id']}/images/{photo_id}")
        assert r.status_code == status
    anonymous = api.call(
        "POST",
        f"/products/{product['id']}/images",
        data={"file": (io.BytesIO(tiny_png()), "a.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert anonymous.status_code == 401
    assert photo_rows(app, product["id"]) == 1
    assert len(files_in(media_dir)) == 2


def test_files_stored_by_a_request_that_fails_later_are_removed(app, world, product, media_dir):
    with app.test_request_context(), pytest.raises(RuntimeError), unit_of_work.transaction():
        owner = db.session.get(Product, product["id"]).seller.user
        media.add_photo(owner, db.session.get(Product, product["id"]), io.BytesIO(tiny_png()))
        assert len(files_in(media_dir)) == 2
        raise RuntimeError("something after the upload failed")
    assert files_in(media_dir) == []
    assert photo_rows(app, product["id"]) == 0


def test_unknown_media_keys_are_404_in_the_error_shape(app, api):
    for path in ("/media/p1/nothing.jpg", "/media/../../etc/passwd", "/media/p1/%2e%2e/x.jpg"):
        r = api.client.get(path)
        assert r.status_code == 404


def test_a_product_page_with_photos_is_one_statement(app, api, world, product):
    """GET /products/{id} reads the product, its household, co-op, certifications and photos in
    one SQL statement (the response cache is not involved: it serves lists and searches)."""
    for _ in range(2):
        assert (
            upload(world.household, product["id"], tiny_png(), "a.png", "image/png").status_code
            == 201
        )
    with recorded_statements(app) as statements:
        r = world.household.api.get(f"/products/{product['id']}")
    assert r.status_code == 200 and len(r.get_json()["photos"]) == 2
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # one for the product and its photos (the bearer token's is the other read)
    assert len([s for s in reads if "product" in s]) == 1, reads
