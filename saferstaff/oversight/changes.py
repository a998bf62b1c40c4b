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


def changes_since(review: SelfReview, previous: SelfReview | None, figures: dict, before: dict) -> dict:
    """``figures``: this review's figures as the reader may see them (a completed review's evidence, else the
    live ones); ``before``: the previous review's, likewise. A figure is listed when its numbers changed and
    its words read differently: a count that moved inside a blur ("fewer than 3") is not shown as moved."""
    if previous is None:
        return {"levels": [], "figures": []}
    then, now = levels_of(previous), levels_of(review)
    levels = []
    for area in AREAS:
        was, is_now = then.get(area.key), now.get(area.key)
        if was and is_now and was != is_now:
            moved = "up" if LEVEL_ORDER[is_now] > LEVEL_ORDER[was] else "down"
            levels.append((area.title, LEVEL_LABELS[was], LEVEL_LABELS[is_now], moved))
    stored = before or {}
    changed = [
        (m["title"], stored[key]["wording"], m["wording"])
        for key, m in figures.items()
        if key in stored and stored[key]["values"] != m["values"] and stored[key]["wording"] != m["wording"]
    ]
    return {"levels": levels, "figures": changed}
