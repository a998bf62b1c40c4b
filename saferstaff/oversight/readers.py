"""The figures as one reader may read them — the one rule the self-review, the evidence pack and the governors'
report share, so no output shows a reader more than the incident trends page would. (The governors' report, one
document for all its readers, leaves out the cases about every one of them: ``oversight.report``.)"""

from saferstaff.oversight.case_figures import without_cases_about
from saferstaff.rules.incidents import is_designated


def shown_to(actor, figures: dict) -> dict:
    """The figures as ``actor`` may read them: without the cases about them, and incident counts blurred for
    those the incident trends page blurs them for (governors; senior leaders who are not designated persons)."""
    if actor.membership is not None:
        figures = without_cases_about(actor.school.pk, [actor.membership.pk], figures)
    if is_designated(actor):
        return figures
    return blurred(figures)


def blurred(figures: dict) -> dict:
    """Incident counts of 1 or 2 read "fewer than 3" (``Measure.blurred_wording`` and ``blurred_parts``, where a
    figure has them)."""
    return {
        key: {**m, "wording": m["blurred_wording"], "parts": m["blurred_parts"]}
        if m.get("blurred_wording")
        else m
        for key, m in figures.items()
    }
