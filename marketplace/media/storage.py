"""Where photo files are kept: a folder (``MEDIA_DIR``) or an S3-compatible bucket (``MEDIA_S3_URL``).

Keys are content-hashed paths such as ``p12/34-9f2c…e1.jpg``: a key's bytes never change, so every
copy may be cached for a year (``immutable``). The app serves ``/media/<key>`` from either store;
with ``public_url`` in ``MEDIA_S3_URL`` the photo URLs point at the bucket (or its CDN) instead.

``MEDIA_S3_URL`` form: ``s3://[ACCESS_KEY:SECRET@]BUCKET[/PREFIX][?endpoint_url=URL&region=R&public_url=URL]``;
without credentials in the URL boto3 finds them its usual way (AWS_* variables, ~/.aws, a role).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from botocore.config import Config
from flask import Flask, current_app, url_for

EXTENSION = "marketplace.media"
CACHE_FOREVER = "public, max-age=31536000, immutable"
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)*$")


class MediaStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def public_url(self, key: str) -> str | None: ...


def valid_key(key: str) -> bool:
    return len(key) <= 200 and ".." not in key and KEY.match(key) is not None


class FolderStore:
    """Files under one folder; written to a temporary name and renamed, so a reader never sees
    half a file."""

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"bad media key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, ValueError, IsADirectoryError):
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def public_url(self, key: str) -> str | None:
        return None


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str | None
    access_key: str | None
    secret_key: str | None
    public_url: str | None


def parse_s3_url(url: str) -> S3Location:
    """``s3://[KEY:SECRET@]BUCKET[/PREFIX][?endpoint_url=…&region=…&public_url=…]``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ValueError("MEDIA_S3_URL must look like s3://bucket[/prefix]")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    prefix = parts.path.strip("/")
    public = query.get("public_url")
    return S3Location(
        bucket=parts.hostname,
        prefix=f"{prefix}/" if prefix else "",
        endpoint_url=query.get("endpoint_url"),
        region=query.get("region"),
        access_key=unquote(parts.username) if parts.username else None,
        secret_key=unquote(parts.password) if parts.password else None,
        public_url=public.rstrip("/") + "/" if public else None,
    )


class BucketStore:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, moto…), through boto3."""

    def __init__(self, location: S3Location):
        self.location = location
        self.client = boto3.client(
            "s3",
            endpoint_url=location.endpoint_url,
            region_name=location.region or "us-east-1",
            aws_access_key_id=location.access_key,
            aws_secret_access_key=location.secret_key,
            config=Config(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
            ),
        )

    def _name(self, key: str) -> str:
        if not valid_key(key):
            raise ValueError(f"bad media key {key!r}")
        return self.location.prefix + key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.location.bucket,
            Key=self._name(key),
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_FOREVER,
        )

    def get(self, key: str) -> bytes | None:
        if not valid_key(key):
            return None
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.location.bucket, Key=self._name(key))

    def public_url(self, key: str) -> str | None:
        if self.location.public_url is None:
            return None
        return self.location.public_url + self.location.prefix + key


def init_app(app: Flask) -> None:
    s3_url = app.config.get("MEDIA_S3_URL")
    store: MediaStore = (
        BucketStore(parse_s3_url(s3_url)) if s3_url else FolderStore(app.config["MEDIA_DIR"])
    )
    app.extensions[EXTENSION] = store


def store() -> MediaStore:
    return current_app.extensions[EXTENSION]


def url_of(key: str) -> str:
    """The address of a stored file: the bucket's public URL when configured, else this app's
    ``/media/<key>`` (root-relative, so cached answers do not depend on the host name)."""
    return store().public_url(key) or url_for("media_files.serve", key=key)
