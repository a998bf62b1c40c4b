"""§5: a request to publish a copy of an image, checked (faces found, blurred where asked), approved where the
rules ask for it, then published."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from saferstaff.consent.models import Purpose
from saferstaff.photos.models import Image, Publication
from saferstaff.rules.engine import Reason

USER = settings.AUTH_USER_MODEL


def _prepared_path(request, filename):
    return f"images/{request.school_id}/prepared/{uuid.uuid4().hex}.mp4"


class PublicationRequest(models.Model):
    """One go at publishing a copy of an image (§5): every face found in it (looked for by the worker when
    faces are to be blurred), what the rules decided and, where they ask for it, senior management's
    approval. The publication is made from it, through ``publishing.services.publish``."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Being checked"
        READY = "ready", "Ready to publish"
        NEEDS_APPROVAL = "approval", "Needs senior management's approval"
        WAITING = "waiting", "Waiting for senior management"
        DECLINED = "declined", "Not approved"
        REFUSED = "refused", "Refused"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Stopped with a problem"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="publication_requests")
    channel = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    where = models.CharField(max_length=300)
    # The web addresses where the copy will appear (checked by ``photos.places.clean_url``): each becomes a
    # place of the publication when it is published.
    places = models.JSONField(default=list, blank=True)
    blur_faces = models.BooleanField(default=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    # Every face found: [{"box": [l, t, w, h], "pupil": id or None, "why": "consent" | "no_consent" |
    # "unknown", "blurred": bool}] — ids only; names are looked up when the page is shown.
    faces = models.JSONField(default=list, blank=True)
    # Tagged pupils whose face was not located in the photo.
    unlocated = models.JSONField(default=list, blank=True)
    # Why it was refused, or what senior management is asked to approve: [[text, clause], ...].
    reasons = models.JSONField(default=list, blank=True)
    problem = models.CharField(max_length=300, blank=True)
    # A video's copy, re-encoded by the worker while the request is checked (minutes for a long video: never
    # in a web request); publishing then only registers it. Deleted once published or not approved.
    prepared = models.FileField(upload_to=_prepared_path, max_length=200, blank=True)
    asked_at = models.DateTimeField(null=True, blank=True)  # the publisher confirmed and asked for approval
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    publication = models.OneToOneField(
        Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="request"
    )

    class Meta:
        db_table = "images_publicationrequest"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return f"Publication request {self.pk}"

    @property
    def is_waiting(self) -> bool:
        """Waiting for senior management's approval."""
        return self.status == self.Status.WAITING

    @property
    def reasons_given(self) -> list[Reason]:
        return [Reason(text, section) for text, section in self.reasons]
