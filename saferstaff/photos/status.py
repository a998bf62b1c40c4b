"""What the school dashboard lists as things to do about images (§5–6), for the person looking."""

import datetime
import statistics

from django.db.models import Count, Q

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


def takedown_summary(school) -> dict:
    """THE count of the school's takedowns (§5): open, done, and the median days from raised to done (None
    when none is done). The takedown list's heading and the self-review both read it."""
    spans = [
        (done - raised).total_seconds() / 86400
        for raised, done in Takedown.objects.filter(school=school, done_at__isnull=False).values_list(
            "created_at", "done_at"
        )
    ]
    open_ = Takedown.objects.filter(school=school, done_at__isnull=True).count()
    median = round(statistics.median(spans), 1) if spans else None
    return {"open": open_, "done": len(spans), "median_days": median}


def publications_between(school, starts: datetime.date, ends: datetime.date) -> dict:
    """THE count of the school's publications (§5) made from ``starts`` to ``ends`` (inclusive, UK dates):
    how many copies were published, per channel, and how many of those have since been taken down. The
    governors' report's photo activity (oversight.figures.publications) reads it; the publication register
    lists the same rows with their dates."""
    made = Publication.objects.filter(
        school=school, published_at__date__gte=starts, published_at__date__lte=ends
    ).order_by()
    by_channel = dict(made.values("channel__name").annotate(n=Count("pk")).values_list("channel__name", "n"))
    found = made.aggregate(
        published=Count("pk"), taken_down=Count("pk", filter=Q(taken_down_at__isnull=False))
    )
    return {**found, "by_channel": dict(sorted(by_channel.items()))}
