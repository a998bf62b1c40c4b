"""What the school dashboard lists as things to do about images (§5–6), for the person looking."""

import datetime
import statistics

from django.db.models import Count, Q
from django.utils import timezone

from saferstaff.numbers import counted
from saferstaff.photos.models import Activity, Image, Publication, Takedown


def things_to_do(request) -> list[tuple[str, str]]:
    school, out = request.school, []
    senior = request.actor.is_senior
    # The open takedowns, and those assigned to the person looking, in one query.
    takedowns = Takedown.objects.filter(school=school, done_at__isnull=True).aggregate(
        open=Count("pk"), mine=Count("pk", filter=Q(assigned_to=request.user))
    )
    mine = takedowns["mine"]
    if mine:
        out.append(
            (
                counted(mine, "published image", "published images")
                + " to take down: consent was withdrawn (§5)",
                "takedown_list",
            )
        )
    if not senior:
        return out
    waiting = (
        Activity.objects.filter(school=school, status=Activity.Status.REQUESTED)
        .exclude(requested_by=request.user)
        .count()
    )
    if waiting:
        out.append(
            (
                counted(waiting, "photo activity", "photo activities") + " waiting for approval (§5)",
                "activity_list",
            )
        )
    others = takedowns["open"] - mine
    if others:
        out.append((counted(others, "takedown", "takedowns") + " still open (§5)", "takedown_list"))
    flagged = Image.objects.filter(school=school, flag_cleared_at__isnull=True).exclude(flag="").count()
    if flagged:
        out.append(
            (
                counted(flagged, "image", "images")
                + " from a camera not in the device register to check (§6)",
                "image_list",
            )
        )
    return out


def takedown_summary(school, now=None) -> dict:
    """THE count of the school's takedowns (§5): open, done, the median days from raised to done (None when
    none is done) and the days the oldest open one has waited (None when none is open). The takedown list's
    heading and the self-review both read it."""
    return takedown_summaries([school.pk], now)[school.pk]


def takedown_summaries(school_ids: list[int], now=None) -> dict[int, dict]:
    """``takedown_summary`` for many schools at once (the trust's view), in one query however many."""
    now = now or timezone.now()
    spans: dict[int, list[float]] = {pk: [] for pk in school_ids}
    oldest: dict[int, float] = {}
    open_: dict[int, int] = dict.fromkeys(school_ids, 0)
    rows = Takedown.objects.filter(school_id__in=school_ids).values_list("school_id", "created_at", "done_at")
    for school_id, raised, done in rows:
        if done is None:
            open_[school_id] += 1
            waited = (now - raised).total_seconds() / 86400
            oldest[school_id] = max(oldest.get(school_id, 0), waited)
        else:
            spans[school_id].append((done - raised).total_seconds() / 86400)
    return {
        pk: {
            "open": open_[pk],
            "done": len(spans[pk]),
            "median_days": round(statistics.median(spans[pk]), 1) if spans[pk] else None,
            "oldest_open_days": round(oldest[pk], 1) if pk in oldest else None,
        }
        for pk in school_ids
    }


def publications_between(school, starts: datetime.date, ends: datetime.date) -> dict:
    """THE count of the school's publications (§5) made from ``starts`` to ``ends`` (inclusive, UK dates):
    how many copies were published, per channel, and how many of those have since been taken down. The
    governors' report's photo activity (oversight.figures.publications) reads it; the publication register
    lists the same rows with their dates."""
    return publications_between_for([school.pk], starts, ends)[school.pk]


def publications_between_for(
    school_ids: list[int], starts: datetime.date, ends: datetime.date
) -> dict[int, dict]:
    """``publications_between`` for many schools at once (the trust's view), in one query however many."""
    found = {pk: {"published": 0, "taken_down": 0, "by_channel": {}} for pk in school_ids}
    rows = (
        Publication.objects.filter(
            school_id__in=school_ids, published_at__date__gte=starts, published_at__date__lte=ends
        )
        .order_by()
        .values("school_id", "channel__name")
        .annotate(n=Count("pk"), down=Count("pk", filter=Q(taken_down_at__isnull=False)))
        .values_list("school_id", "channel__name", "n", "down")
    )
    for school_id, channel, n, down in sorted(rows, key=lambda row: (row[0], row[1])):
        counts = found[school_id]
        counts["published"] += n
        counts["taken_down"] += down
        counts["by_channel"][channel] = n
    return found
