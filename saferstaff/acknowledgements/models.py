"""Read-and-accept of every policy version (seed §2: staff must understand and adhere to the guidance, the
code of conduct and the Internet acceptable use policy; §7). A row is never changed: accepting a new version
adds one, so the record shows who accepted which text, when."""

from django.conf import settings
from django.db import models
from django.utils import timezone


def evidence_path(instance, filename: str) -> str:
    # ``filename`` is already saferstaff.scans.stored_name(): random, with the extension of the sniffed type.
    return f"schools/{instance.school_id}/acceptances/{filename}"


class Acceptance(models.Model):
    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"  # only for optional policies, with a reason

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("policy.PolicyVersion", on_delete=models.PROTECT, related_name="acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acceptances")
    typed_name = models.CharField(max_length=200)
    accepted_at = models.DateTimeField(default=timezone.now)
    # The version's text as it was read: a later edit of the stored text could not pass for it.
    text_sha256 = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ACCEPTED)
    decline_reason = models.TextField(blank=True)
    # Recorded by the Headteacher for someone else (e.g. a volunteer's signed paper form).
    on_behalf_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    evidence = models.FileField(upload_to=evidence_path, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["school", "user"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("an acceptance is never changed; accept again to add a new one")
        super().save(*args, **kwargs)


class Reminder(models.Model):
    """One reminder or escalation sent, so the daily run never sends the same one twice."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder to accept"
        ESCALATION = "escalation", "Line manager told"
        REVIEW = "review", "Review date coming up"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("policy.PolicyVersion", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "schools.Membership", null=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    day_mark = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "version", "membership", "kind", "day_mark"], name="unique_reminder"
            )
        ]
