"""§8 pages: the sharing log — the list, logging a disclosure by hand, one entry, completing a prefilled one, a
leaver's common transfer file. Every write goes through a door (``privacy.sharing``); an entry is fetched only
through ``get_sharing``, 404 to anyone its rule does not name."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record
from saferstaff.conduct.forms import PICKER_SIZE
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.privacy import sharing
from saferstaff.privacy.forms.breaches import (
    SharingCompleteForm,
    SharingForm,
)
from saferstaff.privacy.models import Sharing
from saferstaff.privacy.sharing import entries_readable_by
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.privacy import (
    may_complete_sharing,
    may_read_sharing,
)
from saferstaff.schools.access import pupil_choices, pupil_views
from saferstaff.schools.models import Pupil


def get_sharing(request, pk) -> Sharing:
    entry = get_object_or_404(
        Sharing.objects.select_related("case", "approved_by__user", "logged_by"), school=request.school, pk=pk
    )
    if not may_read_sharing(request.actor, subject=entry):
        raise Http404("No such entry")
    record("privacy.sharing.viewed", entry)
    return entry


FILTERS = {
    "": ("Every entry", {}),
    "to_complete": ("To complete", {"status": Sharing.Status.TO_COMPLETE}),
    "logged": ("Logged", {"status": Sharing.Status.LOGGED}),
    **{f"source-{v}": (label, {"source": v}) for v, label in Sharing.Source.choices},
}


@require_safe
def sharing_list(request, school):
    chosen = request.GET.get("show", "")
    if chosen not in FILTERS:
        chosen = ""
    entries = entries_readable_by(request.actor).filter(**FILTERS[chosen][1])
    to_complete = list(entries.filter(status=Sharing.Status.TO_COMPLETE).order_by("shared_at", "pk"))
    logged = page_of(request, entries.filter(status=Sharing.Status.LOGGED).order_by("-shared_at", "-pk"), 25)
    record(
        "privacy.sharing.listed",
        ("schools.school", request.school.pk),
        detail={"entries": [e.pk for e in to_complete] + [e.pk for e in logged.object_list]},
    )
    leavers = pupil_views(request, sharing.leavers_without_ctf(request.school)[:PICKER_SIZE])
    return render(
        request,
        "privacy/sharing_list.html",
        {
            "to_complete": to_complete,
            "page": logged,
            "filters": [(key, label) for key, (label, _) in FILTERS.items()],
            "chosen": chosen,
            "leavers": leavers,
            "ctf_days": sharing.CTF_DAYS,
        },
    )


def _ctf(request):
    """ "Log the common transfer file sent to their new school": a prefilled entry, to complete."""
    pk = parse_id(request.POST.get("ctf", ""))
    pupil = sharing.leavers_without_ctf(request.school).filter(pk=pk).first() if pk else None
    if pupil is None:
        messages.error(request, "Choose a pupil who left in the last few weeks (§8)")
        return redirect("sharing_list", school=request.school.slug)
    entry = sharing.open_ctf(request.actor, pupil)
    return redirect("sharing_complete", school=request.school.slug, pk=entry.pk)


@require_http_methods(["GET", "POST"])
def sharing_add(request, school):
    if request.method == "POST" and "ctf" in request.POST:
        return _ctf(request)
    data = request.POST if request.method == "POST" else None
    q = ((data or request.GET).get("pupil_q") or "").strip()[:100]
    # Find with nothing to find is the form being sent (Enter in a text box submits with the first button).
    finding = data is not None and "find" in data and bool(q)
    chosen = [pk for pk in (parse_id(v) for v in (data.getlist("pupils") if data else [])) if pk]
    found = pupil_choices(request, q, limit=PICKER_SIZE)
    if extra := [pk for pk in chosen if all(v.pk != pk for v in found)]:
        found += pupil_views(request, Pupil.objects.filter(school=request.school, pk__in=extra))
    if finding:  # shown again as typed, with the pupils found: nothing is checked or saved
        typed = {name: data.get(name, "") for name in SharingForm.base_fields}
        typed |= {"pupils": chosen, "members": data.getlist("members")}
        form = SharingForm(initial=typed, school=request.school, pupils=found)
    else:
        form = SharingForm(data, school=request.school, pupils=found)
    if data is not None and not finding and form.is_valid():
        d = form.cleaned_data
        try:
            entry = sharing.log_sharing(
                request.actor,
                shared_at=d["shared_at"], recipient=d["recipient"], organisation=d["organisation"],
                what=d["what"], pupils=list(d["pupils"]), members=list(d["members"]),
                about_others=d["about_others"], lawful_basis=d["lawful_basis"],
                special_condition=d["special_condition"], why=d["why"], how=d["how"],
                approved_by=d["approved_by"],
            )  # fmt: skip
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "The disclosure is in the log.")
            return redirect("sharing_detail", school=request.school.slug, pk=entry.pk)
    status = 400 if data is not None and not finding and form.errors else 200
    return render(request, "privacy/sharing_add.html", {"form": form, "finding": finding}, status=status)


def _sharing_page(request, entry, form=None, status=200):
    may_complete = bool(may_complete_sharing.peek(request.actor, subject=entry))
    if may_complete and form is None:
        initial = {
            "lawful_basis": entry.lawful_basis,
            "special_condition": entry.special_condition,
            "why": entry.why,
            "how": entry.how,
            "approved_by": entry.approved_by_id,
        }
        form = SharingCompleteForm(school=request.school, initial=initial)
    context = {
        "entry": entry,
        "pupils": pupil_views(request, entry.about_pupils.all()),
        "members": entry.about_members.select_related("user"),
        "form": form if may_complete else None,
    }
    return render(request, "privacy/sharing_detail.html", context, status=status)


@require_safe
def sharing_detail(request, school, pk):
    return _sharing_page(request, get_sharing(request, pk))


@require_http_methods(["GET", "POST"])
def sharing_complete(request, school, pk):
    entry = get_sharing(request, pk)
    if request.method == "GET":
        return _sharing_page(request, entry)
    form = SharingCompleteForm(request.POST, school=request.school)
    if form.is_valid():
        try:
            sharing.complete_sharing(request.actor, entry, **form.cleaned_data)
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "The disclosure is logged.")
            return redirect("sharing_detail", school=request.school.slug, pk=entry.pk)
    entry.refresh_from_db()
    if not may_complete_sharing.peek(request.actor, subject=entry):
        form = None
        messages.error(request, "This disclosure is logged already: the log is added to, not changed (§8)")
    return _sharing_page(request, entry, form, status=400)


# --- The record of processing and the DPIA ---------------------------------------------------------------------
