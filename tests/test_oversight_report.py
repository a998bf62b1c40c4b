"""§2: the termly governors' report. Terms by fixed dates; a PDF whose every figure is worded exactly as
oversight.figures gives it (as a governor reads it: small incident counts blurred), compared with the previous
term's report; kept as made (its bytes in the file storage: test_oversight_report_file.py); made once by the
daily job in the term's last three weeks (the chair of governors told once) and on demand by the Headteacher or
a senior leader through the door; read by governors; refused to other staff; another school's report is 404."""

import datetime
import hashlib
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from pypdf import PdfReader

from saferstaff import clocks
from saferstaff.audit.models import AuditEvent
from saferstaff.incidents.models import Case, Involved
from saferstaff.notifications.models import Notification
from saferstaff.oversight import daily, figures
from saferstaff.oversight.models import GovernorsReport, ReviewAction, SelfReview
from saferstaff.oversight.readers import blurred
from saferstaff.oversight.report import (
    make_if_due,
    make_report,
    pdf_of,
    report_figures,
    scheduled_from,
    term_of,
)
from saferstaff.oversight.report_pdf import LEFT_OUT
from saferstaff.photos.models import Publication
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Membership

from .conftest import make_school, signed_in
from .image_samples import purpose
from .test_acknowledgements import published


def at(day: datetime.date, hour: int = 7) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=clocks.UK)


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def text_of(pdf: bytes) -> str:
    """The PDF's words, with the line breaks of its layout made spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def publish(cast, when: datetime.datetime, *, taken_down: bool = False) -> Publication:
    return Publication.objects.create(
        school=cast.school, image_ref=1, channel=purpose(cast.school, "website"), where="https://school.example/",
        published_by=cast.head, published_at=when, taken_down_at=when if taken_down else None,
    )  # fmt: skip


def case(cast, kind=Case.Kind.PUPILS_ONLINE):
    return Case.objects.create(school=cast.school, kind=kind, reported_by=cast.teacher,
                               happened_on=timezone.localdate(), what_happened="Report")  # fmt: skip


def about_head(cast) -> Case:
    """An allegation about the Headteacher, managed by the chair of governors, its LADO referral overdue."""
    return Case.objects.create(
        school=cast.school, kind=Case.Kind.ALLEGATION, reported_by=cast.teacher, happened_on=timezone.localdate(),
        what_happened="Report", subject=cast.member(cast.head), routed_to=Case.Route.CHAIR,
        lado_due=timezone.now() - datetime.timedelta(hours=2),
    )  # fmt: skip


@pytest.mark.parametrize(
    "day, key, label",
    [
        (datetime.date(2026, 9, 1), "2026-autumn", "Autumn term 2026"),
        (datetime.date(2026, 12, 31), "2026-autumn", "Autumn term 2026"),
        (datetime.date(2027, 1, 1), "2027-spring", "Spring term 2027"),
        (datetime.date(2027, 3, 31), "2027-spring", "Spring term 2027"),
        (datetime.date(2027, 4, 1), "2027-summer", "Summer term 2027"),
        (datetime.date(2027, 8, 31), "2027-summer", "Summer term 2027"),
    ],
)
def test_terms_are_autumn_spring_and_summer_by_fixed_dates(day, key, label):
    term = term_of(day)
    assert (term.key, term.label) == (key, label) and term.starts <= day <= term.ends


def test_the_schedule_starts_three_weeks_before_the_term_ends():
    assert scheduled_from(term_of(datetime.date(2026, 10, 1))) == datetime.date(2026, 12, 11)
    assert scheduled_from(term_of(datetime.date(2027, 2, 1))) == datetime.date(2027, 3, 11)
    assert scheduled_from(term_of(datetime.date(2027, 5, 1))) == datetime.date(2027, 8, 11)


def test_photo_activity_counts_this_terms_publications_from_the_photos_room(cast):
    now = at(datetime.date(2026, 12, 1))
    publish(cast, at(datetime.date(2026, 9, 14)))
    publish(cast, at(datetime.date(2026, 11, 2)), taken_down=True)
    publish(cast, at(datetime.date(2026, 8, 31)))  # the summer term's
    m = figures.publications(cast.school, now)
    website = purpose(cast.school, "website").name
    assert m.values == {
        "published": 2,
        "taken_down": 1,
        "by_channel": {website: 2},
        "term": "Autumn term 2026",
    }
    assert m.wording == "2 images published this term (Autumn term 2026); 1 of them since taken down"
    assert m.parts == ((website, "2 published"),) and m.page == "publication_list"


def test_the_pdf_words_every_figure_as_the_figures_give_it_to_a_governor(cast):
    published(cast, compulsory=False)
    for _ in range(2):  # two cases: a governor reads "fewer than 3"
        case(cast)
    about_head(cast)  # left out: the Headteacher reads the report
    now = timezone.now()
    report = make_report(cast.school, by=cast.actor(cast.head), now=now)
    text = text_of(pdf_of(report))
    found = blurred(report_figures(cast.school, now))
    assert found.keys() == figures.all_figures(cast.school, now).keys()
    for m in found.values():
        # As a line starts: with a capital (the kept wording does not change).
        assert capfirst(m["wording"]) in text, f"{m['key']}: {m['wording']!r} is not in the PDF"
        for label, part in m["parts"]:
            assert f"{label} {capfirst(part)}" in text, f"{m['key']}: {label} {part}"
        assert f"Source: {m['source']}." in text
    assert "Fewer than 3 cases reported in the last 12 months" in text
    assert "2 cases reported" not in text  # never the number the blur hides
    # A cover a governing body recognises, the summary first, and page numbers.
    assert text.startswith(
        f"{cast.school.name} Online safety: report to the governing body {term_of(now.date()).label}"
    )
    assert text.index("What needs your attention") < text.index("2. Staff who accepted the guidance")
    pages = len(PdfReader(io.BytesIO(pdf_of(report))).pages)
    assert f"Page {pages} of {pages}" in text and "Made by Helen Head" in text


def test_the_trend_shows_each_figure_against_the_previous_terms_report(cast):
    summer = make_report(cast.school, now=at(datetime.date(2026, 8, 20)))
    assert summer.term == "2026-summer" and summer.context["previous"] is None
    assert "No earlier report to compare with." in text_of(pdf_of(summer))
    case(cast, Case.Kind.ALLEGATION)
    case(cast, Case.Kind.ALLEGATION)
    case(cast, Case.Kind.ALLEGATION)
    autumn = make_report(cast.school, now=at(datetime.date(2026, 12, 7)))
    assert autumn.context["previous"]["term"] == "Summer term 2026"
    text = text_of(pdf_of(autumn))
    assert "Compared with the report for the summer term 2026, made on 20 August 2026 at 07:00" in text
    # The glance table, then the incidents' section: now, and what the summer's report said.
    assert "Incidents by kind 3 cases reported in the last 12 months Changed (see section 7)" in text
    assert "Changed since the summer term 2026. Then: 0 cases reported in the last 12 months." in text
    assert "Breaches decided within 72 hours No breach recorded No change" in text
    assert (
        "No change since the summer term 2026." in text
    )  # the breach clock, say: nothing recorded either time


def test_a_figure_whose_values_did_not_change_reads_no_change_though_its_term_did(cast):
    make_report(cast.school, now=at(datetime.date(2026, 8, 20)))
    autumn = make_report(cast.school, now=at(datetime.date(2026, 12, 7)))
    assert autumn.figures["publications"]["values"]["published"] == 0
    assert autumn.context["previous"]["figures"]["publications"]["values"]["published"] == 0
    text = text_of(pdf_of(autumn))
    assert "Photos published this term No image published this term (Autumn term 2026) No change" in text
    assert "Then: No image published this term (Summer term 2026)" not in text


def test_a_change_a_blurred_count_hides_is_not_given_away_by_the_trend(cast):
    case(cast)
    make_report(cast.school, now=at(datetime.date(2026, 8, 20)))
    case(cast)  # 1 then 2: a governor reads "fewer than 3" both times, and so no change
    text = text_of(pdf_of(make_report(cast.school, now=at(datetime.date(2026, 12, 7)))))
    assert "Incidents by kind Fewer than 3 cases reported in the last 12 months No change" in text


def test_the_pdf_reads_the_same_whenever_opened_whatever_changes_after(cast):
    """The live figures move on, and even the figures the report keeps are edited behind saferstaff's back: the
    PDF is the one made (its kept bytes: tests/test_oversight_report_file.py)."""
    report = make_report(cast.school, by=cast.actor(cast.slt))
    first = signed_in(cast.governor).get(url(cast, "report_pdf", pk=report.pk))
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    case(cast)
    stored = report.figures["takedowns"]
    GovernorsReport.objects.filter(pk=report.pk).update(
        figures={**report.figures, "takedowns": {**stored, "wording": "0 takedowns done; 0 open, honestly"}}
    )
    again = signed_in(cast.head).get(url(cast, "report_pdf", pk=report.pk)).content
    assert first.content == again and hashlib.sha256(again).hexdigest() == report.pdf_sha256
    assert "honestly" not in text_of(again)
    assert (
        AuditEvent.objects.filter(action="oversight.report.downloaded", object_id=str(report.pk)).count() == 2
    )


def test_the_daily_job_makes_the_terms_report_once_and_tells_the_chair_once(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    empty = make_school("Empty Primary", "100009", "2009", cast.trust)  # no staff: skipped
    Membership.objects.filter(school=cast.other_school).update(ended_on=datetime.date(2026, 1, 1))
    before = at(datetime.date(2026, 12, 10))
    assert make_if_due(cast.school, before) is None  # not yet the term's last three weeks
    in_window = at(datetime.date(2026, 12, 11), 7)
    monkeypatch.setattr(timezone, "now", lambda: in_window)
    with django_capture_on_commit_callbacks(execute=True):
        assert list(daily.daily())[0] == "1 governors' reports made for the term (its last three weeks, §2)"
        assert list(daily.daily())[0] == "0 governors' reports made for the term (its last three weeks, §2)"
    (report,) = GovernorsReport.objects.all()
    assert (report.school, report.term, report.made_by) == (cast.school, "2026-autumn", None)
    assert not GovernorsReport.objects.filter(school__in=[empty, cast.other_school]).exists()
    told = Notification.objects.get(kind="oversight.report")
    assert told.user == cast.governor and told.url == url(cast, "report_list")
    assert told.title == "The governors' report for Autumn term 2026 is ready to read (§2)"
    (email,) = mail.outbox
    assert email.to == [cast.governor.email] and "%" not in email.body and "case" not in email.body
    # The next day: still nothing more.
    assert make_if_due(cast.school, at(datetime.date(2026, 12, 12))) is None
    assert Notification.objects.filter(kind="oversight.report").count() == 1


def test_a_report_made_on_demand_before_the_window_is_made_again_once_in_it(cast):
    early = make_report(cast.school, by=cast.actor(cast.head), now=at(datetime.date(2026, 10, 5)))
    again = make_if_due(cast.school, at(datetime.date(2026, 12, 14)))
    assert again.pk == early.pk and again.made_by is None and GovernorsReport.objects.count() == 1
    assert make_if_due(cast.school, at(datetime.date(2026, 12, 15))) is None


def test_the_head_makes_it_on_demand_through_the_door_and_again_replaces_it(cast):
    published(cast, compulsory=False)
    head = signed_in(cast.head)
    assert head.get(url(cast, "report_make")).status_code == 405  # a GET makes nothing
    page = head.get(url(cast, "report_list")).content.decode()
    assert "Make this term's report" in page and "No report made yet." in page
    assert head.post(url(cast, "report_make")).status_code == 302
    report = GovernorsReport.objects.get(school=cast.school)
    assert report.made_by == cast.head and report.term == term_of(timezone.localdate()).key
    page = head.get(url(cast, "report_list")).content.decode()
    assert "Make this term's report again" in page and url(cast, "report_pdf", pk=report.pk) in page
    first_hash = report.pdf_sha256
    case(cast)
    assert signed_in(cast.slt).post(url(cast, "report_make")).status_code == 302
    report.refresh_from_db()
    assert GovernorsReport.objects.count() == 1 and report.made_by == cast.slt
    assert report.pdf_sha256 != first_hash  # the figures of the moment: a case more
    made = AuditEvent.objects.filter(action="oversight.report.made").order_by("pk")
    assert [(e.detail["remade"], e.detail["sha256"]) for e in made] == [
        (False, first_hash),
        (True, report.pdf_sha256),
    ]
    assert Notification.objects.filter(kind="oversight.report", user=cast.governor).count() == 2


def test_only_senior_management_makes_it_and_only_they_and_governors_read_it(cast):
    published(cast, compulsory=False)
    report = make_report(cast.school)
    for user in (cast.governor, cast.dsl, cast.teacher):
        assert signed_in(user).post(url(cast, "report_make")).status_code == 403
    with pytest.raises(Refused):
        make_report(cast.school, by=cast.actor(cast.governor))
    with pytest.raises(Refused):  # a Headteacher acting at another school
        make_report(cast.other_school, by=cast.actor(cast.head))
    for user in (cast.dsl, cast.dpo, cast.office, cast.teacher):
        assert signed_in(user).get(url(cast, "report_list")).status_code == 403
        assert signed_in(user).get(url(cast, "report_pdf", pk=report.pk)).status_code == 403
    governor = signed_in(cast.governor)
    page = governor.get(url(cast, "report_list")).content.decode()
    assert "Download the PDF" in page and "Make this term" not in page
    assert GovernorsReport.objects.count() == 1
    # The fingerprint a governor can compare a copy with: the hash of the PDF they download.
    pdf = governor.get(url(cast, "report_pdf", pk=report.pk)).content
    assert f"SHA-256 {hashlib.sha256(pdf).hexdigest()}" in page


def test_another_schools_report_is_404(cast):
    theirs = make_report(cast.other_school)
    assert signed_in(cast.head).get(url(cast, "report_pdf", pk=theirs.pk)).status_code == 404
    assert signed_in(cast.governor).get(url(cast, "report_pdf", pk=theirs.pk)).status_code == 404


def test_open_actions_of_the_last_completed_review_are_in_the_report(cast):
    review = SelfReview.objects.create(school=cast.school, number=1, started_by=cast.head,
                                       completed_by=cast.head, completed_at=timezone.now())  # fmt: skip
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    ReviewAction.objects.create(school=cast.school, review=review, area="policy", what="Chase the last staff",
                                owner=owner, due_on=datetime.date(2026, 11, 1))  # fmt: skip
    report = make_report(cast.school, now=at(datetime.date(2026, 12, 7)))
    text = text_of(pdf_of(report))
    assert (
        "Chase the last staff Policy and acceptable use Self-review 1 Sam Slt 1 November 2026 (past its date)"
        in text
    )
    assert "1 of 1 open actions are past their due date" in text  # and it needs the governors' attention


def test_a_school_with_no_pupils_reads_in_words_not_none_percent(cast):
    m = figures.consent(cast.other_school, timezone.now())
    assert m.parts and {part for _, part in m.parts} == {"No pupils on roll"}
    text = text_of(pdf_of(make_report(cast.other_school)))
    assert "None" not in text and "No self-review has been completed yet" in text


def test_a_case_about_any_reader_of_the_report_is_not_counted_in_it(cast):
    """One document for every reader: an allegation about the Headteacher (the chair manages it) and one naming a
    governor as having done it are left out of the report, so the Headteacher does not read "fewer than 3"
    allegations about themselves; a case about a teacher, who does not read the report, is counted. The live
    figures (and the chair's case list) still hold them all."""
    allegation = about_head(cast)
    named = case(cast, Case.Kind.ALLEGATION)
    Involved.objects.create(school=cast.school, case=named, role=Involved.Role.ALLEGED,
                            member=cast.member(cast.governor), added_by=cast.head)  # fmt: skip
    about_teacher = case(cast, Case.Kind.ALLEGATION)
    Case.objects.filter(pk=about_teacher.pk).update(subject=cast.member(cast.teacher))
    now = timezone.now()
    live = figures.all_figures(cast.school, now)
    assert live["incidents"].values["allegation"] == 3 and live["lado"].values["overdue"] == 1
    report = make_report(cast.school, by=cast.actor(cast.slt), now=now)
    assert report.figures["incidents"]["values"]["allegation"] == 1
    assert report.figures["lado"]["values"]["overdue"] == 0
    assert (
        report.figures["lado"]["wording"]
        == "No allegation needed referring to the LADO in the last 12 months"
    )
    text = text_of(pdf_of(report))
    assert "An allegation about a member of staff Fewer than 3" in text  # the teacher's, blurred
    assert LEFT_OUT in text and text.count(LEFT_OUT) == 2  # under incidents and under the LADO clock
    # The chair of governors still reads the allegation about the Headteacher among the incidents.
    chair = signed_in(cast.governor)
    detail = reverse("case_detail", kwargs={"school": cast.school.slug, "pk": allegation.pk})
    assert chair.get(detail).status_code == 200


def test_the_reports_page_and_making_one_say_who_is_told_from_whether_a_chair_is_recorded(cast):
    """The page and the message after making a report name whoever ``make_report`` tells: the chair of
    governors, or, with none recorded, the Headteacher (``rules.conduct.chair_of_governors``)."""
    head = signed_in(cast.head)
    page = head.get(url(cast, "report_list")).content.decode()
    assert "the chair of governors is told" in page
    made = head.post(url(cast, "report_make"), follow=True).content.decode()
    assert "is made: the chair of governors is told" in made
    Membership.objects.filter(pk=cast.member(cast.governor).pk).update(is_chair_of_governors=False)
    page = head.get(url(cast, "report_list")).content.decode()
    made = head.post(url(cast, "report_make"), follow=True).content.decode()
    for words in (page, made):
        assert "the chair of governors is told" not in words and "tells the chair" not in words
        assert "no chair of governors is recorded, so the Headteacher is told" in words
