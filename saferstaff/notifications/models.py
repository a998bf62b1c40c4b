from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """An item in someone's in-app list. The email that announces it says only that there is a new item
    and links here: no names, no content (safeguarding practice — email leaves our control)."""

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)  # shown only inside saferstaff, after sign-in
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]


class SentEmail(models.Model):
    """One row per email that left, by a key naming what it was for (``notification:12``, ``portal-link:7``).
    Written in the same transaction as the sending (``outbox.send_once``): a task run twice — a worker killed
    and its job run again, two workers on one job — sends it once."""

    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
