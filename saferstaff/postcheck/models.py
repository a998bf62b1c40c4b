"""§4: drafts checked before posting that their author chose to keep."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from saferstaff.audit.log import record


class SavedCheck(models.Model):
    """A draft checked before posting (§4) that its author chose to keep. Drafts not saved are never stored;
    saved ones are destroyed by the retention schedule (``privacy.schedule``, "draft_checks": when due, without
    waiting for the DPO's confirmation, each with its certificate): a draft may name a child."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    form = models.CharField(max_length=4, default="post")  # post or bio
    text = models.TextField()
    verdict = models.CharField(max_length=6)
    findings = models.JSONField(default=list)

    class Meta:
        db_table = "policy_savedcheck"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "author", "-created_at"])]

    @classmethod
    def keep(cls, school, author, *, form: str, text: str, result) -> "SavedCheck":
        """Keep a checked draft because its author asked to: its findings without the pupil each names (a
        saved check never says which pupil a name is), recorded with its verdict only."""
        with transaction.atomic():
            saved = cls.objects.create(
                school=school, author=author, form=form, text=text, verdict=result.verdict,
                findings=[f.as_json(identify=False) for f in result.findings],
            )  # fmt: skip
            record("drafts.check_saved", saved, detail={"verdict": result.verdict})
        return saved

    def discard(self) -> None:
        """Its author deletes it before its time (recorded)."""
        with transaction.atomic():
            record("drafts.check_deleted", self)
            self.delete()
