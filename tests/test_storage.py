"""Uploaded files go through Django's ``default_storage``: the local filesystem by default, or an S3
bucket with ``STORAGE_BACKEND=s3`` (CI runs this file against a real S3 server, Ceph's radosgw, from
../shared/tools/s3-test-server, with SAFERSTAFF_EXPECT_S3=1 so that it cannot quietly fall back)."""

import urllib.error
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from .conftest import EXPECT_S3, ON_S3, s3_client  # noqa: F401  (the storage fixture is in conftest)


def test_round_trip(storage):
    content = b"saferstaff storage round trip \x00\xff " + uuid.uuid4().bytes
    name = storage.save(f"tests/round-trip-{uuid.uuid4().hex}.bin", ContentFile(content))
    try:
        assert storage.exists(name)
        assert storage.size(name) == len(content)
        with storage.open(name, "rb") as f:
            assert f.read() == content
    finally:
        storage.delete(name)
    assert not storage.exists(name)


def test_names_are_never_overwritten(storage):
    base = f"tests/same-name-{uuid.uuid4().hex}.txt"
    first = storage.save(base, ContentFile(b"first"))
    second = storage.save(base, ContentFile(b"second"))
    try:
        assert first == base and second != first
        with storage.open(first, "rb") as f:
            assert f.read() == b"first"
    finally:
        storage.delete(first)
        storage.delete(second)


def test_s3_object_really_is_in_the_bucket(storage):
    """On S3 only: the object is in the bucket (seen with boto3, not through Django), and the URL Django
    hands out is a signed, expiring one that the server honours."""
    if not ON_S3:
        # Skips on a laptop and in CI's SQLite and PostgreSQL stages. CI's S3 stage sets SAFERSTAFF_EXPECT_S3=1,
        # and then the ``storage`` fixture has already failed if S3 is not configured: this never skips there.
        pytest.skip(
            "S3 server not configured: set STORAGE_BACKEND=s3 and S3_BUCKET, S3_ENDPOINT_URL, S3_ACCESS_KEY, "
            "S3_SECRET_KEY (CI's S3 stage does, with SAFERSTAFF_EXPECT_S3=1)"
        )
    bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]
    content = b"in the bucket " + uuid.uuid4().bytes
    name = storage.save(f"tests/in-bucket-{uuid.uuid4().hex}.bin", ContentFile(content))
    try:
        obj = s3_client().get_object(Bucket=bucket, Key=name)
        assert obj["Body"].read() == content
        url = storage.url(name)
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=" in url
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own test server
            assert response.read() == content
        unsigned = url.split("?", 1)[0]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(unsigned, timeout=10)  # noqa: S310
        assert refused.value.code == 403
    finally:
        storage.delete(name)
