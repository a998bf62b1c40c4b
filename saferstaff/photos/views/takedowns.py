"""§5 pages: where images were published, the takedowns a withdrawal raises, the destruction of old
images. A pupil's images for a subject access request are in its bundle (privacy.requests), other faces blurred."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff import scans
from saferstaff.paging import page_of
from saferstaff.photos import services
from saferstaff.photos.access import (
    get_takedown,
    is_senior,
    sees_all,
)
from saferstaff.photos.forms import TakedownForm
from saferstaff.photos.models import (
    Publication,
    Takedown,
)
from saferstaff.photos.status import takedown_summary
from saferstaff.rules.engine import Refused


def publication_list(request, school):
    pubs = Publication.objects.filter(school=request.school).select_related("channel", "published_by")
    if not sees_all(request):
        pubs = pubs.filter(published_by=request.user)
    page = page_of(request, pubs, 50)
    return render(request, "photos/publication_list.html", {"page": page})


def takedown_list(request, school):
    takedowns = Takedown.objects.filter(school=request.school).select_related(
        "publication__channel", "pupil", "assigned_to", "done_by"
    )
    if not is_senior(request):
        takedowns = takedowns.filter(assigned_to=request.user)
    open_ = takedowns.filter(done_at__isnull=True)
    done = takedowns.filter(done_at__isnull=False).order_by("-done_at")[:50]
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


@require_http_methods(["GET", "POST"])
def takedown_done(request, school, pk):
    takedown = get_takedown(request, pk)
    form = TakedownForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and takedown.done_at is None and form.is_valid():
        services.finish_takedown(
            takedown, by=request.user, note=form.cleaned_data["note"], evidence=form.cleaned_data["evidence"]
        )
        messages.success(request, "Marked as taken down. Thank you.")
        return redirect("takedown_list", school=request.school.slug)
    return render(
        request,
        "photos/takedown_done.html",
        {"takedown": takedown, "form": form, "name": takedown.pupil.short_name if takedown.pupil else ""},
    )


@require_POST
def publication_take_down(request, school, pk):
    """The publisher or senior management takes a publication down, giving the reason (§5)."""
    pub = get_object_or_404(Publication.objects.select_related("published_by"), school=request.school, pk=pk)
    if not (is_senior(request) or pub.published_by_id == request.user.pk):
        raise PermissionDenied
    reason = request.POST.get("reason", "").strip()
    back = redirect("image_detail", school=request.school.slug, pk=pub.image_id) if pub.image_id else None
    if not reason:
        messages.error(request, "Say why it is being taken down.")
        return back or redirect("publication_list", school=request.school.slug)
    try:
        takedown = services.take_down(pub, by=request.user, reason=reason)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
        return back or redirect("publication_list", school=request.school.slug)
    if takedown.assigned_to_id == request.user.pk:
        messages.info(request, "Remove it from where it was published, then say what you did.")
        return redirect("takedown_done", school=request.school.slug, pk=takedown.pk)
    messages.success(request, "Takedown raised: the person who published it has been told.")
    return back or redirect("takedown_list", school=request.school.slug)
