import re

import pytest
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.policies.models import Acceptance, PolicyVersion
from saferstaff.policies.services import import_policy
from saferstaff.policies.status import accept, accept_on_behalf, decline
from saferstaff.rules.engine import Refused
from saferstaff.rules.policies import may_accept_on_behalf
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .test_policies import SMALL, SMALL_V2


def published(cast, data=SMALL, *, title="Internet Acceptable Use Policy", minor=False, **policy_fields):
    version, _ = import_policy(cast.school, title=title, filename="aup.txt", data=data, by=cast.head)
    version.publish(by=cast.head, minor_change=minor)
    if policy_fields:
        type(version.policy).objects.filter(pk=version.policy_id).update(**policy_fields)
        version.refresh_from_db()
    return version


def accept_url(cast, version):
    return reverse(
        "policy_accept",
        kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": version.number},
    )


def dashboard(cast):
    return reverse("school_dashboard", kwargs={"school": cast.school.slug})


def test_a_compulsory_policy_stops_staff_until_they_accept_it(cast):
    version = published(cast)
    client = signed_in(cast.teacher)
    response = client.get(dashboard(cast))
    assert response.status_code == 302 and response["Location"].endswith("/policies/to-accept/")
    page = client.get(response["Location"]).content.decode()
    assert "Internet Acceptable Use Policy" in page and "To read and accept" in page
    response = client.post(
        accept_url(cast, version),
        {"understood": "on", "typed_name": "  tom   TEACHER "},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302 and response["Location"] == dashboard(cast)
    acceptance = Acceptance.objects.get(user=cast.teacher)
    assert (acceptance.version_id, acceptance.text_sha256, acceptance.ip_address) == (
        version.pk,
        version.text_sha256,
        "10.1.2.3",
    )
    assert client.get(dashboard(cast)).status_code == 200
    event = AuditEvent.objects.get(action="policy.accepted")
    assert event.actor_id == cast.teacher.pk and "Tom" not in str(event.detail)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"typed_name": "Tom Teacher"}, "Tick to confirm"),
        (
            {"understood": "on", "typed_name": "Helen Head"},
            "Type your name as saferstaff has it: Tom Teacher",
        ),
        ({"understood": "on"}, "Type your name as saferstaff has it: Tom Teacher"),
    ],
)
def test_an_acceptance_needs_the_tick_and_the_persons_own_name(cast, data, message):
    version = published(cast)
    response = signed_in(cast.teacher).post(accept_url(cast, version), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "(§2)" in page and "govuk-error-summary" in page
    assert (
        "This field is required" not in page and page.count('id="id_typed_name-error"') <= 1
    )  # one error a field
    assert not Acceptance.objects.exists()


def test_a_new_version_must_be_accepted_again_unless_it_is_a_minor_change(cast):
    v1 = published(cast)
    client = signed_in(cast.teacher)
    client.post(accept_url(cast, v1), {"understood": "on", "typed_name": "Tom Teacher"})
    published(cast, SMALL_V2, minor=True)
    assert client.get(dashboard(cast)).status_code == 200  # a typo fix keeps the acceptance
    v3 = published(cast, SMALL_V2 + b"\nSection 4 - Email\n\nUse school email only.\n")
    assert client.get(dashboard(cast)).status_code == 302  # a real change must be read again
    client.post(accept_url(cast, v3), {"understood": "on", "typed_name": "Tom Teacher"})
    assert client.get(dashboard(cast)).status_code == 200
    assert (
        Acceptance.objects.filter(user=cast.teacher).count() == 2
    )  # one row per acceptance, none overwritten


def test_an_acceptance_for_an_archived_version_is_refused_and_audited(cast):
    v1 = published(cast)
    published(cast, SMALL_V2)
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.ARCHIVED
    response = signed_in(cast.teacher).post(
        accept_url(cast, v1), {"understood": "on", "typed_name": "Tom Teacher"}
    )
    assert response.status_code == 200 and "no longer the one in force" in response.content.decode()
    assert not Acceptance.objects.exists()
    refused = AuditEvent.objects.filter(action="policy.decision", object_id=str(v1.pk)).latest("seq")
    assert refused.detail["allowed"] is False and refused.detail["rule"] == "policy.accept"


def test_a_policy_for_volunteers_does_not_stop_employees(cast):
    published(cast, audience_employment=["volunteer"])
    assert signed_in(cast.teacher).get(dashboard(cast)).status_code == 200
    assert signed_in(cast.volunteer).get(dashboard(cast)).status_code == 302


def test_an_optional_policy_does_not_block(cast):
    published(cast, compulsory=False)
    assert signed_in(cast.teacher).get(dashboard(cast)).status_code == 200


def test_the_head_sets_who_must_read_a_policy(cast):
    version = published(cast)
    url = reverse("policy_audience", kwargs={"school": cast.school.slug, "pk": version.policy_id})
    client = signed_in(cast.head)
    client.post(accept_url(cast, version), {"understood": "on", "typed_name": "Helen Head"})
    response = client.post(
        url, {"compulsory": "on", "audience_roles": ["governor"], "audience_employment": []}
    )
    assert response.status_code == 302
    version.policy.refresh_from_db()
    assert version.policy.audience_roles == ["governor"]
    assert signed_in(cast.teacher).get(dashboard(cast)).status_code == 200
    assert signed_in(cast.governor).get(dashboard(cast)).status_code == 302


def test_acceptances_are_never_changed(cast):
    version = published(cast)
    signed_in(cast.teacher).post(accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher"})
    acceptance = Acceptance.objects.get()
    acceptance.typed_name = "Someone else"
    with pytest.raises(ValueError):
        acceptance.save()


def test_an_optional_policy_can_be_declined_with_a_reason_and_a_compulsory_one_cannot(cast):
    optional = published(cast, compulsory=False)
    client = signed_in(cast.teacher)
    decline = reverse(
        "policy_decline", kwargs={"school": cast.school.slug, "pk": optional.policy_id, "number": 1}
    )
    response = client.post(decline, {"reason": ""})
    assert response.status_code == 200 and "Say why you are declining it" in response.content.decode()
    response = client.post(decline, {"reason": "I do not use the school's Wi-Fi on my own devices."})
    assert response.status_code == 302
    row = Acceptance.objects.get(user=cast.teacher)
    assert row.outcome == Acceptance.Outcome.DECLINED and "Wi-Fi" in row.decline_reason
    page = client.get(reverse("policies_to_accept", kwargs={"school": cast.school.slug})).content.decode()
    assert "Declined" in page
    compulsory = published(cast, title="Online Safety Guidance")
    url = reverse(
        "policy_decline", kwargs={"school": cast.school.slug, "pk": compulsory.policy_id, "number": 1}
    )
    response = client.post(url, {"reason": "No."})
    assert "This policy is compulsory" in response.content.decode()
    assert Acceptance.objects.filter(user=cast.teacher).count() == 1


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _accept_for(client, cast, version, **data):
    url = reverse(
        "policy_accept_for", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}
    )
    return client.post(url, data)


def test_the_head_records_a_volunteers_paper_acceptance_with_a_note_and_the_scan(cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    version = published(cast, audience_employment=["volunteer"])
    head = signed_in(cast.head)
    volunteer = cast.member(cast.volunteer)
    response = _accept_for(
        head,
        cast,
        version,
        member=volunteer.pk,
        note="Signed the paper copy at the volunteers' induction",
        evidence=SimpleUploadedFile("Val signed form.pdf", PDF),
    )
    assert response.status_code == 302
    row = Acceptance.objects.get(user=cast.volunteer)
    assert row.on_behalf_by == cast.head and "induction" in row.note
    assert row.evidence.name.endswith(".pdf") and "Val" not in row.evidence.name
    assert row.evidence.read() == PDF
    assert signed_in(cast.volunteer).get(dashboard(cast)).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note": "", "evidence": ("f.pdf", PDF)}, "Add a note"),
        ({"note": "Paper form"}, "Attach the scanned, signed form"),
        (
            {"note": "Paper form", "evidence": ("f.pdf", b"MZ\x90\x00 not a scan")},
            "must be a PDF, JPEG or PNG",
        ),
    ],
)
def test_an_on_behalf_acceptance_needs_a_note_and_a_real_scan(cast, settings, tmp_path, data, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    version = published(cast, audience_employment=["volunteer"])
    if "evidence" in data:
        data = {**data, "evidence": SimpleUploadedFile(*data["evidence"])}
    response = _accept_for(signed_in(cast.head), cast, version, member=cast.member(cast.volunteer).pk, **data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Acceptance.objects.exists()


def test_only_the_head_records_acceptances_for_others_and_only_for_this_schools_staff(cast):
    version = published(cast)
    assert (
        _accept_for(signed_in(cast.slt), cast, version, member=cast.member(cast.teacher).pk).status_code
        == 403
    )
    other = cast.member(cast.other_teacher, cast.other_school)
    head = signed_in(cast.head)
    head.post(accept_url(cast, version), {"understood": "on", "typed_name": "Helen Head"})
    response = _accept_for(head, cast, version, member=other.pk, note="x")
    assert (
        response.status_code == 200
        and "Choose someone who must read this policy" in response.content.decode()
    )
    assert Acceptance.objects.get().user == cast.head  # only the Headteacher's own


def test_the_governors_see_who_has_accepted_by_role_and_employment(cast):
    version = published(cast)
    for user in (cast.teacher, cast.volunteer):
        name = user.get_full_name()
        signed_in(user).post(accept_url(cast, version), {"understood": "on", "typed_name": name})
    page = signed_in(cast.governor).get(reverse("policy_dashboard", kwargs={"school": cast.school.slug}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>2 of 9</strong> accepted" in html
    assert 'Volunteer</th><td class="govuk-table__cell govuk-table__cell--numeric">1 of 2' in html
    assert "Helen Head" in html.split("Not yet accepted")[1]  # the chase list


def test_the_dashboard_needs_the_same_number_of_queries_for_many_staff(cast, django_assert_max_num_queries):
    from saferstaff.policies.status import school_overview

    from .conftest import make_person

    published(cast)
    published(cast, title="Code of Conduct")
    with django_assert_max_num_queries(6):
        few = school_overview(cast.school)
    for n in range(40):
        make_person(f"extra.person{n}@school.example", cast.school, {"staff"})
    with django_assert_max_num_queries(6):
        many = school_overview(cast.school)
    assert few[0]["audience"] == 9 and many[0]["audience"] == 49


def test_the_csv_export_asks_for_the_password_and_is_safe_in_a_spreadsheet(cast):
    from saferstaff.accounts.models import User

    User.objects.filter(pk=cast.teacher.pk).update(first_name='=HYPERLINK("http://evil.example")')
    published(cast)
    url = reverse("policy_dashboard_csv", kwargs={"school": cast.school.slug})
    response = signed_in(cast.governor).get(url)
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response["Location"]
    response = signed_in(cast.governor, confirmed=True).get(url)
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
    assert "Not yet accepted" in body
    assert signed_in(cast.teacher).get(url).status_code == 403


def test_questions_must_be_answered_rightly_before_accepting(cast):
    from saferstaff.policies.models import QuizQuestion

    version, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    questions_url = reverse(
        "policy_questions", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}
    )
    head = signed_in(cast.head)
    bad = head.post(questions_url, {"text": "Can you share a password?", "answers": "Yes\nNo"})
    assert "Put * in front of exactly one answer" in bad.content.decode()
    head.post(
        questions_url,
        {"text": "Can you share a password?", "answers": "Yes\n*No\nOnly with friends", "section": "§2"},
    )
    question = QuizQuestion.objects.get()
    assert (
        question.answers == ["Yes", "No", "Only with friends"]
        and question.correct == 1
        and question.section == "2"
    )
    version.publish(by=cast.head)
    # Once published, the questions are fixed.
    head.post(questions_url, {"delete": question.pk})
    assert QuizQuestion.objects.count() == 1

    teacher = signed_in(cast.teacher)
    page = teacher.get(
        reverse("policy_version", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1})
    )
    assert "Question 1: Can you share a password?" in page.content.decode()
    wrong = teacher.post(
        accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher", f"q{question.pk}": "0"}
    )
    assert "1 of the questions was not answered rightly" in wrong.content.decode()
    assert not Acceptance.objects.exists()
    right = teacher.post(
        accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher", f"q{question.pk}": "1"}
    )
    assert right.status_code == 302 and Acceptance.objects.filter(user=cast.teacher).exists()


def test_the_pdf_report_is_a_real_pdf_with_the_figures(cast):
    import io

    version = published(cast)
    signed_in(cast.teacher).post(accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher"})
    url = reverse("policy_dashboard_pdf", kwargs={"school": cast.school.slug})
    assert signed_in(cast.governor).get(url).status_code == 302  # step-up first
    response = signed_in(cast.governor, confirmed=True).get(url)
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "1 of 9" in text and "Internet Acceptable Use Policy" in text


def test_a_forged_acceptance_for_someone_else_records_only_the_sender(cast):
    version = published(cast)
    forged = {
        "understood": "on",
        "typed_name": "Helen Head",
        "user": cast.head.pk,
        "member": cast.member(cast.head).pk,
    }
    response = signed_in(cast.teacher).post(accept_url(cast, version), forged)
    assert (
        response.status_code == 200
        and "Type your name as saferstaff has it: Tom Teacher" in response.content.decode()
    )
    url = reverse(
        "policy_accept_for", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}
    )
    assert (
        signed_in(cast.teacher).post(url, {"member": cast.member(cast.head).pk, "note": "x"}).status_code
        == 403
    )
    assert not Acceptance.objects.exists()
    refused = AuditEvent.objects.filter(action="policy.decision", actor_id=cast.teacher.pk).latest("seq")
    assert refused.detail["allowed"] is False


def test_the_trust_sees_acceptance_school_by_school_in_a_fixed_number_of_queries(
    cast, django_assert_max_num_queries
):
    from django.core.cache import caches

    from saferstaff.policies.counts import trust_overview
    from saferstaff.policies.services import publish_to_trust

    from .conftest import make_person

    versions = publish_to_trust(
        cast.trust, title="Code of Conduct", filename="c.txt", data=SMALL, kind="code_of_conduct", by=None
    )
    ours = next(v for v in versions if v.school_id == cast.school.pk)
    signed_in(cast.teacher).post(accept_url(cast, ours), {"understood": "on", "typed_name": "Tom Teacher"})
    with django_assert_max_num_queries(6):
        few = trust_overview(cast.trust)
    for n in range(30):
        make_person(f"more.staff{n}@school.example", cast.other_school, {"staff"})
    # make_person writes no audit event (the product's doors all do): forget what the page kept.
    caches["overview"].clear()
    with django_assert_max_num_queries(6):
        many = trust_overview(cast.trust)
    assert few["titles"] == ["Code of Conduct"]
    cells = {row["name"]: row["cells"][0] for row in many["rows"]}
    assert cells[cast.school.name] == (1, 9) and cells[cast.other_school.name] == (0, 31)
    page = signed_in(cast.trust_admin).get(reverse("trust_dashboard", kwargs={"trust": cast.trust.slug}))
    assert "1 of 9" in page.content.decode()


def test_the_trust_page_asks_the_same_queries_however_many_schools_the_trust_runs(cast):
    """The same number of queries, none of them longer (a list of ids, one per school or version, would grow
    with the trust and slowed the page), for two schools as for five."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from saferstaff.policies.services import publish_to_trust

    from .conftest import make_person, make_school

    def page_queries() -> tuple[int, int, str]:
        client = signed_in(cast.trust_admin)
        url = reverse("trust_dashboard", kwargs={"trust": cast.trust.slug})
        client.get(url)  # the session's first request does its own bookkeeping
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url)
        assert page.status_code == 200
        return len(ctx), sum(len(q["sql"]) for q in ctx.captured_queries), page.content.decode()

    def publish(title: str) -> None:
        versions = publish_to_trust(
            cast.trust, title=title, filename="c.txt", data=SMALL, kind="code_of_conduct", by=None
        )
        ours = next(v for v in versions if v.school_id == cast.school.pk)
        name = cast.teacher.get_full_name()
        signed_in(cast.teacher).post(accept_url(cast, ours), {"understood": "on", "typed_name": name})

    publish("Code of Conduct")
    few, few_sql, _ = page_queries()
    for n in range(3):
        school = make_school(f"Extra School {n}", f"10010{n}", f"300{n}", cast.trust)
        make_person(f"extra.staff{n}@school.example", school, {"staff"})
    publish("Acceptable Use")
    many, many_sql, html = page_queries()
    assert many == few
    assert many_sql == few_sql
    assert html.count("Extra School") >= 6  # each new school in both tables
    assert re.search(r"numeric\">1 of 9</td>", html)


def test_the_trust_page_title_is_plain_text(cast):
    page = signed_in(cast.trust_admin).get(reverse("trust_dashboard", kwargs={"trust": cast.trust.slug}))
    title = page.content.decode().split("<title>")[1].split("</title>")[0]
    assert "<" not in title and cast.trust.name in title


def test_the_governors_see_the_trend_week_by_week(cast):
    import datetime as dt

    from django.utils import timezone

    version = published(cast)
    PolicyVersion.objects.filter(pk=version.pk).update(published_at=timezone.now() - dt.timedelta(days=20))
    signed_in(cast.teacher).post(accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher"})
    Acceptance.objects.filter(user=cast.teacher).update(accepted_at=timezone.now() - dt.timedelta(days=17))
    signed_in(cast.dsl).post(accept_url(cast, version), {"understood": "on", "typed_name": "Dawn Dsl"})
    from saferstaff.policies.status import school_overview

    trend = school_overview(cast.school)[0]["trend"]
    assert [(p["week"], p["accepted"]) for p in trend] == [(1, 1), (2, 1), (3, 2)]
    assert trend[-1]["percent"] == 22  # 2 of 9
    page = signed_in(cast.governor).get(reverse("policy_dashboard", kwargs={"school": cast.school.slug}))
    assert "Accepted week by week" in page.content.decode() and "22% (2 of 9)" in page.content.decode()


def test_the_trust_page_and_the_schools_page_count_accepted_the_same_way(cast):
    """People who accepted and then fell outside the audience (the audience was narrowed) count on neither
    page; the two pages agree with each other and with the truth."""
    import re

    from saferstaff.policies.counts import trust_overview
    from saferstaff.policies.status import school_overview

    version = published(cast)
    for user in (cast.head, cast.dsl, cast.teacher):
        name = user.get_full_name()
        signed_in(user).post(accept_url(cast, version), {"understood": "on", "typed_name": name})
    type(version.policy).objects.filter(pk=version.policy_id).update(audience_roles=["staff"])
    # The truth: the audience is everyone with the Staff role; of them only the teacher has accepted.
    audience = {cast.office, cast.teacher, cast.volunteer}
    accepted = {u for u in audience if Acceptance.objects.filter(user=u, version=version).exists()}
    assert (len(accepted), len(audience)) == (1, 3)

    school = school_overview(cast.school)[0]
    trust_cell = {row["name"]: row["cells"][0] for row in trust_overview(cast.trust)["rows"]}[
        cast.school.name
    ]
    assert (school["accepted"], school["audience"]) == trust_cell == (1, 3)

    school_page = signed_in(cast.head).get(reverse("policy_dashboard", kwargs={"school": cast.school.slug}))
    trust_page = signed_in(cast.trust_admin).get(
        reverse("trust_dashboard", kwargs={"trust": cast.trust.slug})
    )
    assert re.search(r"<strong>1 of 3</strong> accepted", school_page.content.decode())
    assert re.search(r"numeric\">1 of 3</td>", trust_page.content.decode())


def test_the_gate_refuses_form_submissions_too_and_keeps_the_safe_pages_open(cast):
    from saferstaff.schools.models import SchoolSettings

    version, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.slt)
    version.publish(by=cast.slt)  # someone else's version: the Headteacher must accept it first
    head = signed_in(cast.head, confirmed=True)  # the settings ask for the password again (step-up)
    settings_url = reverse("school_settings", kwargs={"school": cast.school.slug})
    response = head.post(
        settings_url,
        {"pupil_voice_age": 1, "reminder_days": "3", "escalate_after_days": 14},
    )
    assert response.status_code == 302 and response["Location"].endswith("/policies/to-accept/")
    assert SchoolSettings.for_school(cast.school).pupil_voice_age == 12  # nothing written
    audience_url = reverse("policy_audience", kwargs={"school": cast.school.slug, "pk": version.policy_id})
    response = head.post(audience_url, {"audience_roles": ["governor"]})
    assert response.status_code == 302 and response["Location"].endswith("/policies/to-accept/")
    version.policy.refresh_from_db()
    assert version.policy.audience_roles == []
    # What stays open: checking a post, accepting, and signing out.
    check = head.post(
        reverse("draft_check", kwargs={"school": cast.school.slug}), {"text": "Hello", "form": "post"}
    )
    assert check.status_code == 200
    assert (
        head.post(accept_url(cast, version), {"understood": "on", "typed_name": "Helen Head"}).status_code
        == 302
    )
    assert Acceptance.objects.filter(user=cast.head).count() == 1
    assert head.post(settings_url, {"pupil_voice_age": 1}).status_code == 200  # the form itself now
    assert head.post(reverse("account_logout")).status_code == 302


def test_publishing_does_not_lock_the_publisher_out_of_finishing_the_publication(cast):
    version = published(cast)
    head = signed_in(cast.head)
    head.post(accept_url(cast, version), {"understood": "on", "typed_name": "Helen Head"})
    v2, _ = import_policy(
        cast.school, title=version.policy.title, filename="aup.txt", data=SMALL_V2, by=cast.head
    )
    kwargs = {"school": cast.school.slug, "pk": v2.policy_id, "number": 2}
    assert head.post(reverse("policy_publish", kwargs=kwargs), {}).status_code == 302
    # The Headteacher now has version 2 to accept, yet may still say who must read it.
    audience_url = reverse("policy_audience", kwargs={"school": cast.school.slug, "pk": v2.policy_id})
    assert head.get(audience_url).status_code == 200
    response = head.post(audience_url, {"compulsory": "on", "audience_roles": ["headteacher", "staff"]})
    assert response.status_code == 302 and response["Location"].endswith("/policies/")
    v2.policy.refresh_from_db()
    assert v2.policy.audience_roles == ["headteacher", "staff"]
    # … but not the rest of saferstaff until they accept it.
    assert head.get(dashboard(cast))["Location"].endswith("/policies/to-accept/")


def test_a_paper_acceptance_is_recorded_once_and_only_for_someone_still_to_accept(cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from saferstaff.policies.status import accept

    settings.MEDIA_ROOT = tmp_path
    version = published(cast, audience_employment=["volunteer"])
    head = signed_in(cast.head)
    head.post(accept_url(cast, version), {"understood": "on", "typed_name": "Helen Head"})
    volunteer = cast.member(cast.volunteer)

    def paper(member):
        scan = SimpleUploadedFile("form.pdf", PDF)
        return _accept_for(head, cast, version, member=member.pk, note="Signed at induction", evidence=scan)

    offered = head.get(
        reverse(
            "policy_accept_for", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}
        )
    ).content.decode()
    assert f'value="{volunteer.pk}"' in offered
    assert f'value="{cast.member(cast.teacher).pk}"' not in offered  # not in the audience
    assert paper(volunteer).status_code == 302
    again = paper(volunteer)  # the Back button and a resubmit
    assert again.status_code == 200 and "has not accepted version 1 yet" in again.content.decode()
    assert paper(cast.member(cast.teacher)).status_code == 200  # outside the audience
    assert Acceptance.objects.filter(user=cast.volunteer).count() == 1
    # The service itself is idempotent per person and version (a double submit racing past the form).
    first = Acceptance.objects.get(user=cast.volunteer)
    assert (
        accept(
            Actor.of(cast.volunteer, cast.school),
            version,
            typed_name="Val Volunteer",
            understood=True,
            ip_address=None,
        )
        == first
    )
    assert Acceptance.objects.filter(user=cast.volunteer).count() == 1


def test_the_database_holds_one_acceptance_per_person_and_version(cast):
    from django.db import IntegrityError, transaction

    version = published(cast)
    signed_in(cast.teacher).post(accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher"})
    row = Acceptance.objects.get()
    row.pk = None
    row._state.adding = True
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_a_failed_quiz_says_which_answers_were_wrong_and_links_their_sections(cast):
    from saferstaff.policies.models import QuizQuestion

    version, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    first = QuizQuestion.objects.create(
        school=cast.school, version=version, position=1, text="Who is it for?", answers=["All", "Some"], correct=0,
        section="1",
    )  # fmt: skip
    second = QuizQuestion.objects.create(
        school=cast.school, version=version, position=2, text="Share a password?", answers=["Yes", "No"],
        correct=1, section="2",
    )  # fmt: skip
    version.publish(by=cast.head)
    response = signed_in(cast.teacher).post(
        accept_url(cast, version),
        {"understood": "on", "typed_name": "Tom Teacher", f"q{first.pk}": "0", f"q{second.pk}": "0"},
    )
    page = response.content.decode()
    assert "Question 2 was not answered rightly: read §2 Passwords again" in page
    assert "Question 1 was not answered rightly" not in page
    assert '<a class="govuk-link" href="#section-2">§2 Passwords</a>' in page
    assert f'href="#id_q{second.pk}_0"' in page or f'href="#id_q{second.pk}"' in page  # the summary links it
    assert not Acceptance.objects.exists()


def test_the_overview_tells_the_head_who_has_not_accepted_and_shows_the_governor_the_figures(cast):
    version = published(cast)
    signed_in(cast.head).post(accept_url(cast, version), {"understood": "on", "typed_name": "Helen Head"})
    signed_in(cast.governor).post(
        accept_url(cast, version), {"understood": "on", "typed_name": "Gail Governor"}
    )
    page = signed_in(cast.head).get(dashboard(cast)).content.decode()
    board = reverse("policy_dashboard", kwargs={"school": cast.school.slug})
    assert (
        f'<a class="govuk-link" href="{board}">7 people have not accepted every compulsory policy yet</a>'
        in page
    )
    governor = signed_in(cast.governor).get(dashboard(cast)).content.decode()
    assert "Policies accepted (§2)" in governor and "2 of 9" in governor
    assert "have not accepted" not in governor  # the chase is the Headteacher's to do
    teacher = signed_in(cast.teacher)
    teacher.post(accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher"})
    assert "Policies accepted" not in teacher.get(dashboard(cast)).content.decode()


def test_line_managers_offered_are_staff_who_can_manage(cast):
    from saferstaff.schools.models import EmploymentType, Membership

    Membership.objects.filter(user=cast.office).update(employment_type=EmploymentType.AGENCY)
    url = reverse("staff_roles", kwargs={"school": cast.school.slug, "pk": cast.member(cast.teacher).pk})
    page = signed_in(cast.head, confirmed=True).get(url).content.decode()
    options = page.split('name="line_manager"')[1].split("</select>")[0]
    for user in (cast.head, cast.slt, cast.line_manager, cast.office):
        assert f'value="{cast.member(user).pk}"' in options, user
    for user in (
        cast.governor,
        cast.dpo,
        cast.volunteer,
        cast.teacher,
    ):  # governor, contractor, volunteer, self
        assert f'value="{cast.member(user).pk}"' not in options, user
    refused = signed_in(cast.head, confirmed=True).post(
        url, {"roles": ["staff"], "line_manager": cast.member(cast.governor).pk}
    )
    assert refused.status_code == 200 and 'href="#id_line_manager"' in refused.content.decode()


def test_the_head_cannot_record_a_paper_acceptance_for_themselves(cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    version = published(
        cast, compulsory=False
    )  # so the Headteacher, who has not accepted it, reaches the form
    own = cast.member(cast.head)
    decision = may_accept_on_behalf(
        Actor.of(cast.head, cast.school), subject=version, member=own, note="Paper", has_evidence=True
    )
    assert not decision and [r.section for r in decision.reasons] == ["§2"]
    assert "Accept the policy yourself" in str(decision.reasons[0])
    assert may_accept_on_behalf(
        Actor.of(cast.head, cast.school),
        subject=version,
        member=cast.member(cast.teacher),
        note="Paper",
        has_evidence=True,
    )
    head = signed_in(cast.head)
    url = reverse(
        "policy_accept_for", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}
    )
    page = head.get(url).content.decode()
    assert f'value="{own.pk}"' not in page and f'value="{cast.member(cast.teacher).pk}"' in page
    scan = SimpleUploadedFile("f.pdf", PDF)
    response = _accept_for(head, cast, version, member=own.pk, note="Signed paper form", evidence=scan)
    assert (
        response.status_code == 200
        and "Choose someone who must read this policy" in response.content.decode()
    )


def test_the_accept_and_decline_addresses_opened_again_lead_back_to_the_policy(cast):
    """A mistake on the accept form leaves its address in the browser; opening it again (a reload from the
    address bar, a bookmark) was an empty "405" page. It now leads back to the policy, nothing recorded."""
    version = published(cast)
    head = signed_in(cast.head)
    version_url = reverse(
        "policy_version", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}
    )
    for url in (accept_url(cast, version), accept_url(cast, version).replace("/accept/", "/decline/")):
        response = head.get(url)
        assert response.status_code == 302 and response["Location"] == version_url, url
    assert not Acceptance.objects.filter(user=cast.head).exists()


def test_every_acceptance_door_asks_its_rule_whoever_calls_it(cast):
    """Accepting, declining and recording a paper acceptance are doors that ask their rule themselves: a
    command, a worker or a page that forgot to ask first still cannot record an outcome the rule refuses."""
    version = published(cast)  # compulsory
    teacher = Actor.of(cast.teacher, cast.school)
    refused = [
        lambda: accept(teacher, version, typed_name="Someone Else", understood=True, ip_address=None),
        lambda: accept(teacher, version, typed_name="Tom Teacher", understood=False, ip_address=None),
        lambda: accept(
            teacher, version, typed_name="Tom Teacher", understood=True, wrong_answers=1, ip_address=None
        ),
        lambda: decline(teacher, version, reason="I would rather not", ip_address=None),  # compulsory
        lambda: accept_on_behalf(teacher, version, member=cast.member(cast.volunteer), note="Signed form"),
        lambda: accept(
            Actor.of(cast.other_teacher, cast.other_school),
            version,
            typed_name=cast.other_teacher.get_full_name(),
            understood=True,
            ip_address=None,
        ),
    ]
    for attempt in refused:
        with pytest.raises(Refused):
            attempt()
    assert not Acceptance.objects.exists()
    decisions = AuditEvent.objects.filter(action="policy.decision")
    assert decisions.count() == len(refused)
    accept(teacher, version, typed_name="Tom Teacher", understood=True, ip_address=None)
    assert Acceptance.objects.get().user == cast.teacher


def test_the_trust_page_keeps_each_schools_counts_until_that_school_changes(cast):
    """Each school's cells are kept per state of that school (ADR 0014): a page with nothing changed reads
    two queries for its table; an acceptance at one school shows on the very next request, and only that
    school is worked out again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from saferstaff.policies.counts import trust_overview
    from saferstaff.policies.services import publish_to_trust

    versions = publish_to_trust(
        cast.trust, title="Code of Conduct", filename="c.txt", data=SMALL, kind="code_of_conduct", by=None
    )
    ours = next(v for v in versions if v.school_id == cast.school.pk)
    before = {row["name"]: row["cells"][0] for row in trust_overview(cast.trust)["rows"]}
    with CaptureQueriesContext(connection) as kept:
        assert {row["name"]: row["cells"][0] for row in trust_overview(cast.trust)["rows"]} == before
    assert len(kept) == 2  # the schools and their generations
    signed_in(cast.teacher).post(accept_url(cast, ours), {"understood": "on", "typed_name": "Tom Teacher"})
    with CaptureQueriesContext(connection) as again:
        after = {row["name"]: row["cells"][0] for row in trust_overview(cast.trust)["rows"]}
    assert after[cast.school.name] == (before[cast.school.name][0] + 1, before[cast.school.name][1])
    assert after[cast.other_school.name] == before[cast.other_school.name]
    worked_out = [q["sql"] for q in again.captured_queries if "acknowledgements_acceptance" in q["sql"]]
    assert len(worked_out) == 1 and f"IN ({cast.school.pk})" in worked_out[0]  # this school only


def test_the_gate_is_asked_afresh_after_every_change_that_moves_it(cast):
    """The gate's answer is kept per state of the school (ADR 0014): accepting lifts it on the very next
    request, a newly published policy for someone else leaves it lifted, and a role given through the staff
    door that puts the person in that policy's audience closes it again at once."""
    from saferstaff.schools.roles import Role
    from saferstaff.schools.staff import set_roles

    version = published(cast)
    client = signed_in(cast.teacher)
    assert client.get(dashboard(cast)).status_code == 302
    client.post(accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher"})
    assert client.get(dashboard(cast)).status_code == 200
    published(
        cast, title="Designated safeguarding handbook", compulsory=True, audience_roles=[Role.DSL.value]
    )
    assert client.get(dashboard(cast)).status_code == 200  # not for a teacher
    set_roles(cast.member(cast.teacher), {Role.STAFF.value, Role.DSL.value}, by=cast.head)
    gated = client.get(dashboard(cast))
    assert gated.status_code == 302 and gated["Location"].endswith("/policies/to-accept/")
