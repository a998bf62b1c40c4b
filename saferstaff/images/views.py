"""§5 pages. Thin: each view finds its object through ``images.access``, asks the rules (via
``images.service``) and renders. Guardians use the portal pages, which need a signed link instead of an
account."""

import csv
import io
import zipfile

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff import scans
from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import listed_in, record
from saferstaff.images import publishing, service
from saferstaff.images.access import (
    activities_for,
    get_activity,
    get_image,
    get_publication_request,
    get_takedown,
    images_for,
    is_senior,
    may_change,
    sees_all,
)
from saferstaff.images.blurring import crop_jpeg
from saferstaff.images.consent import short_name, states_for
from saferstaff.images.files import EXTENSIONS, FileProblem, zip_members
from saferstaff.images.forms import (
    ActivityForm,
    ConsentAnswerForm,
    DecisionForm,
    DeviceForm,
    HoldForm,
    MisPhotosForm,
    PublishForm,
    PurposeForm,
    TakedownForm,
    UploadForm,
)
from saferstaff.images.library import UploadProblems, add_images
from saferstaff.images.models import (
    Activity,
    ActivityPupil,
    ConsentRecord,
    Destruction,
    Device,
    Image,
    ImageTag,
    PortalLink,
    Publication,
    PublicationRequest,
    Purpose,
    Takedown,
)
from saferstaff.images.rules import (
    SELF_APPROVED,
    may_approve_publication,
    may_clear_flag,
    may_decide_activity,
    may_remove_tag,
    outside_the_group,
    photograph_list,
)
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.policy.models import SchoolSettings
from saferstaff.schools.access import (
    GUARDIAN_CONTACTS,
    UPN,
    fields_for,
    get_pupil,
    pupil_view,
    pupil_views,
    search_pupils,
)
from saferstaff.schools.models import Guardian, Guardianship, Pupil

# --- Consent register -------------------------------------------------------------------------------------


def consent_register(request, school):
    purposes = list(Purpose.objects.filter(school=request.school, active=True))
    pupils = Pupil.objects.filter(school=request.school).current().order_by("legal_surname", "legal_forename")
    year = request.GET.get("year", "")
    if year:
        pupils = pupils.filter(year_group=year)
    q = request.GET.get("q", "").strip()
    if q:
        pupils = search_pupils(pupils, q, fields_for(request))
    page = page_of(request, pupils, 50)
    states = states_for(request.school, page.object_list, purposes)
    views = pupil_views(request, page.object_list)
    rows = [(p, [states[(p.pk, u.pk)] for u in purposes]) for p in views]
    years = Pupil.objects.filter(school=request.school).current().year_groups()
    record("images.consent.register_viewed", None, detail={"pupils": [p.pk for p in page.object_list]})
    return render(
        request,
        "images/consent_register.html",
        {
            "purposes": purposes,
            "rows": rows,
            "page": page,
            "years": years,
            "year": year,
            "q": q,
            "by_upn": UPN in fields_for(request),
        },
    )


def pupil_consent(request, school, pk):
    pupil = get_pupil(request, pk)
    return _pupil_consent_page(request, pupil, ConsentAnswerForm(school=request.school, pupil=pupil))


def _pupil_consent_page(request, pupil, form, problems=(), status=200):
    """A pupil's consent now, every answer recorded, and the form to record another."""
    purposes = list(Purpose.objects.filter(school=request.school, active=True))
    states = states_for(request.school, [pupil], purposes)
    history = (
        ConsentRecord.objects.filter(school=request.school, pupil=pupil)
        .select_related("purpose", "guardian", "recorded_by")
        .order_by("-recorded_at", "-pk")
    )
    return render(
        request,
        "images/pupil_consent.html",
        {
            "pupil": pupil_view(pupil, fields_for(request)),
            "current": [(u, states[(pupil.pk, u.pk)]) for u in purposes],
            "history": history,
            "form": form,
            "problems": problems,
        },
        status=status,
    )


@require_POST
def consent_record(request, school, pk):
    pupil = get_pupil(request, pk)
    form = ConsentAnswerForm(request.POST, request.FILES, school=request.school, pupil=pupil)
    problems = []
    if form.is_valid():
        d = form.cleaned_data
        answers = [service.Answer(pupil, purpose, d["answer"]) for purpose in d["purposes"]]
        try:
            service.record_answers(
                request.school,
                answers,
                source=d["source"],
                method=d["method"],
                guardian=d["guardian"] if d["source"] == ConsentRecord.Source.GUARDIAN else None,
                by=request.user,
                evidence=d["evidence"],
                note=d["note"],
            )
        except service.Refused as exc:
            problems = [str(r) for r in exc.decision.reasons]
        else:
            messages.success(request, f"Recorded {len(answers)} answer{'s' if len(answers) != 1 else ''}.")
            return redirect("pupil_consent", school=request.school.slug, pk=pupil.pk)
    return _pupil_consent_page(request, pupil, form, problems, status=400)


@require_http_methods(["GET", "POST"])
def consent_purposes(request, school, pk=None):
    """The school's list of uses it asks consent for (seeded from §5; the school adds its own)."""
    purpose = (
        get_object_or_404(Purpose, school=request.school, pk=pk) if pk else Purpose(school=request.school)
    )
    if purpose.biometric:
        raise PermissionDenied  # set by law (PoFA 2012), not by the school
    form = PurposeForm(request.POST or None, instance=purpose)
    if request.method == "POST" and form.is_valid():
        purpose = form.save(commit=False)
        if not purpose.code:
            from django.utils.text import slugify

            base = slugify(purpose.name)[:30] or "use"
            code, n = base, 1
            while Purpose.objects.filter(school=request.school, code=code).exists():
                n += 1
                code = f"{base}-{n}"
            purpose.code = code
            purpose.position = Purpose.objects.filter(school=request.school).count()
        purpose.save()
        record("images.purpose.saved", purpose)
        messages.success(request, f"Saved '{purpose.name}'.")
        return redirect("consent_purposes", school=request.school.slug)
    purposes = Purpose.objects.filter(school=request.school)
    return render(
        request, "images/consent_purposes.html", {"form": form, "purpose": purpose, "purposes": purposes}
    )


def consent_evidence(request, school, pk):
    r = get_object_or_404(ConsentRecord, school=request.school, pk=pk)
    return scans.audited_download(
        r, r.evidence, action="images.consent.evidence_viewed", stem=f"consent-{r.pk}"
    )


def _guardians_to_ask(school):
    """Guardians with an email address and parental responsibility for a pupil on roll."""
    on_roll = Guardianship.objects.filter(
        guardian=OuterRef("pk"),
        parental_responsibility=True,
        pupil__in=Pupil.objects.filter(school=school).current(),
    )
    return Guardian.objects.filter(school=school).exclude(email="").filter(Exists(on_roll))


@require_http_methods(["GET", "POST"])
def portal_links(request, school):
    if confirm := step_up(request, "sending consent links to guardians"):  # the page asks first
        return confirm
    guardians = _guardians_to_ask(request.school).order_by("surname", "forename")
    if request.method == "POST":
        which = request.POST.get("send")
        chosen = guardians
        if which == "unsent":
            live = PortalLink.objects.filter(
                guardian=OuterRef("pk"), revoked_at__isnull=True, expires_at__gt=timezone.now()
            )
            chosen = guardians.exclude(Exists(live))
        elif which == "selected":
            chosen = guardians.filter(
                pk__in=[i for i in map(parse_id, request.POST.getlist("guardian")) if i is not None]
            )
        elif which != "all":
            raise PermissionDenied
        n = service.send_portal_links(request.school, list(chosen), by=request.user)
        messages.success(request, f"Sent {n} link{'s' if n != 1 else ''} by email.")
        return redirect("portal_links", school=request.school.slug)
    latest = {}
    for link in PortalLink.objects.filter(school=request.school, revoked_at__isnull=True):
        latest[link.guardian_id] = link
    no_email = Guardian.objects.filter(school=request.school, email="").count()
    page = page_of(request, guardians, 100)
    rows = [(g, latest.get(g.pk)) for g in page.object_list]
    return render(
        request,
        "images/portal_links.html",
        {
            "rows": rows,
            "page": page,
            "no_email": no_email,
            "without_pr": _contacts_without_responsibility(request.school).count(),
            "link_days": settings.PORTAL_LINK_DAYS,
            "now": timezone.now(),
            # §8: guardians' addresses only for those who need them
            "contacts": GUARDIAN_CONTACTS in fields_for(request),
        },
    )


def _contacts_without_responsibility(school):
    """Contacts of pupils on roll who hold parental responsibility for none of them: not asked (§5)."""
    on_roll = Pupil.objects.filter(school=school).current()
    responsible = Guardianship.objects.filter(
        guardian=OuterRef("pk"), parental_responsibility=True, pupil__in=on_roll
    )
    return (
        Guardian.objects.filter(school=school, guardianships__pupil__in=on_roll)
        .exclude(Exists(responsible))
        .distinct()
    )


# --- Guardian portal (no account: a signed link) -----------------------------------------------------------


def _portal_children(link):
    """The guardian's children with parental responsibility — those who have left too: consent can still
    be withdrawn for the images the school holds of them."""
    return list(
        Pupil.objects.filter(
            school=link.school,
            guardianships__guardian=link.guardian,
            guardianships__parental_responsibility=True,
        ).order_by("date_of_birth")
    )


def _portal_error(request, message, status=403):
    return render(request, "images/portal_error.html", {"message": message}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def portal(request, token):
    try:
        link = service.open_portal_link(token)
    except service.PortalLinkError as exc:
        return _portal_error(request, str(exc))
    if request.method == "GET":
        record("images.portal.opened", link, school=link.school_id)
    children = _portal_children(link)
    if not children:
        return _portal_error(
            request,
            "The school's records do not show you as having parental responsibility for a child at the school, "
            "so you cannot give or withdraw consent here. Please contact the school office.",
        )
    purposes = list(Purpose.objects.filter(school=link.school, active=True))
    mine = {}
    today = timezone.localdate()
    for r in ConsentRecord.objects.filter(
        school=link.school, guardian=link.guardian, pupil__in=children, source=ConsentRecord.Source.GUARDIAN
    ).order_by("recorded_at", "pk"):
        mine[(r.pupil_id, r.purpose_id)] = r.answer if (r.expires_on is None or r.expires_on >= today) else ""
    errors = []
    if request.method == "POST":
        allowed_ids = {c.pk for c in children}
        purpose_ids = {u.pk: u for u in purposes}
        answers = []
        for key, value in request.POST.items():
            if not key.startswith("c-"):
                continue
            try:
                _, pupil_id, purpose_id = key.split("-")
                pupil_id, purpose_id = int(pupil_id), int(purpose_id)
            except ValueError:
                return _portal_error(
                    request, "The form was not sent as the school made it. Open your link again.", 400
                )
            if pupil_id not in allowed_ids or purpose_id not in purpose_ids:
                # A link only ever covers the guardian's own children: nothing is saved.
                record("images.portal.refused", link, detail={"pupil": pupil_id})
                return _portal_error(
                    request,
                    "This link can only be used for your own children. Nothing was saved. Open the link from "
                    "your own email to give your choices.",
                )
            if value not in (ConsentRecord.Answer.YES, ConsentRecord.Answer.NO):
                continue
            if mine.get((pupil_id, purpose_id)) != value:
                child = next(c for c in children if c.pk == pupil_id)
                answers.append(service.Answer(child, purpose_ids[purpose_id], value))
        if not answers:
            errors.append("You have not changed any answer. Choose yes or no for a use, then save.")
        else:
            try:
                _records, receipt = service.record_answers(
                    link.school,
                    answers,
                    source=ConsentRecord.Source.GUARDIAN,
                    method=ConsentRecord.Method.PORTAL,
                    guardian=link.guardian,
                )
            except service.Refused as exc:
                return _portal_error(
                    request, " ".join(r.text for r in exc.decision.reasons) + ". Nothing was saved."
                )
            PortalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
            from saferstaff.images.tasks import email_portal_receipt

            transaction.on_commit(lambda: email_portal_receipt.enqueue(link.pk, receipt))
            return redirect("portal_receipt", token=token, receipt=receipt)
    rows = [(child, [(u, mine.get((child.pk, u.pk), "")) for u in purposes]) for child in children]
    return render(
        request,
        "images/portal.html",
        {
            "link": link,
            "rows": rows,
            "errors": errors,
            "school_name": link.school.name,
            "voice_age": SchoolSettings.for_school(link.school).pupil_voice_age,
        },
    )


@never_cache
def portal_receipt(request, token, receipt):
    try:
        link = service.open_portal_link(token)
    except service.PortalLinkError as exc:
        return _portal_error(request, str(exc))
    records = ConsentRecord.objects.filter(
        school=link.school, guardian=link.guardian, receipt=receipt
    ).select_related("pupil", "purpose")
    if not records:
        # Our own page, not a bare 404: a guardian who mistypes a reference is told what to do.
        return _portal_error(
            request,
            "There is no receipt with this reference for your link. Check the reference in your email, or "
            "open your link again to see your choices.",
            status=404,
        )
    return render(
        request,
        "images/portal_receipt.html",
        {"link": link, "records": records, "receipt": receipt, "token": token},
    )


# --- Devices ------------------------------------------------------------------------------------------------


def device_list(request, school):
    devices = (
        Device.objects.filter(school=request.school)
        .select_related("lent_to__user")
        .annotate(n=Count("images"))
    )
    return render(request, "images/device_list.html", {"devices": devices})


@require_http_methods(["GET", "POST"])
def device_edit(request, school, pk=None):
    device = get_object_or_404(Device, school=request.school, pk=pk) if pk else Device(school=request.school)
    form = DeviceForm(request.POST or None, instance=device, school=request.school)
    if request.method == "POST" and form.is_valid():
        device = form.save()
        record("images.device.saved", device)
        messages.success(request, f"Saved {device.asset_tag}.")
        return redirect("device_list", school=request.school.slug)
    return render(request, "images/device_edit.html", {"form": form, "device": device})


# --- Photo activities ------------------------------------------------------------------------------------------


def activity_list(request, school):
    activities = activities_for(request).select_related("requested_by", "device").annotate(n=Count("images"))
    waiting = (
        activities.filter(status=Activity.Status.REQUESTED) if is_senior(request) else Activity.objects.none()
    )
    return render(
        request,
        "images/activity_list.html",
        {"activities": activities, "waiting": waiting, "senior": is_senior(request)},
    )


@require_http_methods(["GET", "POST"])
def activity_new(request, school):
    years = Pupil.objects.filter(school=request.school).current().year_groups()
    if not Device.objects.filter(school=request.school, retired_on__isnull=True).exists():
        messages.info(
            request, "Add the school's cameras to the device register first (§5: school equipment only)."
        )
    form = ActivityForm(request.POST or None, school=request.school, year_groups=years)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            activity = form.save(commit=False)
            activity.school = request.school
            activity.requested_by = request.user
            activity.save()
            form.save_m2m()
            pupils = Pupil.objects.filter(
                school=request.school, year_group__in=form.cleaned_data["year_groups"]
            ).current()
            ActivityPupil.objects.bulk_create(
                [ActivityPupil(school=request.school, activity=activity, pupil=p) for p in pupils]
            )
            record("images.activity.requested", activity)
        _tell_approvers(request, activity)
        messages.success(request, "Sent to senior management for approval.")
        return redirect("activity_detail", school=request.school.slug, pk=activity.pk)
    return render(request, "images/activity_new.html", {"form": form})


def _tell_approvers(request, activity):
    service.tell_senior_management(
        request.school,
        title=f"{activity.title} on {activity.happens_on.day} {activity.happens_on:%B %Y} is waiting for your "
        "approval (§5)",
        url=reverse("activity_detail", kwargs={"school": request.school.slug, "pk": activity.pk}),
        kind="images.activity",
        except_user=request.user,
    )


def activity_detail(request, school, pk):
    activity = get_activity(request, pk)
    images = activity.images.annotate(tag_count=Count("tags")).order_by("-captured_at", "-pk")
    page = page_of(request, images, 48)
    decision = may_decide_activity.__wrapped__(request.user, subject=activity) if is_senior(request) else None
    listing = record("images.listed", activity, detail={"images": [i.pk for i in page.object_list]})
    return render(
        request,
        "images/activity_detail.html",
        {
            "activity": activity,
            "page": page,
            "listing": listing,
            "decision_form": DecisionForm() if decision else None,
            "refused_decision": decision,
            "group_size": activity.pupils.count(),
            "can_upload": activity.status == Activity.Status.APPROVED and may_change(request, activity),
            "self_approved_reason": SELF_APPROVED,
        },
    )


@require_POST
def activity_decide(request, school, pk):
    activity = get_activity(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Decision: choose whether to approve the activity.")
        return redirect("activity_detail", school=request.school.slug, pk=activity.pk)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decision = service.decide_activity(
            activity, by=request.user, approve=approve, note=form.cleaned_data["note"]
        )
    except service.Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        text = "Approved." if approve else "Not approved; the photographer has been told."
        if approve and SELF_APPROVED in decision.reasons:
            text = f"Approved and recorded as self-approved: {SELF_APPROVED}."
        messages.success(request, text)
    return redirect("activity_detail", school=request.school.slug, pk=activity.pk)


def activity_checklist(request, school, pk):
    activity = get_activity(request, pk)
    rows = photograph_list(activity)
    record("images.activity.checklist_viewed", activity)
    return render(
        request,
        "images/activity_checklist.html",
        {
            "activity": activity,
            "do_not": [r for r in rows if not r[1]],
            "may": [r for r in rows if r[1]],
            "purposes": activity.purposes.all(),
        },
    )


@require_http_methods(["GET", "POST"])
def activity_upload(request, school, pk):
    activity = get_activity(request, pk, change=True)
    if activity.status != Activity.Status.APPROVED:
        messages.error(request, "Senior management must approve the activity before images are added (§5).")
        return redirect("activity_detail", school=request.school.slug, pk=activity.pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            images = add_images(activity, _uploaded_files(form.cleaned_data["files"]), by=request.user)
        except UploadProblems as exc:
            problems = [str(p) for p in exc.problems]
        except FileProblem as exc:
            problems = [str(exc)]
        else:
            unregistered = sum(1 for i in images if i.flag == Image.Flag.UNREGISTERED)
            no_camera = sum(1 for i in images if i.flag == Image.Flag.NO_CAMERA)
            text = f"Added {len(images)} image{'s' if len(images) != 1 else ''}."
            if images.already:
                names = ", ".join(images.already[:10]) + (
                    f" and {len(images.already) - 10} more" if len(images.already) > 10 else ""
                )
                text += f" Already in this activity, so not added again: {names}."
            if unregistered:
                text += f" {unregistered} came from a camera not in the device register"
            if no_camera:
                text += f"{';' if unregistered else ''} {no_camera} had no camera details"
            if unregistered or no_camera:
                text += ": senior management has been told (§6)."
            messages.success(request, text)
            url = reverse("activity_detail", kwargs={"school": request.school.slug, "pk": activity.pk})
            if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                # The page's upload script goes there itself: an XHR following a redirect would show (and
                # use up) the message out of sight.
                return HttpResponse(status=204, headers={"X-Location": url})
            return redirect(url)
    status = 400 if problems or form.errors else 200
    return render(
        request,
        "images/activity_upload.html",
        {"activity": activity, "form": form, "problems": problems},
        status=status,
    )


def _uploaded_files(files):
    for f in files:
        if f.name.lower().endswith(".zip"):
            yield from zip_members(f.name, f.file)
        else:
            limit = 1 + max(settings.IMAGE_MAX_BYTES, settings.VIDEO_MAX_BYTES)
            if f.size >= limit:
                raise FileProblem(f.name, f"is {f.size // 1024 // 1024} MB: too big to take.")
            yield f.name, f.read()


# --- Image library -------------------------------------------------------------------------------------------


def image_list(request, school):
    images = (
        images_for(request)
        .select_related("activity", "device", "uploaded_by")
        .annotate(tag_count=Count("tags"))
        .order_by("-captured_at", "-pk")
    )
    filters = {}
    for key, field in (
        ("activity", "activity_id"),
        ("device", "device_id"),
        ("photographer", "uploaded_by_id"),
    ):
        value = parse_id(request.GET.get(key))
        if value is not None:
            images = images.filter(**{field: value})
            filters[key] = str(value)
    pupil = parse_id(request.GET.get("pupil"))
    if pupil is not None:
        images = images.filter(tags__pupil_id=pupil)
        filters["pupil"] = str(pupil)
    if request.GET.get("flagged"):
        images = images.exclude(flag="").filter(flag_cleared_at__isnull=True)
        filters["flagged"] = "1"
    page = page_of(request, images, 48)
    # One row for the page and every thumbnail on it (the thumbnails carry its id: image_thumbnail).
    listing = record("images.listed", None, detail={"images": [i.pk for i in page.object_list]})
    ctx = {"page": page, "filters": filters, "sees_all": sees_all(request), "listing": listing}
    if sees_all(request):
        ctx.update(
            activities=Activity.objects.filter(school=request.school),
            devices=Device.objects.filter(school=request.school),
            photographers=_photographers(request.school),
            pupils=Pupil.objects.filter(school=request.school, image_tags__isnull=False).distinct(),
            flagged_count=Image.objects.filter(school=request.school, flag_cleared_at__isnull=True)
            .exclude(flag="")
            .count(),
        )
    return render(request, "images/image_list.html", ctx)


def _photographers(school):
    from saferstaff.accounts.models import User

    return User.objects.filter(pk__in=Image.objects.filter(school=school).values("uploaded_by")).order_by(
        "last_name"
    )


def image_detail(request, school, pk):
    image = get_image(request, pk)
    tags = image.tags.select_related("pupil", "tagged_by")
    group = Pupil.objects.filter(school=request.school).current().order_by("legal_surname", "legal_forename")
    return render(
        request,
        "images/image_detail.html",
        {
            "image": image,
            "tags": tags,
            "group": pupil_views(request, group),
            "publish_form": PublishForm(activity=image.activity),
            "hold_form": HoldForm(
                initial={"legal_hold": image.legal_hold, "legal_hold_reason": image.legal_hold_reason}
            ),
            "publications": image.publications.select_related("channel", "published_by"),
            "senior": is_senior(request),
            "can_change": may_change(request, image),
            "can_hold": sees_all(request),
        },
    )


def image_file(request, school, pk):
    image = get_image(request, pk, action="images.downloaded")
    return FileResponse(
        image.original.open("rb"),
        content_type=image.content_type,
        as_attachment=True,
        filename=f"image-{image.pk}.{EXTENSIONS.get(image.content_type, 'bin')}",
    )


def image_thumbnail(request, school, pk):
    listed = listed_in(request.GET.get("listing", ""), "images.listed", "images", pk)
    image = get_image(request, pk, action=None if listed else "images.thumbnail_viewed")
    if not image.thumbnail:
        raise Http404
    response = FileResponse(image.thumbnail.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _pupil_from_text(request, text: str):
    """The typeahead's value ends with '#<id>'; a name typed without choosing is looked up exactly."""
    text = text.strip()
    if "#" in text and (pk := parse_id(text.rsplit("#", 1)[1])) is not None:
        return Pupil.objects.filter(school=request.school, pk=pk).first()
    pupils = Pupil.objects.filter(school=request.school).current()
    matches = list(search_pupils(pupils, text, fields_for(request))[:2]) if text else []
    return matches[0] if len(matches) == 1 else None


@require_POST
def image_tags(request, school, pk):
    image = get_image(request, pk, action="images.tags_opened", change=True)
    if "remove" in request.POST:
        decision = may_remove_tag(request.user, subject=image)
        tag = image.tags.filter(pk=parse_id(request.POST.get("remove"))).first()
        if not decision:
            messages.error(request, decision.summary)
        elif tag:
            with transaction.atomic():
                record("images.tag.removed", image, detail={"pupil": tag.pupil_id})
                tag.delete()
    elif "no_pupils" in request.POST:
        if image.tags.exists():
            messages.error(request, "Pupils are tagged in this image.")
        else:
            Image.objects.filter(pk=image.pk).update(no_pupils=True, no_pupils_by=request.user)
            record("images.no_pupils", image, detail={"no_pupils": True})
            messages.info(
                request, "Recorded. Someone else must publish it: they check your confirmation (§5)."
            )
    else:
        pupil = _pupil_from_text(request, request.POST.get("pupil", ""))
        if pupil is None:
            messages.error(request, "Choose a pupil from the list as you type their name.")
        else:
            _tag_pupil(request, image, pupil)
    return redirect(reverse("image_detail", kwargs={"school": request.school.slug, "pk": image.pk}) + "#tags")


def _tag_pupil(request, image, pupil) -> None:
    tagged = service.tag(image, pupil, by=request.user, source=ImageTag.Source.MANUAL)
    _tagged_messages(request, image, pupil, tagged)


def _tagged_messages(request, image, pupil, tagged) -> None:
    if tagged.takedowns:
        messages.error(
            request,
            f"This image is published where {short_name(pupil)} has no consent: takedown raised (§5).",
        )
    if outside := outside_the_group(image, pupil):
        messages.warning(request, f"Tagged. {outside}.")
    if tagged.no_consent_to_photograph:
        messages.error(
            request,
            f"{short_name(pupil)} has no consent to be photographed. Senior management has been told; "
            "the image should be deleted (§5).",
        )


@require_http_methods(["GET", "POST"])
def image_publish(request, school, pk):
    image = get_image(request, pk, change=True)
    form = PublishForm(request.POST or None, activity=image.activity)
    refusal = None
    if request.method == "POST" and form.is_valid():
        req = publishing.start(
            image,
            form.cleaned_data["channel"],
            form.cleaned_data["where"],
            by=request.user,
            blur_faces=form.cleaned_data["blur_faces"],
        )
        if req.status != PublicationRequest.Status.REFUSED:
            return redirect("publication_request", school=request.school.slug, pk=req.pk)
        refusal = req.reasons_given
    return render(
        request,
        "images/image_publish.html",
        {"image": image, "form": form, "refusal": refusal, "refused": refusal is not None},
        status=409 if refusal is not None else 200,
    )


@require_http_methods(["GET", "POST"])
def publication_request(request, school, pk):
    """Every face found and what the rules decided, before anything is published; the publisher publishes
    or asks for approval here, and senior management approves here, looking at the faces (§5)."""
    req = get_publication_request(request, pk)
    mine = req.requested_by_id == request.user.pk
    problems, problem_field = [], ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "publish" and mine:
                publishing.publish(req, by=request.user)
                messages.success(
                    request, "Published. The copy carries no camera or location data, and is in the register."
                )
                return redirect("image_detail", school=request.school.slug, pk=req.image_id)
            elif action == "ask" and mine:
                if request.POST.get("confirm") != "yes":
                    problems, problem_field = (
                        ["Confirm that you have looked at every face and the reasons"],
                        "confirm",
                    )
                else:
                    publishing.ask_approval(req, by=request.user)
                    messages.success(request, "Sent to senior management for approval.")
                    return redirect("publication_request", school=request.school.slug, pk=req.pk)
            elif action in ("approve", "decline"):
                note = request.POST.get("note", "").strip()
                if action == "decline" and not note:
                    problems, problem_field = ["Say why it is not approved, for the publisher"], "note"
                else:
                    publishing.decide(req, by=request.user, approve=action == "approve", note=note)
                    messages.success(
                        request,
                        "Approved and published."
                        if action == "approve"
                        else "Not approved; the publisher has been told.",
                    )
                    return redirect("publication_request", school=request.school.slug, pk=req.pk)
            else:
                raise PermissionDenied
        except service.Refused as exc:
            problems = [str(r) for r in exc.decision.reasons]
        req.refresh_from_db()
    names = {
        p.pk: p
        for p in Pupil.objects.filter(
            school=request.school, pk__in=[f["pupil"] for f in req.faces if f["pupil"]] + req.unlocated
        )
    }
    faces = [(n, face, names.get(face["pupil"])) for n, face in enumerate(req.faces)]
    return render(
        request,
        "images/publication_request.html",
        {
            "req": req,
            "faces": faces,
            "unlocated": [names[p] for p in req.unlocated if p in names],
            "mine": mine,
            "approver": may_approve_publication.__wrapped__(request.user, subject=req).allowed,
            "problems": problems,
            "problem_field": problem_field,
        },
        status=400 if problems else 200,
    )


def publication_request_face(request, school, pk, n):
    """One face found in a photo about to be published, for the publisher and senior management to look at."""
    req = get_publication_request(request, pk)
    if not 0 <= n < len(req.faces):
        raise Http404
    image = get_image(request, req.image_id, action="images.publication.face_viewed")
    return _jpeg(crop_jpeg(image, req.faces[n]["box"]))


def publication_approvals(request, school):
    """Photos waiting for senior management's approval before they are published (§5)."""
    waiting = PublicationRequest.objects.filter(
        school=request.school, status=PublicationRequest.Status.WAITING
    ).select_related("image", "channel", "requested_by")
    return render(request, "images/publication_approvals.html", {"waiting": waiting})


def publication_copy(request, school, pk):
    pub = get_object_or_404(Publication, school=request.school, pk=pk)
    if not (sees_all(request) or pub.published_by_id == request.user.pk) or not pub.copy:
        raise Http404
    record("images.publication.downloaded", pub)
    extension = pub.copy.name.rsplit(".", 1)[-1]
    return FileResponse(
        pub.copy.open("rb"),
        content_type="video/mp4" if extension == "mp4" else "image/jpeg",
        as_attachment=True,
        filename=f"published-{pub.pk}.{extension}",
    )


@require_POST
def image_flag(request, school, pk):
    image = get_image(request, pk)
    decision = may_clear_flag(request.user, subject=image)
    note = request.POST.get("note", "").strip()[:300]
    if not decision:
        messages.error(request, decision.summary)
    elif not note:
        messages.error(
            request, "Say what you checked, e.g. 'Borrowed school iPad 7, not yet in the register'."
        )
    else:
        Image.objects.filter(pk=image.pk).update(
            flag_cleared_by=request.user, flag_cleared_at=timezone.now(), flag_note=note
        )
        record("images.flag.cleared", image)
        messages.success(request, "The flag is cleared; your note is kept with the image.")
    return redirect("image_detail", school=request.school.slug, pk=image.pk)


@require_POST
def image_hold(request, school, pk):
    image = get_image(request, pk)
    form = HoldForm(request.POST)
    if (
        form.is_valid()
        and image.legal_hold
        and not form.cleaned_data["legal_hold"]
        and not is_senior(request)
    ):
        messages.error(request, "Only the Headteacher or a senior leader releases a legal hold (§8).")
    elif form.is_valid():
        hold = form.cleaned_data["legal_hold"]
        Image.objects.filter(pk=image.pk).update(
            legal_hold=hold,
            legal_hold_reason=form.cleaned_data["legal_hold_reason"] if hold else "",
            destruction_queued_at=None if hold else image.destruction_queued_at,
        )
        record("images.legal_hold", image, detail={"hold": hold})
        messages.success(
            request, "Legal hold placed: the image will not be destroyed." if hold else "Legal hold released."
        )
    else:
        messages.error(request, "Give the reason for the hold.")
    return redirect("image_detail", school=request.school.slug, pk=image.pk)


# --- Publications and takedowns -----------------------------------------------------------------------------


def publication_list(request, school):
    pubs = Publication.objects.filter(school=request.school).select_related("channel", "published_by")
    if not sees_all(request):
        pubs = pubs.filter(published_by=request.user)
    page = page_of(request, pubs, 50)
    return render(request, "images/publication_list.html", {"page": page})


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
    return render(
        request, "images/takedown_list.html", {"rows": rows, "done": done, "senior": is_senior(request)}
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
        service.finish_takedown(
            takedown, by=request.user, note=form.cleaned_data["note"], evidence=form.cleaned_data["evidence"]
        )
        messages.success(request, "Marked as taken down. Thank you.")
        return redirect("takedown_list", school=request.school.slug)
    return render(
        request,
        "images/takedown_done.html",
        {"takedown": takedown, "form": form, "name": short_name(takedown.pupil) if takedown.pupil else ""},
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
        takedown = service.take_down(pub, by=request.user, reason=reason)
    except service.Refused as exc:
        messages.error(request, exc.decision.summary)
        return back or redirect("publication_list", school=request.school.slug)
    if takedown.assigned_to_id == request.user.pk:
        messages.info(request, "Remove it from where it was published, then say what you did.")
        return redirect("takedown_done", school=request.school.slug, pk=takedown.pk)
    messages.success(request, "Takedown raised: the person who published it has been told.")
    return back or redirect("takedown_list", school=request.school.slug)


# --- Retention -----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def destruction_queue(request, school):
    if confirm := step_up(request, "destroying images"):  # the page asks first
        return confirm
    queued = Image.objects.filter(school=request.school, destruction_queued_at__isnull=False).select_related(
        "activity"
    )
    if request.method == "POST":
        ids = [i for i in map(parse_id, request.POST.getlist("image")) if i is not None]
        chosen = queued.filter(pk__in=ids) if "selected" in request.POST else queued
        done, refused = service.destroy(list(chosen), by=request.user)
        messages.success(
            request, f"Destroyed {done} image{'s' if done != 1 else ''}; the destruction record is kept."
        )
        for image, decision in refused[:5]:
            messages.error(request, f"Image {image.pk}: {decision.summary}")
        return redirect("destruction_queue", school=request.school.slug)
    page = page_of(request, queued, 100)
    records = Destruction.objects.filter(school=request.school).select_related("confirmed_by", "activity")[
        :100
    ]
    return render(request, "images/destruction_queue.html", {"page": page, "records": records})


# --- Subject access --------------------------------------------------------------------------------------------


def pupil_images_export(request, school, pk):
    """Subject access: every image of the pupil, as clean copies (no camera or location data), with a list
    saying when and where each was taken, how long it is kept, where it was published and how many other
    pupils appear in it (not who: their data is not the requester's). Built in a temporary file, one image
    at a time, so a pupil in many videos does not fill the server's memory."""
    import tempfile

    from saferstaff.exports import csv_safe
    from saferstaff.images.files import clean_copy

    pupil = get_pupil(request, pk)
    if confirm := step_up(request, "exporting a pupil's images"):
        return confirm
    images = list(
        Image.objects.filter(school=request.school, tags__pupil=pupil)
        .select_related("activity")
        .annotate(n_tags=Count("tags"))
        .order_by("captured_at", "pk")
    )
    where = {}
    for p in Publication.objects.filter(school=request.school, image__in=images).select_related("channel"):
        where.setdefault(p.image_id, []).append(
            f"{p.channel.name}: {p.where}" + (" (taken down)" if p.taken_down_at else "")
        )
    listing = io.StringIO()
    writer = csv.writer(listing)
    writer.writerow(["file", "taken", "activity", "place", "kept until", "published", "other pupils in it"])
    spool = tempfile.TemporaryFile()
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as zf:
        for image in images:
            name = f"image-{image.pk}.{'mp4' if image.kind == Image.Kind.VIDEO else 'jpg'}"
            zf.writestr(name, clean_copy(image))
            writer.writerow([csv_safe(cell) for cell in (
                name, timezone.localtime(image.captured_at).strftime("%d/%m/%Y %H:%M"), image.activity.title,
                image.activity.place, image.keep_until.strftime("%d/%m/%Y"), "; ".join(where.get(image.pk, [])),
                image.n_tags - 1,
            )])  # fmt: skip
        zf.writestr("list.csv", listing.getvalue())
    spool.seek(0)
    record("images.subject_access.exported", pupil, detail={"images": len(images)})
    return FileResponse(
        spool, content_type="application/zip", as_attachment=True, filename=f"images-pupil-{pupil.pk}.zip"
    )


# --- Faces: enrolment (§5, biometric) ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def pupil_faces(request, school, pk):
    from saferstaff.faces import FaceError
    from saferstaff.images import biometrics
    from saferstaff.images.models import FaceTemplate

    pupil = get_pupil(request, pk)
    if confirm := step_up(request, "enrolling a pupil for face matching"):  # the form page asks first
        return confirm
    problems = []
    if request.method == "POST":
        upload = request.FILES.get("photo")
        if upload is None:
            problems = ["Choose a photo of the pupil's face."]
        elif upload.size > settings.IMAGE_MAX_BYTES:
            problems = [f"The photo must be smaller than {settings.IMAGE_MAX_BYTES // 1024 // 1024} MB."]
        else:
            try:
                biometrics.enrol(pupil, upload.read(), by=request.user)
            except service.Refused as exc:
                problems = [str(r) for r in exc.decision.reasons]
            except FaceError as exc:
                problems = [str(exc)]
            else:
                messages.success(
                    request, "Enrolled. The photo itself is not kept; the face data is encrypted."
                )
                return redirect("pupil_faces", school=request.school.slug, pk=pupil.pk)
    decision = biometrics.may_enrol.__wrapped__(request.user, subject=pupil)
    templates = (
        FaceTemplate.objects.filter(pupil=pupil).select_related("enrolled_by").defer("vector", "reference")
    )
    return render(
        request,
        "images/pupil_faces.html",
        {"pupil": pupil, "decision": decision, "templates": templates, "problems": problems},
        status=400 if problems else 200,
    )


@require_http_methods(["GET", "POST"])
def faces_import(request, school):
    """Enrol pupils with biometric consent from the MIS's photo export (§5)."""
    from saferstaff.images import biometrics

    if confirm := step_up(request, "enrolling pupils for face matching from the MIS photos"):
        return confirm
    form = MisPhotosForm(request.POST or None, request.FILES or None)
    problems, rows = [], None
    if request.method == "POST" and form.is_valid():
        try:
            rows = biometrics.import_mis_photos(
                request.school, _uploaded_files(form.cleaned_data["files"]), by=request.user
            )
        except UploadProblems as exc:
            problems = [str(p) for p in exc.problems]
        except FileProblem as exc:
            problems = [str(exc)]
    enrolled = sum(1 for row in rows or [] if row.enrolled)
    return render(
        request,
        "images/faces_import.html",
        {"form": form, "problems": problems, "rows": rows, "enrolled": enrolled},
        status=400 if problems or form.errors else 200,
    )


# --- Faces: screening an album and reviewing uncertain matches (§5) ----------------------------------------


@require_POST
def activity_screen(request, school, pk):
    from saferstaff.images import screening

    activity = get_activity(request, pk, change=True)
    run = screening.start(activity, by=request.user)
    return redirect("screening_progress", school=request.school.slug, pk=run.pk)


def screening_progress(request, school, pk):
    from saferstaff.images.models import FaceDetection, ScreeningRun

    run = get_object_or_404(ScreeningRun.objects.select_related("activity"), school=request.school, pk=pk)
    get_activity(request, run.activity_id)  # the same people as the album
    waiting = FaceDetection.objects.filter(
        image__activity=run.activity, verdict=FaceDetection.Verdict.REVIEW, decision=""
    ).count()
    # ?part=status: only the part that changes, for the page's script to put in place (no reload).
    part = request.GET.get("part") == "status"
    return render(
        request,
        "images/includes/screening_status.html" if part else "images/screening_progress.html",
        {"run": run, "waiting": waiting, "running": run.live and not run.stalled},
    )


def _reviewable(request):
    from saferstaff.images.models import FaceDetection

    qs = FaceDetection.objects.filter(
        school=request.school,
        verdict=FaceDetection.Verdict.REVIEW,
        decision="",
        image__in=images_for(request, change=True),  # a decision tags the image: the owner's to make
    )
    return qs.select_related("image", "proposed_pupil")


@require_http_methods(["GET", "POST"])
def face_review(request, school):
    from saferstaff.images import screening
    from saferstaff.images.models import FaceDetection

    queue = _reviewable(request)
    if request.method == "POST":
        detection = get_object_or_404(
            FaceDetection, school=request.school, verdict=FaceDetection.Verdict.REVIEW, decision="",
            pk=parse_id(request.POST.get("detection")),
        )  # fmt: skip
        if not queue.filter(pk=detection.pk).exists():
            raise PermissionDenied  # seen in scrutiny, but not this person's album to tag
        choice = request.POST.get("choice")
        pupil = _pupil_from_text(request, request.POST.get("pupil", "")) if choice == "other" else None
        tagged = screening.decide(detection, by=request.user, confirmed=choice == "yes", pupil=pupil)
        if tagged.created:
            _tagged_messages(request, detection.image, detection.decided_pupil, tagged)
        return redirect(reverse("face_review", kwargs={"school": request.school.slug}) + "#next")
    first = queue.order_by("image_id", "left").first()
    group = Pupil.objects.filter(school=request.school).current().order_by("legal_surname", "legal_forename")
    return render(
        request,
        "images/face_review.html",
        {"detection": first, "left": queue.count(), "group": pupil_views(request, group)},
    )


def face_crop(request, school, pk):
    """The face as found in the photo (for review), cut from the original; recorded as a view."""
    from saferstaff.images.models import FaceDetection

    detection = get_object_or_404(FaceDetection, school=request.school, pk=pk)
    image = get_image(request, detection.image_id, action="faces.crop_viewed")
    return _jpeg(crop_jpeg(image, detection.box))


def _jpeg(data: bytes) -> HttpResponse:
    return HttpResponse(data, content_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


def face_reference(request, school, pk):
    """The enrolled reference face of a pupil (decrypted for the reviewer); recorded as a view."""
    from saferstaff.images.biometrics import unseal
    from saferstaff.images.models import FaceTemplate

    template = (
        FaceTemplate.objects.filter(school=request.school, pupil_id=pk).order_by("-enrolled_at").first()
    )
    if template is None or not _reviewable(request).filter(proposed_pupil_id=pk).exists():
        raise Http404
    record("faces.reference_viewed", template.pupil)
    return HttpResponse(
        unseal(template.reference), content_type="image/jpeg", headers={"Cache-Control": "private, no-store"}
    )
