"""§5 consent pages: the consent register, a pupil's answers, the school's uses of images, the links
guardians answer through, and the guardian portal itself (a signed link instead of an account)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.forms.forms import NON_FIELD_ERRORS
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from saferstaff import scans
from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import kept, record
from saferstaff.consent import services
from saferstaff.consent.decided import coverage
from saferstaff.consent.forms import ConsentAnswerForm, PortalForm, PurposeForm
from saferstaff.consent.models import ConsentRecord, PortalLink, Purpose
from saferstaff.consent.states import GIVEN, LABELS, TAG_HTML, given_words, states_for
from saferstaff.links import school_urls
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.rows import draw
from saferstaff.rules.engine import Refused
from saferstaff.schools.access import (
    GUARDIAN_CONTACTS,
    UPN,
    fields_for,
    get_pupil,
    kept_page,
    pupil_view,
    pupil_views,
    search_pupils,
)
from saferstaff.schools.models import Guardian, Guardianship, Pupil, SchoolSettings

# --- Consent register -------------------------------------------------------------------------------------


def consent_register(request, school):
    pupils = Pupil.objects.filter(school=request.school).current().order_by("legal_surname", "legal_forename")
    year = request.GET.get("year", "")
    if year:
        pupils = pupils.filter(year_group=year)
    q = request.GET.get("q", "").strip()
    if q:
        pupils = search_pupils(pupils, q, fields_for(request))
    link = school_urls("pupil_consent", request.school.slug)

    def drawn(page):
        """The uses, the year groups and the rows of one page: what ``_register`` reads, put into words."""
        purposes, statuses, years = _register(request.school, page.object_list)
        uses = [u.pk for u in purposes]
        rows = [
            (p, link(p.pk), _cells(statuses[(p.pk, u)] for u in uses))
            for p in pupil_views(request, page.object_list)
        ]
        return purposes, years, draw("consent/consent_rows.jinja", rows=rows)

    page, (purposes, years, rows) = kept_page("consent-register", request, pupils, 50, drawn, q=q, year=year)
    summary = kept("consent-coverage", request.school.pk, lambda: _coverage(request.school))
    record("images.consent.register_viewed", None, detail={"pupils": page.object_list})
    return render(
        request,
        "consent/consent_register.html",
        {
            "summary": summary,
            "purposes": purposes,
            "rows": rows,
            "page": page,
            "years": years,
            "year": year,
            "q": q,
            "by_upn": UPN in fields_for(request),
        },
    )


def _register(school, pupils) -> tuple[list[Purpose], dict[tuple[int, int], str], list[str]]:
    """What the register shows besides the pupils' own details — the uses, the status code of each pupil and
    use, the year groups to choose from — worked out at most once per state of the school, per day and minute
    (``audit.log.kept``, ADR 0014): every answer, guardian link, use and setting is written through a door
    that records an event. Codes only: a refusal's reasons are put into words where a page or rule reads them."""
    purposes = list(Purpose.objects.filter(school=school, active=True))
    states = states_for(school, pupils, purposes)
    years = Pupil.objects.filter(school=school).current().year_groups()
    return purposes, {pair: state.status for pair, state in states.items()}, years


def _coverage(school) -> dict:
    """The summary above the register: how many of the school's pupils stand where for each use —
    ``decided.coverage``, THE count the self-review's consent figure reads — kept per state of the school too."""
    rows = coverage(school)
    return {
        "pupils": rows[0][2] if rows else 0,
        "uses": [
            (purpose.name, given_words(counts, pupils),
             [(LABELS[status], n) for status, n in counts.items() if status != GIVEN and n])
            for purpose, counts, pupils in rows
        ],
    }  # fmt: skip


# One table cell per state. A row's cells are joined here: as a loop in the template, the register's 400 cells
# a page cost more than the rest of the page.
_CELL = {
    status: format_html('<td class="govuk-table__cell">{}</td>', tag) for status, tag in TAG_HTML.items()
}


def _cells(statuses) -> str:
    return mark_safe("".join(_CELL[status] for status in statuses))  # each cell escaped above


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
        "consent/pupil_consent.html",
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
        answers = [services.Answer(pupil, purpose, d["answer"]) for purpose in d["purposes"]]
        try:
            services.record_answers(
                request.school,
                answers,
                source=d["source"],
                method=d["method"],
                guardian=d["guardian"] if d["source"] == ConsentRecord.Source.GUARDIAN else None,
                by=request.user,
                evidence=d["evidence"],
                note=d["note"],
            )
        except Refused as exc:
            problems = [str(r) for r in exc.decision.reasons]
        else:
            messages.success(request, f"Recorded {len(answers)} answer{'s' if len(answers) != 1 else ''}.")
            return redirect("pupil_consent", school=request.school.slug, pk=pupil.pk)
    return _pupil_consent_page(request, pupil, form, problems, status=400)


@require_http_methods(["GET", "POST"])
def consent_purposes(request, school, pk=None):
    """The school's list of uses it asks consent for (seeded from §5; the school adds its own)."""
    purpose = (
        get_object_or_404(Purpose, school=request.school, pk=pk)
        if pk is not None
        else Purpose(school=request.school)
    )
    if purpose.biometric:
        raise PermissionDenied  # set by law (PoFA 2012), not by the school
    form = PurposeForm(request.POST or None, instance=purpose)
    if request.method == "POST" and form.is_valid():
        purpose = form.save()  # a new use gets its code and its place last in the list (Purpose.save)
        record("images.purpose.saved", purpose)
        messages.success(request, f"Saved '{purpose.name}'.")
        return redirect("consent_purposes", school=request.school.slug)
    purposes = Purpose.objects.filter(school=request.school)
    return render(
        request, "consent/consent_purposes.html", {"form": form, "purpose": purpose, "purposes": purposes}
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
        chosen = list(chosen)
        if not chosen:
            messages.error(
                request, "Nobody was chosen: tick the guardians to send a link to, then send again."
            )
            return redirect("portal_links", school=request.school.slug)
        n = services.send_portal_links(request.school, chosen, by=request.user)
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
        "consent/portal_links.html",
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


def _portal_error(request, message, status=403):
    return render(request, "consent/portal_error.html", {"message": message}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def portal(request, token):
    try:
        link = services.open_portal_link(token)
    except services.PortalLinkError as exc:
        return _portal_error(request, str(exc))
    if request.method == "GET":
        record("images.portal.opened", link, school=link.school_id)
    form = PortalForm(request.POST if request.method == "POST" else None, link=link)
    if not form.children:
        return _portal_error(
            request,
            "The school's records do not show you as having parental responsibility for a child at the school, "
            "so you cannot give or withdraw consent here. Please contact the school office.",
        )
    status = 200
    if form.is_bound:
        if form.is_valid():
            answers = [services.Answer(child, purpose, value) for child, purpose, value in form.answers()]
            try:
                receipt = services.record_portal_answers(link, answers)
            except Refused as exc:
                return _portal_error(
                    request, " ".join(r.text for r in exc.decision.reasons) + ". Nothing was saved."
                )
            except services.Unchanged:  # the same form sent twice at once: the first recorded it
                form.add_error(None, form.unchanged_error())
            else:
                return redirect("portal_receipt", token=token, receipt=receipt)
        if form.refused_pupil is not None:
            record("images.portal.refused", link, detail={"pupil": form.refused_pupil})
            status = 403
        elif not form.has_error(NON_FIELD_ERRORS, "unchanged"):
            status = 400
    return render(
        request,
        "consent/portal.html",
        {
            "link": link,
            "form": form,
            "school_name": link.school.name,
            "voice_age": SchoolSettings.for_school(link.school).pupil_voice_age,
        },
        status=status,
    )


@never_cache
def portal_receipt(request, token, receipt):
    try:
        link = services.open_portal_link(token)
    except services.PortalLinkError as exc:
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
        "consent/portal_receipt.html",
        {"link": link, "records": records, "receipt": receipt, "token": token},
    )
