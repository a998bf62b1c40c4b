"""A school's self-review of its online safety (§2). Each review is kept: when it is completed, the figures its
evidence was filled from are stored with it, so the next review can say what changed since."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from saferstaff.oversight.areas import AREAS, LEVELS

PDF_FOLDER = "governors-reports"  # the governors' reports' PDFs in the file storage, by school


class SelfReview(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()  # 1, 2, 3 … at each school
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)  # the figures at completion (oversight.figures)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["school", "number"], name="unique_self_review_number")]

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


class AreaJudgement(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(SelfReview, on_delete=models.CASCADE, related_name="judgements")
    area = models.CharField(max_length=20, choices=[(a.key, a.title) for a in AREAS])
    level = models.CharField(max_length=12, choices=[(key, label) for key, label, _ in LEVELS])
    commentary = models.TextField(max_length=4000, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "review", "area"], name="unique_self_review_area")
        ]


class ReviewAction(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(SelfReview, on_delete=models.CASCADE, related_name="actions")
    area = models.CharField(max_length=20, choices=[(a.key, a.title) for a in AREAS])
    what = models.CharField(max_length=300)
    owner = models.ForeignKey("schools.Membership", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    # Done (oversight.services.complete_action); until then the action is open, and carried forward: every
    # later review and the governors' report list it.
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]


class GovernorsReport(models.Model):
    """The termly report to the governing body (§2): one per school and term, made on a schedule in the term's
    last weeks or on demand by senior management (made again on demand, the same row replaced and the trail
    keeping each making). Everything its PDF shows is kept here as it was at the moment taken, and the PDF's
    bytes as made are kept in the file storage (``pdf``, gone with the row): a download serves those bytes,
    checked against ``pdf_sha256``, so the report reads the same forever whatever changes in the layout since
    (``oversight.report``)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=16)  # "2026-autumn" (oversight.report.term_of)
    term_starts = models.DateField()  # orders the terms: the previous report is the last to start earlier
    made_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(  # None: made by the daily schedule
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    figures = models.JSONField(default=dict)  # every oversight.figures Measure.as_stored(), by key
    # What else the PDF shows, as it was then: the school's name, who made it, the previous term's report's
    # figures (the trend) and the open actions of the last completed self-review.
    context = models.JSONField(default=dict)
    pdf = models.FileField(upload_to=PDF_FOLDER, max_length=200)  # the PDF as made (report_pdf.store)
    pdf_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-term_starts"]
        constraints = [
            models.UniqueConstraint(fields=["school", "term"], name="unique_governors_report_term")
        ]
