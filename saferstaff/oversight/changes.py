"""What changed since the last completed review: each area's level, and each figure's wording, then and now."""

from saferstaff.oversight.areas import AREAS, LEVEL_LABELS, LEVEL_ORDER
from saferstaff.oversight.models import SelfReview


def previous_of(review: SelfReview) -> SelfReview | None:
    return (
        SelfReview.objects.filter(
            school_id=review.school_id, number__lt=review.number, completed_at__isnull=False
        )
        .order_by("-number")
        .first()
    )


def levels_of(review: SelfReview) -> dict[str, str]:
    return dict(review.judgements.values_list("area", "level"))


def changes_since(review: SelfReview, previous: SelfReview | None, figures: dict) -> dict:
    """``figures``: this review's figures as stored (a completed review's evidence, else the live ones)."""
    if previous is None:
        return {"levels": [], "figures": []}
    then, now = levels_of(previous), levels_of(review)
    levels = []
    for area in AREAS:
        before, after = then.get(area.key), now.get(area.key)
        if before and after and before != after:
            moved = "up" if LEVEL_ORDER[after] > LEVEL_ORDER[before] else "down"
            levels.append((area.title, LEVEL_LABELS[before], LEVEL_LABELS[after], moved))
    stored = previous.evidence or {}
    changed = [
        (m["title"], stored[key]["wording"], m["wording"])
        for key, m in figures.items()
        if key in stored and stored[key]["values"] != m["values"]
    ]
    return {"levels": levels, "figures": changed}
