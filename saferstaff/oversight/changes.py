"""What changed since the last completed review (each area's level, and each figure's wording, then and now),
and since the previous term's governors' report (each figure): one comparison of figures for both; and what is
carried forward, the open actions of earlier reviews."""

from saferstaff.oversight.areas import AREAS, LEVEL_LABELS, LEVEL_ORDER
from saferstaff.oversight.models import ReviewAction, SelfReview

# A figure's values that name the period counted (photos this term, conduct this school year), not a count.
PERIOD_LABELS = ("term", "period")


def previous_of(review: SelfReview) -> SelfReview | None:
    return (
        SelfReview.objects.filter(
            school_id=review.school_id, number__lt=review.number, completed_at__isnull=False
        )
        .order_by("-number")
        .first()
    )


def open_actions(school_id: int, before: int | None = None):
    """THE actions carried forward: every one not yet done that a completed review agreed (those numbered
    before ``before``, when given), soonest due first — listed by each later review and the governors' report
    until someone marks it done."""
    found = ReviewAction.objects.filter(
        school_id=school_id, done_at__isnull=True, review__completed_at__isnull=False
    )
    if before is not None:
        found = found.filter(review__number__lt=before)
    return found.select_related("owner__user", "review").order_by("due_on", "pk")


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
    changed = [
        (trend["title"], trend["then"], trend["now"])
        for trend in figure_trends(figures, before).values()
        if trend["changed"]
    ]
    return {"levels": levels, "figures": changed}


def figure_trends(figures: dict, before: dict | None) -> dict[str, dict]:
    """Each figure now against the same figure kept earlier (a previous review's evidence, the previous term's
    governors' report), both as stored and as the reader may see them: its title, the wording then (None when
    the earlier one did not have it) and now, and whether it changed: its values (not the term or year they
    were counted over, so "no image published" in the summer and again in the autumn is no change) and what
    the reader reads — its wording or parts — so that a change hidden by a blurred count ("fewer than 3" both
    times) is not given away."""
    stored = before or {}

    def read(m: dict) -> tuple:
        return m["wording"], [list(p) for p in m.get("parts", ())]

    def counted(m: dict) -> dict:  # the values, less the period they were counted over
        return {k: v for k, v in m.get("values", {}).items() if k not in PERIOD_LABELS}

    def changed(was: dict, now: dict) -> bool:
        return counted(was) != counted(now) and read(was) != read(now)

    return {
        key: {
            "title": m["title"],
            "then": stored[key]["wording"] if key in stored else None,
            "now": m["wording"],
            "changed": key in stored and changed(stored[key], m),
        }
        for key, m in figures.items()
    }
