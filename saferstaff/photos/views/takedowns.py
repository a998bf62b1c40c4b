"""§5 pages: where images were published, the takedowns a withdrawal raises, the destruction of old
images. A pupil's images for a subject access request are in its bundle (privacy.requests), other faces blurred."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff import scans
from saferstaff.audit.log import record
from saferstaff.paging import page_of
from saferstaff.photos import checks, places, takedowns
from saferstaff.photos.access import (
    get_takedown,
    is_senior,
    sees_all,
)
from saferstaff.photos.forms import OverruleForm, PlaceForm, TakedownForm
from saferstaff.photos.models import (
    PlaceCheck,
    Publication,
    PublicationPlace,
    Takedown,
)
from saferstaff.photos.status import takedown_summary
from saferstaff.photos.views.library import image_detail
from saferstaff.rules.engine import Refused, run_form
from saferstaff.rules.images import may_change_places, may_check_takedown, may_overrule_check

# A check runs on the checks worker within about a minute; one waiting longer than this is said to be late.
CHECK_LATE_MINUTES = 5


def publication_list(request, school):
    pubs = Publication.objects.filter(school=request.school).select_related("channel", "published_by")
    if not sees_all(request):
        pubs = pubs.filter(published_by=request.user)
    page = page_of(request, pubs, 50)
    return render(request, "photos/publication_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def publication_detail(request, school, pk):
    """One publication (§5): where it went, its places — the web addresses a takedown is checked at — and,
    for its publisher and senior management, a form to add one and a button to remove one while it is up.
    Senior management, the DSL and the DPO see every publication (as in the register); other staff their own."""
    pub = get_object_or_404(
        Publication.objects.select_related("channel", "published_by", "image"), school=request.school, pk=pk
    )
    if not (sees_all(request) or pub.published_by_id == request.user.pk):
        raise PermissionDenied
    form, problems, refused_place = PlaceForm(), [], None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                place_id = request.POST.get("place", "")
                place = get_object_or_404(
                    PublicationPlace, publication=pub, pk=int(place_id) if place_id.isdigit() else 0
                )
                refused_place = place.pk  # a refusal naming the place is shown beside it
                places.remove_place(place, by=request.user)
                messages.success(request, "Web address removed.")
                return redirect("publication_detail", school=request.school.slug, pk=pub.pk)
            form = PlaceForm(request.POST)
            if form.is_valid():
                listed = pub.places.filter(
                    url=form.cleaned_data["url"]
                ).exists()  # cleaned as the door keeps it
                places.add_place(pub, form.cleaned_data["url"], by=request.user)
                if listed:
                    messages.info(request, "That web address is already listed.")
                else:
                    messages.success(request, "Web address added.")
                return redirect("publication_detail", school=request.school.slug, pk=pub.pk)
        except Refused as exc:
            problems = [(r.field == "place" and refused_place, str(r)) for r in exc.decision.reasons]
    return render(
        request,
        "photos/publication_detail.html",
        {
            "pub": pub,
            "open_takedown": (
                opened := pub.takedowns.filter(done_at__isnull=True).order_by("created_at").first()
            ),
            "may_open_takedown": opened is not None
            and (is_senior(request) or opened.assigned_to_id == request.user.pk),
            "places": pub.places.annotate(checked=Exists(PlaceCheck.objects.filter(place=OuterRef("pk")))),
            "form": form,
            "problems": problems,
            "may_add": may_change_places.peek(request.actor, subject=pub).allowed,
            "may_remove": may_change_places.peek(request.actor, subject=pub, removing=True).allowed,
        },
        status=409 if problems else 400 if form.errors else 200,
    )


def takedown_list(request, school):
    listed = Takedown.objects.filter(school=request.school).select_related(
        "publication__channel", "pupil", "assigned_to", "done_by"
    )
    if not is_senior(request):
        listed = listed.filter(assigned_to=request.user)
    open_ = listed.filter(done_at__isnull=True)
    done = listed.filter(done_at__isnull=False).order_by("-done_at")[:50]
    now = timezone.now()
    rows = [(t, (now - t.created_at).days) for t in open_]
    summary = takedown_summary(request.school) if is_senior(request) else None  # the self-review's figure too
    return render(
        request,
        "photos/takedown_list.html",
        {"rows": rows, "done": done, "senior": is_senior(request), "summary": summary},
    )


@require_safe
def takedown_evidence(request, school, pk):
    takedown = get_takedown(request, pk)  # the publisher's own, or any for senior management
    return scans.audited_download(
        takedown, takedown.evidence, action="images.takedown.evidence_viewed", stem=f"takedown-{takedown.pk}"
    )


@require_safe
def takedown_check_page(request, school, pk, check):
    """The page one check of a place fetched, kept as a WARC: the evidence that the photo was gone (or still
    there) at that moment (§5), for whoever may see the takedown; each download is in the audit trail."""
    takedown = get_takedown(request, pk)  # the publisher's own, or any for senior management
    kept = checks.history(takedown).filter(pk=check).exclude(page="").first()
    if kept is None:
        raise Http404
    record("images.takedown.check_page_viewed", takedown, detail={"check": kept.pk})
    return scans.download(kept.page, stem=f"takedown-{takedown.pk}-check-{kept.pk}", kind="warc")


@require_http_methods(["GET", "POST"])
def takedown_done(request, school, pk):
    """Closing a takedown (§5): with a note (and a screenshot), or — when every place's latest check found it
    gone — on the checks' evidence. The checks of each place, newest first, are shown with their results."""
    takedown = get_takedown(request, pk)
    on_checks = request.method == "POST" and request.POST.get("action") == "on_checks"
    form = TakedownForm(None if on_checks else request.POST or None, request.FILES or None)
    problems, refused = [], False
    if request.method == "POST" and takedown.done_at is None and (on_checks or form.is_valid()):
        try:
            if on_checks:
                takedowns.finish_takedown(takedown, by=request.user, on_checks=True)
            else:
                takedowns.finish_takedown(
                    takedown,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    evidence=form.cleaned_data["evidence"],
                )
        except Refused as exc:  # a reason naming the note sits beside it; the others above the page's forms
            refused = True
            for reason in exc.decision.reasons:
                if reason.field in form.fields and not on_checks:
                    form.add_error(reason.field, str(reason))
                else:
                    problems.append(str(reason))
        else:
            messages.success(request, "Marked as taken down. Thank you.")
            return redirect("takedown_list", school=request.school.slug)
    rows = _places(request, takedown)
    waiting = [found[0] for _, found, _, _ in rows if found and found[0].result == "waiting"]
    checking = min(waiting, key=lambda c: c.requested_at) if waiting else None
    waited = (timezone.now() - checking.requested_at).total_seconds() // 60 if checking else 0
    return render(
        request,
        "photos/takedown_done.html",
        {
            "takedown": takedown,
            "form": form,
            "problems": problems,
            "name": takedown.pupil.short_name if takedown.pupil else "",
            "places": rows,
            # Where the newest checks found it, not overruled: what the publisher must remove it from now.
            "still_at": [
                place.url
                for place, found, overrule, _ in rows
                if found and found[0].result == PlaceCheck.Result.STILL_THERE and not overrule
            ],
            "checking": checking,  # the check waiting longest, and for how long when it is late (minutes)
            "checking_late": int(waited) if waited >= CHECK_LATE_MINUTES else 0,
            "all_gone": checks.all_gone(takedown),
            "overruled": any(overrule for _, _, overrule, _ in rows),
            "may_check": may_check_takedown.peek(request.actor, subject=takedown).allowed,
        },
        status=409 if refused else 400 if form.errors else 200,
    )


def _places(request, takedown):
    """Each place of the publication with its checks, newest first, the overrule that covers the newest (or
    None), and whether the viewer may overrule the newest (a "still there" not yet overruled)."""
    history = defaultdict(list)
    for check in checks.history(takedown).select_related("overruled_by", "takedown"):
        history[check.place_id].append(check)
    rows = []
    for place in takedown.publication.places.all():
        found = history[place.pk]
        overrule = checks.covering(found[0], found) if found else None
        may = (
            bool(found)
            and not overrule
            and may_overrule_check.peek(request.actor, subject=found[0], newest=True).allowed
        )
        rows.append((place, found, overrule, may))
    return rows


@require_http_methods(["GET", "POST"])
def takedown_overrule(request, school, pk):
    """Senior management says the image the newest check of a place found ("still there") is not the withdrawn
    photo, and why (§5): the place then counts as gone. The place is ``?place=`` (or the form's ``place``)."""
    takedown = get_takedown(request, pk)
    place_id = request.POST.get("place") or request.GET.get("place") or ""
    newest = checks.standing(takedown).get(int(place_id) if place_id.isdigit() else 0)
    # Only a "still there" not overruled yet is overruled: "could not check" or "gone" has no image to speak of.
    if newest is None or newest[0].result != PlaceCheck.Result.STILL_THERE or newest[1] is not None:
        messages.error(request, "Choose a web address whose latest check found the photo still there.")
        return redirect("takedown_done", school=request.school.slug, pk=takedown.pk)
    check = newest[0]
    form = OverruleForm(request.POST or None)
    if request.method == "POST" and run_form(
        form, lambda data: checks.overrule(check, by=request.user, reason=data["reason"])
    ):
        messages.success(request, "Recorded: that web address now counts as gone.")
        return redirect("takedown_done", school=request.school.slug, pk=takedown.pk)
    return render(
        request,
        "photos/takedown_overrule.html",
        {"takedown": takedown, "check": check, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def takedown_check(request, school, pk):
    """ "Check again": the worker fetches each place of the takedown's publication again (§5)."""
    takedown = get_takedown(request, pk)
    try:
        queued = checks.queue_checks(takedown, by=request.user)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        if queued:
            messages.success(request, "Checking again: the results show here when done.")
        elif (
            takedown.publication.places.exists()
        ):  # each is waiting for a check asked already (a double click)
            messages.info(request, "Already checking: the results show here when done.")
        else:
            messages.info(request, "It has no web addresses.")
    return redirect("takedown_done", school=request.school.slug, pk=takedown.pk)


@require_POST
def publication_take_down(request, school, pk):
    """The publisher or senior management takes a publication down, giving the reason (§5)."""
    pub = get_object_or_404(Publication.objects.select_related("published_by"), school=request.school, pk=pk)
    if not (is_senior(request) or pub.published_by_id == request.user.pk):
        raise PermissionDenied
    reason = request.POST.get("reason", "").strip()
    back = redirect("image_detail", school=request.school.slug, pk=pub.image_id) if pub.image_id else None
    if not reason:  # beside the reason's field on the image's page
        if pub.image_id:
            return image_detail(
                request, school, pub.image_id, takedown_problem=(pub.pk, "Say why it is being taken down")
            )
        messages.error(request, "Say why it is being taken down.")
        return redirect("publication_list", school=request.school.slug)
    try:
        takedown = takedowns.take_down(pub, by=request.user, reason=reason)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
        return back or redirect("publication_list", school=request.school.slug)
    if takedown.assigned_to_id == request.user.pk:
        messages.info(request, "Remove it from where it was published, then say what you did.")
        return redirect("takedown_done", school=request.school.slug, pk=takedown.pk)
    messages.success(request, "Takedown raised: the person who published it has been told.")
    return back or redirect("takedown_list", school=request.school.slug)
