from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.access import allowed_for
from saferstaff.accounts.stepup import signed_in_through, step_up
from saferstaff.audit.log import record
from saferstaff.links import school_urls
from saferstaff.paging import page_of
from saferstaff.rows import draw
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.signin import sign_in_set_up
from saferstaff.schools.access import (
    DATE_OF_BIRTH,
    UPN,
    fields_for,
    get_member,
    get_pupil_view,
    kept_page,
    places_of,
    pupil_change_views,
    pupil_views,
    search_pupils,
    sees_pupils,
    warnings_for,
    year_groups,
)
from saferstaff.schools.forms import (
    RecordsFileForm,
    RolesForm,
    SchoolForm,
    SchoolSettingsForm,
    SignInRequiredForm,
    StaffForm,
)
from saferstaff.schools.models import Membership, Pupil, RosterImport, SchoolSettings
from saferstaff.schools.rosters.detect import check_file_size
from saferstaff.schools.rosters.records import RosterError
from saferstaff.schools.rosters.service import apply_import, discard_import, preview_import, stage_upload
from saferstaff.schools.setup import create_school
from saferstaff.schools.signin import set_sign_in_required
from saferstaff.schools.staff import (
    AlreadyOnStaff,
    StaffImportError,
    accept_invitation,
    add_staff,
    change_roles,
    import_staff,
    mark_as_left,
)


@require_safe
def home(request):
    memberships, invitations, trusts = places_of(request.user)
    if len(memberships) == 1 and not trusts and not invitations:
        return redirect("school_dashboard", school=memberships[0].school.slug)
    if len(trusts) == 1 and not memberships and not invitations:
        return redirect("trust_dashboard", trust=trusts[0].slug)
    return choose_school(request)


@require_safe
def choose_school(request):
    memberships, invitations, trusts = places_of(request.user)
    return render(
        request,
        "schools/choose_school.html",
        {"memberships": memberships, "invitations": invitations, "trusts": trusts},
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request, pk):
    # Only the invited person's own waiting invitation: anyone else's is a 404.
    invitation = get_object_or_404(
        Membership.objects.select_related("school").prefetch_related("role_grants"),
        pk=pk,
        user=request.user,
        invited_at__isnull=False,
        ended_on__isnull=True,
    )
    if request.method == "POST":
        accept_invitation(invitation, by=request.user)
        messages.success(request, f"You have joined {invitation.school.name}.")
        return redirect("school_dashboard", school=invitation.school.slug)
    return render(request, "schools/invitation_accept.html", {"invitation": invitation})


@require_safe
def staff_list(request, school):
    members = (
        Membership.objects.filter(school=request.school)
        .select_related("user")
        .prefetch_related("role_grants")
        .order_by("ended_on", "user__last_name", "user__first_name")
    )
    show = "all" if request.GET.get("show") == "all" else "current"
    if show != "all":
        members = members.filter(ended_on__isnull=True)
    page = page_of(request, members, 50)
    return render(request, "schools/staff_list.html", {"page": page, "show": show})


@require_safe
def staff_detail(request, school, pk):
    member = get_member(request, pk)
    record("membership.viewed", member)
    return render(
        request,
        "schools/staff_detail.html",
        {
            "member": member,
            "can_change_roles": allowed_for("staff_roles", request.roles) and member.ended_on is None,
            "can_mark_as_left": allowed_for("staff_leave", request.roles) and member.ended_on is None,
        },
    )


@require_http_methods(["GET", "POST"])
def staff_roles(request, school, pk):
    member = get_member(request, pk)
    if confirm := step_up(request, "changing someone's roles"):
        return confirm
    initial = {
        "roles": sorted(member.roles),
        "is_chair_of_governors": member.is_chair_of_governors,
        "line_manager": member.line_manager_id,
    }
    form = RolesForm(request.POST or None, membership=member, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = change_roles(
                member,
                roles=set(form.cleaned_data["roles"]),
                is_chair_of_governors=form.cleaned_data["is_chair_of_governors"],
                line_manager=form.cleaned_data["line_manager"],
                by=request.user,
            )
        except Refused as exc:
            for reason in exc.decision.reasons:
                form.add_error(reason.field or "roles", str(reason))
        else:
            if changed:
                messages.success(request, f"Roles for {member.listed_name} saved.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("staff_detail", school=request.school.slug, pk=member.pk)
    return render(request, "schools/staff_roles.html", {"member": member, "form": form})


@require_http_methods(["GET", "POST"])
def staff_leave(request, school, pk):
    member = get_member(request, pk)
    if confirm := step_up(request, "recording that someone has left"):
        return confirm
    error = ""
    if request.method == "POST":
        try:
            mark_as_left(member, by=request.user)
        except Refused as exc:
            error = exc.decision.summary
        else:
            messages.success(
                request, f"{member.listed_name} is recorded as having left. Their access has ended."
            )
            return redirect("staff_detail", school=request.school.slug, pk=member.pk)
    return render(request, "schools/staff_leave.html", {"member": member, "error": error})


@require_http_methods(["GET", "POST"])
def staff_add(request, school):
    if confirm := step_up(request, "adding staff"):  # it grants roles: the same step-up as changing them
        return confirm
    form = StaffForm(request.POST or None)
    already = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = add_staff(
                request.school,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                job_title=data["job_title"],
                employment_type=data["employment_type"],
                roles=set(data["roles"]),
                by=request.user,
            )
        except Refused as exc:
            form.add_error("roles", exc.decision.summary)
        except AlreadyOnStaff as exc:
            form.add_error("email", "This person is already on the staff here: nothing was changed")
            already = exc.membership
        else:
            # The same words whether or not the address has an account anywhere (never say which).
            typed = f"{data['first_name']} {data['last_name']}"
            messages.success(request, f"{typed} has been invited. We have emailed {data['email']}.")
            return redirect("staff_detail", school=request.school.slug, pk=member.pk)
    return render(request, "schools/staff_add.html", {"form": form, "already": already})


@require_http_methods(["GET", "POST"])
def staff_import(request, school):
    if confirm := step_up(request, "importing staff"):
        return confirm
    form = RecordsFileForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            problems = [
                "The file is larger than 2 MB: a staff list is much smaller. Check you chose the right file."
            ]
        else:
            try:
                memberships = import_staff(request.school, upload.read(), by=request.user)
            except StaffImportError as exc:
                problems = exc.problems
            else:
                messages.success(
                    request, f"{len(memberships)} staff imported. New staff have been emailed an invitation."
                )
                return redirect("staff_list", school=request.school.slug)
    return render(request, "schools/staff_import.html", {"form": form, "problems": problems})


@require_safe
def pupil_list(request, school):
    fields = fields_for(request)
    pupils = Pupil.objects.filter(school=request.school)
    q = request.GET.get("q", "").strip()[:100]
    if q:
        pupils = search_pupils(pupils, q, fields)
    year = request.GET.get("year", "")
    if year:
        pupils = pupils.filter(year_group=year)
    show = "all" if request.GET.get("show") == "all" else "current"
    if show != "all":
        pupils = pupils.current()
    years = year_groups(request.school)
    link = school_urls("pupil_detail", request.school.slug)

    def drawn(page):
        rows = [(p, link(p.pk)) for p in pupil_views(request, page.object_list)]
        return draw("schools/pupil_rows.jinja", rows=rows, fields=fields)

    page, rows = kept_page("pupil-list", request, pupils, 50, drawn, q=q, year=year, show=show)
    record("pupil.listed", ("schools.school", request.school.pk), detail={"page": page.number})
    return render(
        request,
        "schools/pupil_list.html",
        {
            "page": page,
            "rows": rows,
            "fields": fields,
            "columns": 2 + len(fields & {DATE_OF_BIRTH, UPN}),
            "q": q,
            "year": year,
            "years": years,
            "show": show,
        },
    )


@require_safe
def pupil_detail(request, school, pk):
    return render(request, "schools/pupil_detail.html", {"pupil": get_pupil_view(request, pk)})


@require_http_methods(["GET", "POST"])
def roster_upload(request, school):
    form = RecordsFileForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_file_size(upload.size)  # before reading a byte of it
            staged, _plan = stage_upload(request.school, upload.name, upload.read(), request.user)
        except RosterError as exc:
            problems = [str(p) for p in exc.problems]
        else:
            return redirect("roster_preview", school=request.school.slug, pk=staged.pk)
    history = RosterImport.objects.filter(school=request.school).select_related("uploaded_by")[:10]
    return render(
        request, "schools/roster_upload.html", {"form": form, "problems": problems, "history": history}
    )


@require_http_methods(["GET", "POST"])
def roster_preview(request, school, pk):
    staged = get_object_or_404(RosterImport, school=request.school, pk=pk)
    if request.method == "POST":
        if staged.status != RosterImport.Status.PREVIEWED:
            messages.info(request, "This import was already dealt with.")
            return redirect("roster_upload", school=request.school.slug)
        if request.POST.get("action") == "discard":
            discard_import(staged, request.user)
            messages.info(request, "The import was discarded. Nothing was changed.")
            return redirect("roster_upload", school=request.school.slug)
        if confirm := step_up(request, "applying a pupil import"):  # it changes many pupils' records
            return confirm
        try:
            counts = apply_import(staged, request.user)
        except RosterError as exc:
            messages.error(request, "; ".join(str(p) for p in exc.problems))
            return redirect("roster_upload", school=request.school.slug)
        messages.success(
            request,
            f"Import applied: {counts.get('new', 0)} new, {counts.get('updated', 0)} updated, "
            f"{counts.get('returning', 0)} returning, {counts.get('leaving', 0)} marked as leaving.",
        )
        return redirect("pupil_list", school=request.school.slug)
    plan, problems, pupils, warnings = None, [], {}, []
    if staged.status == RosterImport.Status.PREVIEWED:
        try:
            plan = preview_import(staged)
        except RosterError as exc:
            problems = [str(p) for p in exc.problems]
    if plan is not None:
        # §8: each changed detail only to those who may see it; the preview is one audit row of the pupils shown.
        fields = fields_for(request)
        groups = ("new", "updated", "returning", "leaving")
        pupils = {group: pupil_change_views(getattr(plan, group), fields) for group in groups}
        warnings = warnings_for(plan.warnings, fields)
        shown = sorted(p.pk for views in pupils.values() for p in views if p.pk is not None)
        record("roster.previewed", staged, detail={"pupils": shown})
    return render(
        request,
        "schools/roster_preview.html",
        {
            "staged": staged,
            "plan": plan,
            "problems": problems,
            "pupils": pupils,
            "warnings": warnings,
            "sees_pupils": sees_pupils(request),
        },
    )


@require_http_methods(["GET", "POST"])
def school_settings(request, school):
    if confirm := step_up(request, "changing the school's settings"):
        return confirm
    settings_obj = SchoolSettings.for_school(request.school)
    form = SchoolSettingsForm(request.POST or None, instance=settings_obj)
    if request.method == "POST" and form.is_valid():
        form.save()
        record("settings.changed", settings_obj, school=request.school, detail={"fields": form.changed_data})
        messages.success(request, "Settings saved.")
        return redirect("school_settings", school=request.school.slug)
    sign_in = SignInRequiredForm(initial={"required": "yes" if request.school.sign_in_required else "no"})
    return render(request, "schools/settings.html", {"form": form, **_sign_in(request.school, sign_in)})


def _sign_in(school, form) -> dict:
    """What the settings page and the sign-in page show of how staff sign in: the form, and whether the
    school's own sign-in is set up (or what is wrong with it)."""
    return {"sign_in_form": form, "sign_in_setup": sign_in_set_up.peek(school)}


@require_http_methods(["GET", "POST"])
def school_sign_in(request, school):
    """Whether the school's staff must sign in with its own Microsoft 365 / Google Workspace account."""
    if confirm := step_up(request, "changing how staff sign in"):
        return confirm
    current = "yes" if request.school.sign_in_required else "no"
    form = SignInRequiredForm(request.POST or None, initial={"required": current})
    if request.method == "POST" and form.is_valid():
        try:
            set_sign_in_required(
                request.school,
                required=form.cleaned_data["required"],
                by=request.actor,
                through_provider=signed_in_through(request, request.school.sign_in_provider),
            )
        except Refused as refusal:
            show_on_form(form, refusal.decision)
        else:
            messages.success(request, "How staff sign in is saved.")
            return redirect("school_sign_in", school=request.school.slug)
    return render(request, "schools/sign_in.html", _sign_in(request.school, form))


# --- Trust / Local Authority pages ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def school_create(request, trust):
    if confirm := step_up(request, "setting up a school"):
        return confirm
    form = SchoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        school = create_school(trust=request.trust, by=request.user, **form.cleaned_data)
        messages.success(request, f"{school.name} is set up. Now invite its Headteacher.")
        return redirect("staff_add", school=school.slug)
    return render(request, "schools/school_create.html", {"form": form, "trust": request.trust})
