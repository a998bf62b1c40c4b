from django.db import models
from simple_history.models import HistoricalRecords


class SchoolSettings(models.Model):
    """The handful of settings the school's rules read. Defaults follow the seed guidance."""

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="policy_settings")
    # §5: "images ... should only be held for 2 years".
    image_retention_months = models.PositiveSmallIntegerField(
        default=24,
        help_text="How long images of pupils are kept after they are taken (§5 recommends 2 years).",
    )
    # §5: publicity use needs the age-appropriate consent of the pupil as well as the guardians.
    pupil_voice_age = models.PositiveSmallIntegerField(
        default=12, help_text="From this age a pupil's own view on images of them counts too (§5)."
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "school settings"

    @classmethod
    def for_school(cls, school) -> "SchoolSettings":
        obj, _ = cls.objects.get_or_create(school=school)
        return obj
