"""§8: "who saw my child's record?" — for a pupil or a member of staff, who opened, listed, exported or downloaded
any record saferstaff holds about them (``privacy.seen``), for the officers; nobody reads it about themselves."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from saferstaff.audit.log import record
from saferstaff.audit.trail import rows_for
from saferstaff.paging import page_of
from saferstaff.privacy.forms.requests import SeenSearchForm
from saferstaff.privacy.holdings import held_about
from saferstaff.privacy.seen import seen_events
from saferstaff.privacy.views.requests import PICKER_SIZE
from saferstaff.rules.privacy import may_see_who_saw
from saferstaff.schools.access import fields_for, get_member, pupil_view, pupil_views, search_pupils
from saferstaff.schools.models import Membership, Pupil


@require_safe
def seen_search(request, school):
    if not may_see_who_saw.peek(request.actor):
        raise Http404("Not yours to see")
    form = SeenSearchForm(request.GET or None)
    pupils, staff = [], []
    if form.is_valid() and (q := form.cleaned_data["q"].strip()):
        found = list(
            search_pupils(Pupil.objects.filter(school=request.school), q, fields_for(request))[:PICKER_SIZE]
        )
        pupils = pupil_views(request, found)
        words = q.split()
        members = Membership.objects.filter(school=request.school).select_related("user")
        for word in words:
            members = members.filter(
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(invited_name__icontains=word)
            )
        staff = list(members.order_by("user__last_name", "pk")[:PICKER_SIZE])
        record("pupil.listed", ("schools.school", request.school.pk), detail={"found": len(found)})
    return render(request, "privacy/seen_search.html", {"form": form, "pupils": pupils, "staff": staff})


def _seen(request, *, pupil=None, member=None, name: str):
    held = held_about(request.school, pupil=pupil, member=member, reader=request.actor)
    page = page_of(request, seen_events(request.school, held, request.actor), 50)
    rows = rows_for(request.school, request.roles, page.object_list)
    record("privacy.seen.viewed", pupil or member, detail={"page": page.number})
    return render(
        request, "privacy/seen_person.html", {"name": name, "rows": rows, "page": page, "held": len(held)}
    )


@require_safe
def seen_pupil(request, school, pk):
    pupil = get_object_or_404(Pupil, school=request.school, pk=pk)
    if not may_see_who_saw(request.actor):
        raise Http404("Not yours to see")
    return _seen(request, pupil=pupil, name=pupil_view(pupil, fields_for(request)).name)


@require_safe
def seen_member(request, school, pk):
    member = get_member(request, pk)
    if not may_see_who_saw(request.actor, member_id=member.pk):
        raise Http404("Not yours to see")
    return _seen(request, member=member, name=member.listed_name)
