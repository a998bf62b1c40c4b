"""§5: where published copies appear (``PublicationPlace``), the checks that a copy taken down is gone from them
(``PlaceCheck``), and the school's own websites swept weekly (``SchoolSite``, ``SiteSweep``). Imported through
``saferstaff.photos.models``."""

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class PublicationPlace(models.Model):
    """One web address where a published copy appears (a page, a news item, a newsletter PDF, a social post):
    what a check of a takedown fetches. Added and removed only through ``photos.places``."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    publication = models.ForeignKey("photos.Publication", on_delete=models.CASCADE, related_name="places")
    url = models.CharField("Web address", max_length=2000)
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "publication", "url"], name="unique_publication_place")
        ]

    def __str__(self) -> str:
        return f"Place {self.pk}"


class PlaceCheck(models.Model):
    """One check of one place of a takedown (§5): the worker fetched the page and compared every image on it with
    the copy's fingerprint (``photos.checks``). "Could not check" is never "gone". The page is kept as a WARC."""

    class Result(models.TextChoices):
        WAITING = "waiting", "Waiting to be checked"
        GONE = "gone", "Gone"
        STILL_THERE = "still_there", "Still there"
        NOT_CHECKED = "not_checked", "Could not check"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    takedown = models.ForeignKey("photos.Takedown", on_delete=models.CASCADE, related_name="checks")
    # RESTRICT: a check is evidence; its place goes only with the publication (and the check with its takedown).
    place = models.ForeignKey("photos.PublicationPlace", on_delete=models.RESTRICT, related_name="checks")
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=12, choices=Result.choices, default=Result.WAITING)
    why = models.CharField(max_length=300, blank=True)  # for "could not check", for staff
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.CharField(max_length=2000, blank=True)  # the page's address after redirects
    found_url = models.CharField(max_length=2000, blank=True)  # the image that matched ("still there")
    distance = models.JSONField(null=True, blank=True)  # [pHash bits, dHash bits] of the match
    # Each image compared: {"url", "status", "phash", "dhash", "distance": [p, d]} or {"url", "problem"}
    compared = models.JSONField(default=list, blank=True)
    page = models.FileField(upload_to="takedown-checks/%Y/%m/", max_length=200, blank=True)  # WARC
    page_sha256 = models.CharField(max_length=64, blank=True)
    # Senior management's word that the image found ("still there") is not the withdrawn photo (another shot of
    # the scene, a photo the school may show), with why: the place then counts as gone (``checks.overrule``).
    overruled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    overruled_at = models.DateTimeField(null=True, blank=True)
    overrule_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["school", "takedown", "place", "-requested_at"], name="place_check_latest")
        ]

    def __str__(self) -> str:
        return f"Check {self.pk}"


class SchoolSite(models.Model):
    """One of the school's own websites, swept each week for photos it must not show any more (§5). Added and
    removed only through ``photos.sites``."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    url = models.CharField("Start address", max_length=2000)
    label = models.CharField(max_length=100, blank=True)
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["label", "pk"]
        constraints = [models.UniqueConstraint(fields=["school", "url"], name="unique_school_site")]

    def __str__(self) -> str:
        return f"Site {self.pk}"


class SiteSweep(models.Model):
    """One sweep of the school's sites: counts, and each finding as web addresses and record ids (no names)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    # One site checked now ("Check now"); empty: the weekly sweep of every site of the school.
    site = models.ForeignKey(SchoolSite, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    # [{"kind": "withdrawn" | "expired" | "original", "page": url, "image": url, "publication" | "image_id": id}]
    findings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["school", "started_at"])]

    def __str__(self) -> str:
        return f"Sweep {self.pk}"
