"""Photos kept in an S3-compatible bucket (MEDIA_S3_URL) — against a real local S3 server (moto in
server mode on 127.0.0.1), through boto3 like production."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from marketplace.media.storage import parse_s3_url
from tests.factories import build_world, new_product
from tests.media_helpers import GPS_IFD, phone_photo, tiny_png, upload

KEY, SECRET = "media-test", "media-test-secret"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint) -> Iterator[str]:
    name = f"photos-{uuid.uuid4().hex[:10]}"
    client = _client(s3_endpoint)
    client.create_bucket(Bucket=name)
    yield name


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )


def _objects(endpoint: str, bucket: str) -> list[str]:
    answer = _client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in answer.get("Contents", []))


@pytest.fixture
def app_config(app_config, s3_endpoint, bucket, tmp_path):
    return {
        **app_config,
        "MEDIA_DIR": str(tmp_path / "unused-media"),
        "MEDIA_S3_URL": f"s3://{KEY}:{SECRET}@{bucket}/shop?endpoint_url={s3_endpoint}",
    }


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def test_photos_go_to_the_bucket_and_are_served_from_it(
    app, api, world, s3_endpoint, bucket, tmp_path
):
    product = new_product(world.household, world.coop_admin)

    r = upload(world.household, product["id"], phone_photo(1300, 975))

    assert r.status_code == 201, r.get_json()
    photo = r.get_json()
    stored = _objects(s3_endpoint, bucket)
    assert len(stored) == 2 and all(k.startswith("shop/p") for k in stored)
    head = _client(s3_endpoint).head_object(Bucket=bucket, Key=stored[0])
    assert head["ContentType"] == "image/jpeg" and "immutable" in head["CacheControl"]
    served = api.client.get(photo["url"])
    assert served.status_code == 200 and "immutable" in served.headers["Cache-Control"]
    image = Image.open(io.BytesIO(served.data))
    assert image.width == 1200 and not image.getexif().get_ifd(GPS_IFD)
    assert not (tmp_path / "unused-media").exists()

    assert (
        world.household.api.delete(f"/products/{product['id']}/images/{photo['id']}").status_code
        == 204
    )
    assert _objects(s3_endpoint, bucket) == []


def test_a_refused_upload_leaves_nothing_in_the_bucket(app, api, world, s3_endpoint, bucket):
    product = new_product(world.household, world.coop_admin)
    for _ in range(10):
        assert (
            upload(world.household, product["id"], tiny_png(), "a.png", "image/png").status_code
            == 201
        )

    assert (
        upload(world.household, product["id"], tiny_png(), "a.png", "image/png").status_code == 422
    )
    assert upload(world.household, product["id"], b"not an image", "x.jpg").status_code == 422
    assert len(_objects(s3_endpoint, bucket)) == 20


def test_a_public_url_points_photos_at_the_bucket(app_config, s3_endpoint, bucket):
    location = parse_s3_url(
        f"s3://{bucket}/shop?endpoint_url={s3_endpoint}&public_url=https://cdn.example.vn/media"
    )
    assert location.bucket == bucket and location.prefix == "shop/"
    assert location.public_url == "https://cdn.example.vn/media/"
    assert location.access_key is None
