import numpy as np
from django.core.management.base import BaseCommand, CommandError

from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.biometrics.enrolment import vector_of
from saferstaff.biometrics.models import FaceDetection, FaceTemplate
from saferstaff.schools.models import SchoolSettings
from saferstaff.schools.setup import school_for_command

MARGIN = 0.05


class Command(BaseCommand):
    help = (
        "Work out the school's face-matching thresholds from its own consented data (§5): scores of the same "
        "pupil (several reference photos; matches staff confirmed) against scores of different pupils (every "
        "pair of enrolled pupils; matches staff rejected). Review starts just above the highest score between "
        "different pupils, so no known pair is matched automatically; auto-tagging starts where most genuine "
        "scores lie. Prints the figures; --apply saves them. Rerun as more photos are reviewed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--apply", action="store_true", help="save the thresholds for the school")

    def handle(self, *args, school, apply=False, **options):
        s = school_for_command(school)
        templates = list(FaceTemplate.objects.filter(school=s))
        if len({t.pupil_id for t in templates}) < 2:
            raise CommandError("Enrol at least two pupils (with biometric consent) before calibrating.")
        labels = np.array([t.pupil_id for t in templates])
        vectors = np.stack([vector_of(t) for t in templates])
        scores = vectors @ vectors.T
        upper = np.triu(np.ones_like(scores, dtype=bool), k=1)
        same = labels[:, None] == labels[None, :]
        genuine = list(scores[upper & same])
        impostor = list(scores[upper & ~same])
        reviewed = FaceDetection.objects.filter(school=s).exclude(decision="")
        genuine += [
            d.match_score
            for d in reviewed
            if d.decision == "confirmed" and d.decided_pupil_id == d.proposed_pupil_id
        ]
        impostor += [
            d.match_score
            for d in reviewed
            if d.decision == "rejected" or d.decided_pupil_id != d.proposed_pupil_id
        ]
        review = round(float(max(impostor)) + MARGIN, 3)
        auto = round(max(review + 0.1, float(np.percentile(genuine, 10)) if genuine else review + 0.15), 3)
        self.stdout.write(f"pupils enrolled: {len(set(labels.tolist()))}, templates: {len(templates)}")
        self.stdout.write(
            f"same-pupil scores: {len(genuine)}"
            + (
                f", lowest {min(genuine):.3f}, median {np.median(genuine):.3f}"
                if genuine
                else " (add a second reference photo or review matches for more)"
            )
        )
        self.stdout.write(f"different-pupil scores: {len(impostor)}, highest {max(impostor):.3f}")
        self.stdout.write(f"thresholds: review from {review:.3f}, auto-tag from {auto:.3f}")
        if apply:
            settings = SchoolSettings.for_school(s)
            settings.face_review_threshold, settings.face_auto_threshold = review, auto
            settings.save()
            with acting_as(school_id=s.pk):
                record("faces.calibrated", s, detail={"review": review, "auto": auto})
            self.stdout.write("saved")
