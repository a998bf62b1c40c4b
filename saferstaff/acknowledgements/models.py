"""Read-and-accept of every policy version (seed §2: staff must understand and adhere to the guidance, the
code of conduct and the Internet acceptable use policy; §7). A row is never changed: accepting a new version
adds one, so the record shows who accepted which text, when."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Acceptance(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("policy.PolicyVersion", on_delete=models.PROTECT, related_name="acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acceptances")
    typed_name = models.CharField(max_length=200)
    accepted_at = models.DateTimeField(default=timezone.now)
    # The version's text as it was read: a later edit of the stored text could not pass for it.
    text_sha256 = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["school", "user"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("an acceptance is never changed; accept again to add a new one")
        super().save(*args, **kwargs)
