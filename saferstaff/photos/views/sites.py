"""§5: the school's own websites, swept each week for photos it must not show any more (senior management)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from saferstaff.photos import sites
from saferstaff.photos.forms import SiteForm
from saferstaff.photos.models import Publication, SchoolSite, SiteSweep
from saferstaff.rules.engine import Refused


@require_http_methods(["GET", "HEAD", "POST"])
def site_list(request, school):
    """List, add and remove the school's websites (removing asks first, on a page of its own), check one now;
    the last sweeps and what they found, and whether one is running (with a plain link to look again)."""
    form, problems = SiteForm(), []
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action in ("remove", "check"):
                site_id = request.POST.get("site", "")
                site = get_object_or_404(
                    SchoolSite, school=request.school, pk=int(site_id) if site_id.isdigit() else 0
                )
            if action == "check":
                _sweep, queued = sites.check_now(site, by=request.user)
                messages.success(
                    request,
                    "Checking the website now: the result shows below when done."
                    if queued
                    else "A check of the school's websites is already running: the result shows below when done.",
                )
                return redirect("site_list", school=request.school.slug)
            if action == "remove" and request.POST.get("confirm") != "yes":
                return render(
                    request, "photos/site_remove.html", {"site": site}
                )  # asked first, without script
            if action == "remove":
                sites.remove_site(site, by=request.user)
                messages.success(request, "Website removed: it is no longer checked.")
                return redirect("site_list", school=request.school.slug)
            form = SiteForm(request.POST)
            if form.is_valid():
                _site, added = sites.add_site(
                    request.school,
                    form.cleaned_data["url"],
                    label=form.cleaned_data["label"],
                    by=request.user,
                )
                if added:
                    messages.success(request, "Website added: it is checked each week.")
                else:
                    messages.info(request, "That website is already listed: it is checked each week.")
                return redirect("site_list", school=request.school.slug)
        except Refused as exc:
            problems = [str(r) for r in exc.decision.reasons]
    sweeps = list(SiteSweep.objects.filter(school=request.school).select_related("site")[:5])
    # Each publication found, by the number of its image (kept after the image is destroyed): one query.
    pubs = {f["publication"] for s in sweeps for f in s.findings if "publication" in f}
    refs = dict(Publication.objects.filter(school=request.school, pk__in=pubs).values_list("pk", "image_ref"))
    for sweep in sweeps:
        sweep.found = sites.by_image(sweep.findings, refs)
    return render(
        request,
        "photos/site_list.html",
        {
            "sites": SchoolSite.objects.filter(school=request.school),
            "sweeps": sweeps,
            "checking": SiteSweep.objects.filter(school=request.school, finished_at__isnull=True).exists(),
            "form": form,
            "problems": problems,
        },
        status=403 if problems else 400 if form.errors else 200,
    )
