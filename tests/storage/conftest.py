"""Fixtures for the object store tests: a fresh bucket per test on the session's S3 server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from minio import Minio

from tests.support.s3server import S3Endpoint


@dataclass(frozen=True)
class S3Bucket:
    endpoint: S3Endpoint
    name: str
    raw: Minio  # the plain client, to act behind a store's back


@pytest.fixture
def s3_bucket(s3_endpoint: S3Endpoint) -> Iterator[S3Bucket]:
    """A bucket name nobody used yet (the store creates it); emptied and removed afterwards."""
    raw = Minio(
        s3_endpoint.endpoint,
        access_key=s3_endpoint.access_key,
        secret_key=s3_endpoint.secret_key,
        secure=s3_endpoint.secure,
    )
    bucket = S3Bucket(s3_endpoint, f"sohoa-test-{uuid.uuid4().hex[:16]}", raw)
    yield bucket
    if raw.bucket_exists(bucket.name):
        # Object lock keeps versions: every one must go before the bucket can.
        for found in raw.list_objects(bucket.name, recursive=True, include_version=True):
            raw.remove_object(bucket.name, str(found.object_name), version_id=found.version_id)
        raw.remove_bucket(bucket.name)
