"""The file store down during a photo upload: S3 (django-storages, botocore) pointed at a closed port on loopback,
as when the S3 server has stopped. The office sees an error on the form's file field that says what to do;
nothing of the upload is kept: no image rows, no audit entry, no flag notices, no files, nothing queued.
Runs everywhere (a closed port needs no S3 server), and in CI's s3 stage beside the real bucket's tests."""

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.notifications.models import Notification
from saferstaff.photos.files import StoreUnreachable
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Image, PendingDeletion

from .conftest import signed_in, skip_or_fail
from .image_samples import approved_activity, jpeg


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.fixture
def s3_down(settings):
    try:
        import storages.backends.s3  # noqa: F401
    except ImportError:
        skip_or_fail("django-storages with boto3 is in requirements.lock: run `make setup`")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "saferstaff-down", "endpoint_url": f"http://127.0.0.1:{closed_port()}",
                "access_key": "k", "secret_key": "s", "region_name": "us-east-1", "addressing_style": "path",
                "signature_version": "s3v4", "default_acl": None, "file_overwrite": False,
            },
        },
    }  # fmt: skip
    from django.core.files.storage import storages

    assert type(storages["default"]).__name__ == "S3Storage"  # the uploads below really go to it
    return storages["default"]


def nothing_kept(activity):
    assert not Image.objects.filter(activity=activity).exists()
    assert not AuditEvent.objects.filter(action="images.uploaded").exists()
    assert not Notification.objects.filter(kind="images.flagged").exists()
    assert not PendingDeletion.objects.exists()  # the store took no file, so none waits to be deleted


def test_an_upload_while_s3_is_down_says_so_on_the_field_and_keeps_nothing(cast, s3_down):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    url = reverse("activity_upload", kwargs={"school": cast.school.slug, "pk": activity.pk})
    files = [SimpleUploadedFile(f"day-{n}.jpg", jpeg(), content_type="image/jpeg") for n in range(2)]
    response = signed_in(cast.teacher).post(url, {"files": files})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The photo store could not be reached, so no images were added" in page
    assert "Upload them again in a few minutes" in page
    assert 'href="#id_files"' in page  # the error summary links to the field it names
    nothing_kept(activity)


def test_the_door_raises_store_unreachable_from_botocores_error(cast, s3_down):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    with pytest.raises(StoreUnreachable) as raised:
        add_images(activity, [("a.jpg", jpeg())], by=cast.teacher)
    assert type(raised.value.__cause__).__module__.startswith("botocore")
    nothing_kept(activity)
