"""KCSIE Part 4 pages: raising a low-level concern, the reader's log and pattern view, one concern (outcome,
escalation), one person over time, the conduct summary (counts only) and the Headteacher's exports. The
subject of a concern never sees it: 404 on every concern page, and never in a list, a count or an export."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from saferstaff.accounts.models import User
from saferstaff.audit.models import AuditEvent
from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel, Disclosure, LowLevelConcern
from saferstaff.conduct.registers import concerns_readable_by
from saferstaff.conduct.summary import conduct_summary, school_term, school_year
from saferstaff.conduct.views import concerns as concern_views
from saferstaff.home.management.commands.load_demo import DEMO_SCHOOL
from saferstaff.notifications.models import Notification
from saferstaff.schools.models import Role, RoleGrant, School
from saferstaff.schools.roles import Actor

from .conftest import signed_in

TODAY = timezone.localdate
WHAT = "Took photos of the class on a personal phone during the trip"


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def raise_(cast, by, about, what=WHAT, days_ago=3, **extra):
    return services.raise_concern(
        Actor.of(by, cast.school),
        subject=cast.member(about),
        happened_on=TODAY() - datetime.timedelta(days=days_ago),
        what=what,
        **extra,
    )


def form_data(cast, about, **extra):
    return {
        "subject": cast.member(about).pk,
        "happened_on": (TODAY() - datetime.timedelta(days=1)).isoformat(),
        "what": WHAT,
        "anonymous_to_subject": "yes",
    } | extra


def staff_governor(cast):
    """The teacher is also a staff governor: the access map lets them open the concern pages, so only the
    object rules stand between them and a concern about them."""
    RoleGrant.objects.create(school=cast.school, membership=cast.member(cast.teacher), role=Role.GOVERNOR)


# --- Raising a concern ---------------------------------------------------------------------------------------
def test_anyone_raises_a_concern_and_is_not_shown_a_link_to_it(cast):
    client = signed_in(cast.volunteer)
    page = client.get(url(cast, "concern_new"))
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        "falls short of our online safety and social media guidance" in html and "chair of governors" in html
    )
    assert "Val Volunteer" in html  # self-referral is allowed: nobody is left out of the list
    assert 'value="yes" checked' in html  # anonymous to the subject unless the raiser says otherwise
    response = client.post(url(cast, "concern_new"), form_data(cast, cast.teacher), follow=True)
    concern = LowLevelConcern.objects.get()
    assert (concern.raised_by, concern.subject, concern.routed_to) == (
        cast.volunteer, cast.member(cast.teacher), "headteacher"
    )  # fmt: skip
    assert concern.anonymous_to_subject
    html = response.content.decode()
    assert "passed to the Headteacher" in html
    assert url(cast, "concern_detail", pk=concern.pk) not in html
    assert Notification.objects.filter(user=cast.head, kind="conduct.concern").exists()
    assert client.get(url(cast, "concern_detail", pk=concern.pk)).status_code in (403, 404)


def test_a_concern_about_the_headteacher_goes_to_the_chair_and_may_name_the_raiser(cast):
    response = signed_in(cast.teacher).post(
        url(cast, "concern_new"), form_data(cast, cast.head, anonymous_to_subject="no"), follow=True
    )
    concern = LowLevelConcern.objects.get()
    assert concern.routed_to == "chair" and not concern.anonymous_to_subject
    assert "passed to the chair of governors" in response.content.decode()
    assert Notification.objects.filter(user=cast.governor, kind="conduct.concern").exists()
    assert not Notification.objects.filter(user=cast.head, kind="conduct.concern").exists()


def test_a_concern_about_yourself_is_allowed(cast):
    signed_in(cast.teacher).post(url(cast, "concern_new"), form_data(cast, cast.teacher))
    assert LowLevelConcern.objects.get().subject == cast.member(cast.teacher)


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"subject": ""}, "subject", "Who is it about?: Choose who it is about"),
        (
            {"subject": "99999999999999999999999"},
            "subject",
            "Who is it about?: Choose one of the people listed",
        ),
        ({"happened_on": ""}, "happened_on", "When did it happen?: Enter the date it happened"),
        ({"happened_on": "31/02/2026"}, "happened_on", "When did it happen?: Enter a real date"),
        ({"what": "   "}, "what", "What happened?: Say what happened"),
        ({"what": "x" * 3001}, "what", "What happened?: Ensure this value has at most 3000"),
        (
            {"anonymous_to_subject": "perhaps"},
            "anonymous_to_subject",
            "May the person be told who raised it?",
        ),
    ],
)
def test_bad_input_is_refused_beside_its_field(cast, change, field, message):
    response = signed_in(cast.teacher).post(url(cast, "concern_new"), form_data(cast, cast.slt, **change))
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error: " in html
    assert message in html and f'href="#id_{field}' in html
    assert not LowLevelConcern.objects.exists()


def test_a_date_in_the_future_is_refused_by_the_rule_beside_its_field(cast):
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = signed_in(cast.teacher).post(
        url(cast, "concern_new"), form_data(cast, cast.slt, happened_on=tomorrow)
    )
    html = response.content.decode()
    assert "When did it happen?: The date cannot be in the future (KCSIE Part 4)" in html
    assert 'id="id_happened_on-error"' in html and not LowLevelConcern.objects.exists()


def test_someone_who_has_left_or_works_elsewhere_cannot_be_chosen(cast):
    response = signed_in(cast.teacher).post(
        url(cast, "concern_new"),
        form_data(cast, cast.slt, subject=cast.member(cast.other_teacher, cast.other_school).pk),
    )
    assert (
        "Choose one of the people listed" in response.content.decode()
        and not LowLevelConcern.objects.exists()
    )


# --- The list, the pattern, one person -----------------------------------------------------------------------
def test_the_headteacher_lists_what_is_routed_to_them_waiting_first(cast):
    waiting = raise_(cast, cast.volunteer, cast.teacher)
    decided = raise_(cast, cast.volunteer, cast.slt, what="Shared a pupil's photo in a staff group chat")
    services.record_concern_outcome(
        Actor.of(cast.head, cast.school),
        decided,
        rationale="Below the threshold",
        action="Talked",
        outcome="advice",
    )
    about_head = raise_(cast, cast.teacher, cast.head)
    response = signed_in(cast.head).get(url(cast, "concern_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Waiting for an outcome") < html.index("Tom Teacher") < html.index("Decided")
    assert html.index("Decided") < html.index("Sam Slt")
    assert url(cast, "concern_detail", pk=about_head.pk) not in html and "Helen Head" not in html
    listed = AuditEvent.objects.filter(action="conduct.concerns_listed").last()
    assert sorted(listed.detail["concerns"]) == sorted([waiting.pk, decided.pk])


def test_the_chair_lists_concerns_about_the_headteacher_and_the_dsl_only_escalated_ones(cast):
    about_head = raise_(cast, cast.teacher, cast.head)
    about_teacher = raise_(cast, cast.volunteer, cast.teacher)
    html = signed_in(cast.governor).get(url(cast, "concern_list")).content.decode()
    assert url(cast, "concern_detail", pk=about_head.pk) in html
    assert url(cast, "concern_detail", pk=about_teacher.pk) not in html
    dsl = signed_in(cast.dsl)
    assert (
        url(cast, "concern_detail", pk=about_teacher.pk)
        not in dsl.get(url(cast, "concern_list")).content.decode()
    )
    services.escalate_concern(Actor.of(cast.head, cast.school), about_teacher, rationale="Harm threshold met")
    assert (
        url(cast, "concern_detail", pk=about_teacher.pk)
        in dsl.get(url(cast, "concern_list")).content.decode()
    )
    assert dsl.get(url(cast, "concern_detail", pk=about_teacher.pk)).status_code == 200


def test_a_third_concern_in_twelve_months_shows_prominently_in_the_list_and_on_the_person_page(cast):
    raise_(cast, cast.volunteer, cast.teacher, days_ago=10)
    raise_(cast, cast.office, cast.teacher, days_ago=5)
    raise_(cast, cast.volunteer, cast.slt, days_ago=400)  # over a year ago: not part of a pattern
    head = signed_in(cast.head)
    html = head.get(url(cast, "concern_list")).content.decode()
    assert "A pattern to look at" not in html
    raise_(cast, cast.slt, cast.teacher, days_ago=1)
    html = head.get(url(cast, "concern_list")).content.decode()
    assert "A pattern to look at" in html
    banner = html[html.index("govuk-notification-banner") : html.index("Waiting for an outcome")]
    assert "Tom Teacher: 3 low-level concerns in the last 12 months" in banner and "Sam Slt" not in banner
    assert 'govuk-tag--red">Pattern' in html
    person = head.get(url(cast, "concern_person", pk=cast.member(cast.teacher).pk))
    html = person.content.decode()
    assert person.status_code == 200
    assert "3 low-level concerns about Tom Teacher in the last 12 months" in html
    assert html.count(WHAT[:40]) == 3
    slt_page = head.get(url(cast, "concern_person", pk=cast.member(cast.slt).pk)).content.decode()
    assert "A pattern to look at" not in slt_page and "0 in the last 12 months, 1 in all" in slt_page


def test_the_person_page_is_audited_and_shows_only_what_the_reader_reads(cast):
    mine = raise_(cast, cast.volunteer, cast.teacher)
    head = signed_in(cast.head)
    head.get(url(cast, "concern_person", pk=cast.member(cast.teacher).pk))
    event = AuditEvent.objects.filter(action="conduct.concern_person_viewed").last()
    assert event.detail == {"concerns": [mine.pk]} and event.actor_id == cast.head.pk
    # The chair reads only what is routed to the chair: nothing about the teacher.
    html = signed_in(cast.governor).get(url(cast, "concern_person", pk=cast.member(cast.teacher).pk)).content
    assert WHAT.encode() not in html and b"No concerns about Tom Teacher that you read" in html


def test_a_person_of_another_school_is_404(cast):
    other = cast.member(cast.other_teacher, cast.other_school)
    assert signed_in(cast.head).get(url(cast, "concern_person", pk=other.pk)).status_code == 404


# --- One concern: reading, outcome, escalation -------------------------------------------------------------------
def test_every_view_of_a_concern_is_audited_with_its_id_and_no_text(cast):
    concern = raise_(cast, cast.volunteer, cast.teacher)
    response = signed_in(cast.head).get(url(cast, "concern_detail", pk=concern.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert WHAT in html and "Val Volunteer" in html  # the raiser is always shown to the reader
    assert "No: keep the person who raised it anonymous to them" in html
    assert url(cast, "concern_person", pk=concern.subject_id) in html
    event = AuditEvent.objects.filter(action="conduct.concern_viewed").last()
    assert event.object_id == str(concern.pk) and event.actor_id == cast.head.pk
    assert WHAT not in str(event.detail) and "Tom" not in str(event.detail)


def test_the_reader_records_an_outcome_with_each_error_beside_its_field(cast):
    concern = raise_(cast, cast.volunteer, cast.teacher)
    head = signed_in(cast.head)
    page = head.get(url(cast, "concern_outcome", pk=concern.pk))
    assert (
        page.status_code == 200
        and 'name="outcome" type="radio" value="escalated"' not in page.content.decode()
    )
    bad = head.post(url(cast, "concern_outcome", pk=concern.pk), {"outcome": "escalated"})
    html = bad.content.decode()
    assert bad.status_code == 400 and "<title>Error: " in html
    for text in ("Why it is a low-level concern: Say why it is a low-level concern",
                 "Action taken: Say what action was taken", "Outcome: Choose one of the outcomes listed"):  # fmt: skip
        assert text in html
    concern.refresh_from_db()
    assert not concern.outcome
    good = {
        "rationale": "Below the harm threshold: a breach of §5",
        "action": "Spoke to them",
        "outcome": "advice",
    }
    assert head.post(url(cast, "concern_outcome", pk=concern.pk), good).status_code == 302
    concern.refresh_from_db()
    assert (concern.outcome, concern.decided_by, concern.action) == ("advice", cast.head, "Spoke to them")
    again = head.post(url(cast, "concern_outcome", pk=concern.pk), good)
    assert again.status_code == 302
    assert "An outcome is already recorded" in head.get(again["Location"]).content.decode()
    html = head.get(url(cast, "concern_detail", pk=concern.pk)).content.decode()
    assert "Record the outcome" not in html and "Escalate to the allegations process</button>" not in html


def test_the_chair_records_the_outcome_of_a_concern_about_the_headteacher(cast):
    concern = raise_(cast, cast.teacher, cast.head)
    good = {
        "rationale": "Below the threshold",
        "action": "Discussed with the Headteacher",
        "outcome": "training",
    }
    assert signed_in(cast.governor).post(url(cast, "concern_outcome", pk=concern.pk), good).status_code == 302
    concern.refresh_from_db()
    assert concern.outcome == "training" and concern.decided_by == cast.governor


def test_escalating_needs_a_rationale_then_tells_the_dsl(cast):
    concern = raise_(cast, cast.volunteer, cast.teacher)
    head = signed_in(cast.head)
    assert head.get(url(cast, "concern_escalate", pk=concern.pk)).status_code == 200
    bad = head.post(url(cast, "concern_escalate", pk=concern.pk), {"escalate-rationale": " "})
    html = bad.content.decode()
    assert (
        bad.status_code == 400 and "Why the harm threshold is met: Say why the harm threshold is met" in html
    )
    assert 'href="#id_escalate-rationale"' in html
    response = head.post(
        url(cast, "concern_escalate", pk=concern.pk),
        {"escalate-rationale": "It meets the harm threshold"},
        follow=True,
    )
    html = response.content.decode()
    assert "Local Authority designated officer (LADO) within one working day" in html
    concern.refresh_from_db()
    assert concern.outcome == "escalated" and concern.escalated_by == cast.head
    assert Notification.objects.filter(user=cast.dsl, kind="conduct.escalated").exists()
    assert signed_in(cast.dsl).get(url(cast, "concern_detail", pk=concern.pk)).status_code == 200
    assert (
        head.post(url(cast, "concern_escalate", pk=concern.pk), {"escalate-rationale": "x"}).status_code
        == 302
    )
    concern.refresh_from_db()
    assert concern.rationale == "It meets the harm threshold"


def test_the_dsl_cannot_open_a_concern_that_is_not_escalated_nor_decide_one(cast):
    concern = raise_(cast, cast.volunteer, cast.teacher)
    dsl = signed_in(cast.dsl)
    assert dsl.get(url(cast, "concern_detail", pk=concern.pk)).status_code == 404
    assert dsl.post(url(cast, "concern_outcome", pk=concern.pk), {}).status_code == 403  # not in the map


def test_a_forged_or_other_schools_concern_is_404(cast):
    assert signed_in(cast.head).get(url(cast, "concern_detail", pk=987654)).status_code == 404


# --- The subject never sees it -----------------------------------------------------------------------------------
def _concern_pages(cast, concern):
    return [
        url(cast, name, pk=concern.pk) for name in ("concern_detail", "concern_outcome", "concern_escalate")
    ]


def test_a_teacher_subject_gets_404_everywhere_and_never_sees_it_listed_or_counted(cast):
    staff_governor(cast)  # past the access map: only the object rules are left to keep them out
    concern = raise_(cast, cast.volunteer, cast.teacher)
    client = signed_in(cast.teacher)
    for page in _concern_pages(cast, concern):
        assert client.get(page).status_code == 404, page
        if not page.endswith(f"/{concern.pk}/"):  # the page itself takes no POST (405 for any id)
            assert (
                client.post(page, {"rationale": "x", "action": "x", "outcome": "advice"}).status_code == 404
            )
    assert client.get(url(cast, "concern_person", pk=cast.member(cast.teacher).pk)).status_code == 404
    listed = client.get(url(cast, "concern_list")).content.decode()
    assert url(cast, "concern_detail", pk=concern.pk) not in listed and WHAT not in listed
    summary = client.get(url(cast, "conduct_summary")).content.decode()
    assert "Low-level concerns raised (KCSIE Part 4): 0" in summary
    concern.refresh_from_db()
    assert not concern.outcome
    # Nobody else's view was logged as theirs.
    assert not AuditEvent.objects.filter(action="conduct.concern_viewed", actor_id=cast.teacher.pk).exists()


def test_the_headteacher_subject_gets_404_everywhere_and_never_sees_it_listed_counted_or_exported(cast):
    concern = raise_(cast, cast.teacher, cast.head)
    head = signed_in(cast.head, confirmed=True)
    for page in _concern_pages(cast, concern):
        assert head.get(page).status_code == 404, page
        if not page.endswith(f"/{concern.pk}/"):
            assert head.post(page, {"rationale": "x", "action": "x", "outcome": "advice"}).status_code == 404
    assert head.get(url(cast, "concern_person", pk=cast.member(cast.head).pk)).status_code == 404
    assert (
        url(cast, "concern_detail", pk=concern.pk) not in head.get(url(cast, "concern_list")).content.decode()
    )
    assert (
        "Low-level concerns raised (KCSIE Part 4): 0"
        in head.get(url(cast, "conduct_summary")).content.decode()
    )
    exported = head.get(url(cast, "conduct_export_csv", what="concerns")).content.decode()
    assert WHAT not in exported and len(list(csv.reader(io.StringIO(exported)))) == 1
    # The chair counts it.
    chair = signed_in(cast.governor).get(url(cast, "conduct_summary")).content.decode()
    assert "Low-level concerns raised (KCSIE Part 4): 1" in chair


# --- The summary and the exports -----------------------------------------------------------------------------
def _names(cast):
    return [
        u.get_full_name() for u in (cast.head, cast.slt, cast.dsl, cast.teacher, cast.volunteer, cast.office)
    ]


def test_the_governors_summary_counts_and_names_nobody(cast, monkeypatch):
    for by in (cast.volunteer, cast.office, cast.slt):
        raise_(cast, by, cast.teacher)
    raise_(cast, cast.teacher, cast.head)
    response = signed_in(cast.governor).get(url(cast, "conduct_summary"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Low-level concerns raised (KCSIE Part 4): 4" in html
    assert "People with 3 or more low-level concerns in the last 12 months: <strong>1</strong>" in html
    assert not [name for name in _names(cast) if name in html]
    assert "conduct/export" not in html  # the registers with names are for the Headteacher only
    rendered = []
    real = concern_views.render_to_string
    monkeypatch.setattr(
        concern_views, "render_to_string", lambda *a, **k: rendered.append(real(*a, **k)) or rendered[-1]
    )
    pdf = signed_in(cast.governor).get(url(cast, "conduct_summary_pdf"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "Low-level concerns raised (KCSIE Part 4): 4" in rendered[0]
    assert not [name for name in _names(cast) if name in rendered[0]]
    assert AuditEvent.objects.filter(action="conduct.summary_exported").exists()


def test_the_term_and_year_follow_simple_dates():
    assert school_term(datetime.date(2026, 12, 6)).starts == datetime.date(2026, 9, 1)
    assert school_term(datetime.date(2027, 2, 1)).ends == datetime.date(2027, 3, 31)
    assert school_term(datetime.date(2027, 4, 1)).label == "Summer term 2027"
    assert school_year(datetime.date(2027, 8, 31)).starts == datetime.date(2026, 9, 1)


def test_the_headteacher_exports_the_concern_log_safely_and_audited(cast):
    concern = raise_(cast, cast.volunteer, cast.teacher, what='=HYPERLINK("http://x") on a personal phone')
    head = signed_in(cast.head, confirmed=True)
    response = head.get(url(cast, "conduct_export_csv", what="concerns"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[1][2] == "Tom Teacher" and rows[1][3] == "Val Volunteer"
    assert rows[1][5].startswith("'=HYPERLINK")  # neutralised for spreadsheet programs
    event = AuditEvent.objects.filter(action="conduct.exported").last()
    assert event.detail == {"what": "concerns", "format": "csv", "count": 1, "concerns": [concern.pk]}
    pdf = head.get(url(cast, "conduct_export_pdf", what="concerns"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("what", ["contact-register", "equipment-register"])
def test_the_registers_export_as_csv_and_pdf(cast, what):
    actor = Actor.of(cast.teacher, cast.school)
    if what == "equipment-register":
        permission = services.request_equipment(
            actor, device_kind="phone", purpose="Trip calls", starts_on=TODAY(), ends_on=TODAY(),
            make_model="Apple iPhone 13", conditions=["calls_only"],
        )  # fmt: skip
    else:
        permission = services.request_contact(
            actor, channel=ContactChannel.objects.get(school=cast.school, name="The school's messaging platform"),
            purpose="Residential updates", starts_on=TODAY(), ends_on=TODAY(), year_groups=["Year 6"],
        )  # fmt: skip
    services.decide(Actor.of(cast.slt, cast.school), permission, approve=True)
    head = signed_in(cast.head, confirmed=True)
    rows = list(
        csv.reader(io.StringIO(head.get(url(cast, "conduct_export_csv", what=what)).content.decode()))
    )
    assert len(rows) == 2 and rows[1][0] == "Tom Teacher" and TODAY().isoformat() in rows[1]
    assert head.get(url(cast, "conduct_export_pdf", what=what)).content.startswith(b"%PDF")


def test_an_unknown_export_is_404_and_exports_ask_to_confirm_it_is_you(cast):
    head = signed_in(cast.head, confirmed=True)
    assert head.get(url(cast, "conduct_export_csv", what="pupils")).status_code == 404
    assert head.get(url(cast, "conduct_export_pdf", what="everything")).status_code == 404
    response = signed_in(cast.head).get(url(cast, "conduct_export_csv", what="concerns"))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert signed_in(cast.governor).get(url(cast, "conduct_export_csv", what="concerns")).status_code == 403


def test_the_demo_has_a_concern_only_its_chair_of_governors_reads(db):
    call_command("load_demo", stdout=io.StringIO())
    school = School.objects.get(name=DEMO_SCHOOL)
    head, chair = (User.objects.get(email=f"{local}@demo.example") for local in ("head", "governor"))
    about_head = LowLevelConcern.objects.get(school=school, subject__user=head)
    assert about_head.routed_to == "chair"
    assert list(concerns_readable_by(Actor.of(chair, school))) == [about_head]
    seen_by_head = concerns_readable_by(Actor.of(head, school))
    assert about_head not in seen_by_head and [c.outcome for c in seen_by_head] == ["advice"]


# --- The audit trail ---------------------------------------------------------------------------------------------
def test_the_audit_trail_tells_nobody_of_a_concern_they_may_not_read(cast):
    """The Headteacher reads the audit trail: it must not show the raising, the chair's views or the outcome
    of a concern about the Headteacher (nor who raised it), nor the rule that let it be raised about them."""
    about_head = raise_(cast, cast.teacher, cast.head)
    about_teacher = raise_(cast, cast.volunteer, cast.teacher)
    chair = signed_in(cast.governor)
    chair.get(url(cast, "concern_detail", pk=about_head.pk))
    chair.get(url(cast, "concern_list"))
    chair.post(
        url(cast, "concern_outcome", pk=about_head.pk), {"rationale": "r", "action": "a", "outcome": "advice"}
    )
    head = signed_in(cast.head)
    head.get(url(cast, "concern_detail", pk=about_teacher.pk))
    shown = head.get(reverse("audit_trail", kwargs={"school": cast.school.slug}), {"person": ""}).context[
        "page"
    ]
    rows = list(shown.object_list)
    concern_ids = {r.object_id for r in rows if r.object_type == "conduct.lowlevelconcern"}
    assert concern_ids == {str(about_teacher.pk)}
    assert not [r for r in rows if r.detail.get("rule") == "conduct.concern.raise"]
    assert not [r for r in rows if about_head.pk in r.detail.get("concerns", ())]
    assert not [r for r in rows if r.actor_id == cast.governor.pk and r.action.startswith("conduct.")]
    # Looking up their own staff record finds nothing of it either.
    mine = head.get(
        reverse("audit_trail", kwargs={"school": cast.school.slug}),
        {"record_type": "schools.membership", "record_id": str(cast.member(cast.head).pk)},
    ).context["page"]
    assert not [r for r in mine.object_list if str(r.detail.get("rule", "")).startswith("conduct.")]
    # The events are kept: the trail's chain is whole, the page only leaves them out.
    assert AuditEvent.objects.filter(object_id=str(about_head.pk), action="conduct.concern_viewed").exists()


def test_a_governor_who_is_not_the_chair_reads_no_concern_but_sees_the_counts(cast):
    RoleGrant.objects.create(school=cast.school, membership=cast.member(cast.dpo), role=Role.GOVERNOR)
    about_head = raise_(cast, cast.teacher, cast.head)
    governor = signed_in(cast.dpo)
    listed = governor.get(url(cast, "concern_list")).content.decode()
    assert "Helen Head" not in listed and url(cast, "concern_detail", pk=about_head.pk) not in listed
    assert governor.get(url(cast, "concern_detail", pk=about_head.pk)).status_code == 404
    person = governor.get(url(cast, "concern_person", pk=about_head.subject_id)).content.decode()
    assert WHAT not in person and "No concerns about Helen Head that you read" in person
    summary = governor.get(url(cast, "conduct_summary")).content.decode()
    assert "Low-level concerns raised (KCSIE Part 4): 1" in summary and "Helen Head" not in summary


@pytest.mark.parametrize("name", ["concern_list", "concern_detail", "concern_person", "conduct_summary"])
def test_the_pages_that_only_show_refuse_a_post(cast, name):
    concern = raise_(cast, cast.volunteer, cast.teacher)
    kwargs = {"concern_detail": {"pk": concern.pk}, "concern_person": {"pk": concern.subject_id}}.get(
        name, {}
    )
    assert signed_in(cast.head).post(url(cast, name, **kwargs)).status_code == 405


def test_the_summary_counts_disclosures_and_permissions_this_term(cast):
    teacher, head = Actor.of(cast.teacher, cast.school), Actor.of(cast.head, cast.school)
    instagram = ContactChannel.objects.get(school=cast.school, name="Instagram")
    phone = ContactChannel.objects.get(school=cast.school, name="Text message or phone call")
    for channel in (instagram, instagram, phone):
        services.disclose(teacher, who="think_pupil", channel=channel, happened_on=TODAY(), what_happened="x")
    services.record_outcome(head, Disclosure.objects.filter(channel=phone).get(), outcome="advice")
    ask = dict(device_kind="phone", purpose="Trip", starts_on=TODAY(), ends_on=TODAY())
    services.decide(Actor.of(cast.slt, cast.school), services.request_equipment(teacher, **ask), approve=True)
    services.decide(
        head, services.request_equipment(teacher, **ask), approve=False, reason="Use a school phone"
    )
    services.request_equipment(teacher, **ask)
    summary = conduct_summary(head)
    term = summary["periods"][0]
    assert term["disclosures"]["total"] == 3
    assert dict(term["disclosures"]["by_outcome"]) == {
        "Waiting for an outcome": 2, "Advice given": 1, "No further action": 0,
        "Recorded as a low-level concern": 0, "Referred to the designated safeguarding lead": 0,
    }  # fmt: skip
    assert dict(term["disclosures"]["by_channel"]) == {
        "Social media or gaming": 2, "Other ways (phone, email, in person)": 1
    }  # fmt: skip
    assert term["equipment"] == {"in_force": 1, "waiting": 1, "requested": 3, "refused": 1}
    assert term["contact"] == {"in_force": 0, "waiting": 0, "requested": 0, "refused": 0}
    html = signed_in(cast.governor).get(url(cast, "conduct_summary")).content.decode()
    assert "Contact with pupils disclosed (§3, §4): 3" in html
