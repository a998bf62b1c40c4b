"""§5: the school's own websites, swept each week for photos it must not show any more (senior management)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from saferstaff.photos import sites
from saferstaff.photos.forms import SiteForm
from saferstaff.photos.models import SchoolSite, SiteSweep
from saferstaff.rules.engine import Refused


@require_http_methods(["GET", "HEAD", "POST"])
def site_list(request, school):
    """List, add and remove the school's websites; the last sweeps and what they found."""
    form, problems = SiteForm(), []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                site_id = request.POST.get("site", "")
                site = get_object_or_404(
                    SchoolSite, school=request.school, pk=int(site_id) if site_id.isdigit() else 0
                )
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
                messages.success(
                    request,
                    "Website added: it is checked each week."
                    if added
                    else "That website is already listed: it is checked each week.",
                )
                return redirect("site_list", school=request.school.slug)
        except Refused as exc:
            problems = [str(r) for r in exc.decision.reasons]
    return render(
        request,
        "photos/site_list.html",
        {
            "sites": SchoolSite.objects.filter(school=request.school),
            "sweeps": SiteSweep.objects.filter(school=request.school)[:5],
            "form": form,
            "problems": problems,
        },
        status=403 if problems else 400 if form.errors else 200,
    )
