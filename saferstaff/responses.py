"""Small responses shared by the pages of several rooms."""

from django.http import HttpResponse


def private_jpeg(data: bytes) -> HttpResponse:
    """A JPEG of a pupil (a face crop, a reference photo): never kept by a browser or a proxy."""
    return HttpResponse(data, content_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
