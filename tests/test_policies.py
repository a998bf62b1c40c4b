from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.policies.models import Policy, PolicySection, PolicyVersion
from saferstaff.policies.services import DocumentError, fill_placeholders, import_policy
from saferstaff.schools.roles import Actor

from .conftest import signed_in, skip_or_fail

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "online-safety-and-social-media-guidance.txt"

SMALL = b"""Acceptable Use Policy

Section 1 - Overview

This policy applies to all staff of [name of school].

Section 2 - Passwords

Never share a password with anyone at (Name of School).
"""


def test_placeholders_take_the_schools_name():
    text = "Staff of [name of school] and (Name of School) and [ name of the school ]."
    assert fill_placeholders(text, "Westfield") == "Staff of Westfield and Westfield and Westfield."


def test_import_makes_a_draft_with_numbered_sections_and_an_audit_event(cast):
    version, _ = import_policy(
        cast.school, title="Acceptable Use Policy", filename="aup.txt", data=SMALL, by=cast.head
    )
    assert version.status == PolicyVersion.Status.DRAFT and version.number == 1
    numbers = [s.number for s in version.sections.all() if s.number]
    assert numbers == ["1", "2"]
    assert AuditEvent.objects.filter(action="policy.version_imported", object_id=str(version.pk)).exists()
    again, _ = import_policy(
        cast.school, title="Acceptable Use Policy", filename="aup.txt", data=SMALL, by=cast.head
    )
    assert again.number == 2 and Policy.objects.filter(school=cast.school).count() == 1


def test_a_bad_document_saves_nothing(cast):
    with pytest.raises(DocumentError):
        import_policy(cast.school, title="X", filename="policy.docx", data=b"not a zip at all", by=cast.head)
    assert not Policy.objects.exists() and not PolicySection.objects.exists()


def test_the_head_imports_in_the_browser_and_sees_sections_with_the_schools_name(cast):
    client = signed_in(cast.head)
    response = client.post(
        reverse("policy_import", kwargs={"school": cast.school.slug}),
        {
            "title": "Acceptable Use Policy",
            "kind": "acceptable_use",
            "file": SimpleUploadedFile("aup.txt", SMALL),
        },
    )
    version = PolicyVersion.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/policies/{version.policy_id}/v1/")
    page = client.get(response["Location"]).content.decode()
    assert 'id="section-2"' in page and "§2 Passwords" in page
    assert f"all staff of {cast.school.name}" in page and "[name of school]" not in page


def test_a_refused_upload_shows_the_reason_and_is_audited(cast):
    client = signed_in(cast.head)
    response = client.post(
        reverse("policy_import", kwargs={"school": cast.school.slug}),
        {
            "title": "AUP",
            "kind": "acceptable_use",
            "file": SimpleUploadedFile("aup.docx", b"PK\x03\x04broken"),
        },
    )
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
    assert not PolicyVersion.objects.exists()
    assert AuditEvent.objects.filter(action="policy.import_refused").exists()


def test_drafts_are_hidden_from_staff_until_published(cast):
    version, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    url = reverse("policy_version", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1})
    assert signed_in(cast.teacher).get(url).status_code == 404
    assert (
        "AUP"
        not in signed_in(cast.teacher)
        .get(reverse("policy_list", kwargs={"school": cast.school.slug}))
        .content.decode()
    )
    assert signed_in(cast.slt).get(url).status_code == 200
    PolicyVersion.objects.filter(pk=version.pk).update(status=PolicyVersion.Status.PUBLISHED)
    assert signed_in(cast.teacher).get(url).status_code == 200


def test_import_policy_command_prints_the_seeds_sections(cast, capsys):
    if not SEED.exists():
        skip_or_fail(f"the seed guidance is not at {SEED} (it comes with ../shared)")
    call_command(
        "import_policy", "--school", cast.school.slug, "--title", "Online Safety and Social Media", str(SEED)
    )
    lines = capsys.readouterr().out.strip().splitlines()
    numbers = [line.split("\t")[0] for line in lines]
    assert numbers == ["1", "1.1", "1.2", "2", "3", "4", "5", "6", "7", "7.1", "7.2", "8", "9"]
    assert "5\tCreating Images of Students through Video or Photography" in lines
    assert "7.1\tAcceptable Use" in lines


def test_import_policy_command_refuses_bad_input_with_the_reason(cast, tmp_path):
    bad = tmp_path / "policy.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("import_policy", "--school", cast.school.slug, "--title", "X", str(bad))
    with pytest.raises(CommandError, match="no school with the slug .nope."):
        call_command("import_policy", "--school", "nope", "--title", "X", str(bad))
    assert not PolicyVersion.objects.exists()


SMALL_V2 = SMALL.replace(b"Never share a password", b"Never share or write down a password") + (
    b"\nSection 3 - Devices\n\nLock your screen.\n"
)


def _publish(client, school, version, **data):
    url = reverse(
        "policy_publish", kwargs={"school": school.slug, "pk": version.policy_id, "number": version.number}
    )
    return client.post(url, data)


def test_publishing_a_new_version_archives_the_old_one(cast):
    v1, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    client = signed_in(cast.head)
    assert _publish(client, cast.school, v1, review_date="31/08/2027").status_code == 302
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.PUBLISHED and str(v1.review_date) == "2027-08-31"
    v2, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL_V2, by=cast.head)
    assert _publish(client, cast.school, v2, minor_change="on").status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status, v2.minor_change) == ("archived", "published", True)
    event = AuditEvent.objects.filter(action="policy.decision", object_id=str(v2.pk)).latest("seq")
    assert event.detail == {"rule": "policy.publish", "allowed": True, "sections": ["§2"]}


def test_a_first_version_cannot_be_a_minor_change_and_the_reason_cites_the_clause(cast):
    v1, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    response = _publish(signed_in(cast.head), cast.school, v1, minor_change="on")
    assert response.status_code == 200 and "(§2)" in response.content.decode()
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.DRAFT


def test_staff_cannot_publish(cast):
    v1, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    assert _publish(signed_in(cast.teacher), cast.school, v1).status_code == 403
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.DRAFT


def test_what_changed_shows_added_and_changed_sections_word_by_word(cast):
    v1, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    v2, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL_V2, by=cast.head)
    client = signed_in(cast.head)
    url = reverse("policy_changes", kwargs={"school": cast.school.slug, "pk": v2.policy_id, "number": 2})
    page = client.get(url).content.decode()
    assert (
        '<p class="govuk-body app-diff">Never share<ins class="app-ins"> or write down</ins> a password'
        in page
    )
    assert "§3 Devices" in page and "Added" in page
    assert "§1 Overview" not in page  # unchanged sections are not listed


def test_a_trust_publishes_one_document_to_every_school_each_with_its_own_name(cast):
    client = signed_in(cast.trust_admin)
    url = reverse("trust_policy_publish", kwargs={"trust": cast.trust.slug})
    response = client.post(
        url,
        {
            "title": "Acceptable Use Policy",
            "kind": "acceptable_use",
            "file": SimpleUploadedFile("aup.txt", SMALL),
        },
    )
    assert response.status_code == 302
    versions = PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).select_related(
        "policy__school"
    )
    assert sorted(v.school_id for v in versions) == sorted([cast.school.pk, cast.other_school.pk])
    other = versions.get(school=cast.other_school)
    page = signed_in(cast.other_teacher).get(
        reverse(
            "policy_version", kwargs={"school": cast.other_school.slug, "pk": other.policy_id, "number": 1}
        )
    )
    assert f"all staff of {cast.other_school.name}" in page.content.decode()
    # A bad file publishes nowhere.
    client.post(url, {"title": "Other", "kind": "other", "file": SimpleUploadedFile("x.docx", b"not a zip")})
    assert not Policy.objects.filter(title="Other").exists()
    assert signed_in(cast.head).get(url).status_code == 404


def test_an_oversize_policy_upload_is_refused_before_it_is_read(cast, monkeypatch):
    import saferstaff.policies.forms as forms

    monkeypatch.setattr(forms, "MAX_POLICY_BYTES", 100)
    response = signed_in(cast.head).post(
        reverse("policy_import", kwargs={"school": cast.school.slug}),
        {
            "title": "Big",
            "kind": "other",
            "file": SimpleUploadedFile("big.txt", b"Section 1 - A\n\n" + b"x" * 200),
        },
    )
    assert response.status_code == 200 and "the limit is 10 MB" in response.content.decode()
    assert not PolicyVersion.objects.exists()


def _questions_url(school, version):
    return reverse(
        "policy_questions", kwargs={"school": school.slug, "pk": version.policy_id, "number": version.number}
    )


def test_a_malformed_removal_of_a_question_is_a_400_not_a_500(cast):
    from saferstaff.policies.models import QuizQuestion

    version, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    head = signed_in(cast.head)
    url = _questions_url(cast.school, version)
    head.post(url, {"text": "Share a password?", "answers": "Yes\n*No", "section": "2"})
    question = QuizQuestion.objects.get()
    assert head.post(url, {"delete": "x"}).status_code == 400
    assert head.post(url, {"delete": "99999999999999999999"}).status_code == 400
    assert head.post(url, {"delete": str(question.pk + 1000)}).status_code == 404
    assert head.post(url, {}).status_code == 200  # an empty form: its errors, named by field
    assert QuizQuestion.objects.count() == 1
    assert head.post(url, {"delete": str(question.pk)}).status_code == 302
    assert not QuizQuestion.objects.exists()
    assert AuditEvent.objects.filter(action="policy.question_removed", object_id=str(version.pk)).exists()


def test_questions_change_only_through_their_doors_while_the_version_is_a_draft(cast):
    """The page calls add_question and remove_question, which check the rule (§2: only a draft's questions
    change) and record each change; a published version's questions stay as staff answered them."""
    from saferstaff.policies.models import QuizQuestion
    from saferstaff.policies.services import add_question, publish_version, remove_question

    version, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    url = _questions_url(cast.school, version)
    head = signed_in(cast.head)
    for n in range(1, 7):
        head.post(url, {"text": f"Question {n}?", "answers": "Yes\n*No", "section": "2"})
    assert QuizQuestion.objects.count() == 5  # the sixth: "A version has at most five questions"
    assert list(QuizQuestion.objects.values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    assert AuditEvent.objects.filter(action="policy.question_added", object_id=str(version.pk)).count() == 5
    assert publish_version(version, by=cast.head, minor_change=False)
    question = QuizQuestion.objects.first()
    assert not add_question(version, text="Late?", answers=["Yes", "No"], correct=1, section="", by=cast.head)
    assert not remove_question(question, by=cast.head)
    page = head.post(url, {"delete": str(question.pk)})
    assert (
        page.status_code == 200
        and "only be changed while the version is a draft (§2)" in page.content.decode()
    )
    assert QuizQuestion.objects.count() == 5
    assert not AuditEvent.objects.filter(action="policy.question_removed").exists()


def test_a_question_may_cite_only_a_section_the_version_has(cast):
    from saferstaff.policies.models import QuizQuestion

    version, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    head = signed_in(cast.head)
    response = head.post(
        _questions_url(cast.school, version),
        {"text": "Share a password?", "answers": "Yes\n*No", "section": "§9"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Version 1 has no §9" in page and "one of 1, 2" in page
    assert 'href="#id_section"' in page  # the error summary names the field
    assert not QuizQuestion.objects.exists()
    head.post(
        _questions_url(cast.school, version), {"text": "Share?", "answers": "Yes\n*No", "section": "§ 2"}
    )
    assert QuizQuestion.objects.get().section == "2"


def _version_url(name, school, version):
    return reverse(name, kwargs={"school": school.slug, "pk": version.policy_id, "number": version.number})


def test_a_version_with_the_same_text_is_a_minor_change_unless_the_publisher_says_what_changed(cast):
    from saferstaff.policies.models import Acceptance
    from saferstaff.policies.status import accept

    v1, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    head = signed_in(cast.head)
    assert _publish(head, cast.school, v1).status_code == 302
    v1.refresh_from_db()
    accept(
        Actor.of(cast.teacher, cast.school), v1, typed_name="Tom Teacher", understood=True, ip_address=None
    )
    v2, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    page = head.get(_version_url("policy_version", cast.school, v2)).content.decode()
    assert "The text of this version is the same as version 1" in page
    # Saying it must be accepted again, without saying why: refused, the error names the field.
    response = _publish(head, cast.school, v2, minor_change="off")
    assert response.status_code == 200 and 'href="#id_change_note"' in response.content.decode()
    v2.refresh_from_db()
    assert v2.status == PolicyVersion.Status.DRAFT
    # Not said: a minor change, and everyone's acceptance still counts.
    response = _publish(head, cast.school, v2)
    v2.refresh_from_db()
    assert response.status_code == 302 and (v2.status, v2.minor_change) == ("published", True)
    assert "published as a minor change" in head.get(response["Location"]).content.decode()
    teacher = signed_in(cast.teacher)
    assert teacher.get(reverse("school_dashboard", kwargs={"school": cast.school.slug})).status_code == 200
    # Said otherwise, with a reason: acceptances are reset and "What changed" carries the reason.
    v3, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    note = "Everyone reads it again after the incident review in the summer."
    assert _publish(head, cast.school, v3, minor_change="off", change_note=note).status_code == 302
    v3.refresh_from_db()
    assert v3.minor_change is False
    assert teacher.get(reverse("school_dashboard", kwargs={"school": cast.school.slug})).status_code == 302
    assert note in teacher.get(_version_url("policy_changes", cast.school, v3)).content.decode()
    assert Acceptance.objects.filter(user=cast.teacher).count() == 1


def test_the_same_document_sent_again_to_a_trust_keeps_acceptances(cast):
    from saferstaff.policies.services import publish_to_trust
    from saferstaff.policies.status import accept, outstanding_compulsory

    first = publish_to_trust(cast.trust, title="Code", filename="c.txt", data=SMALL, kind="other", by=None)
    ours = next(v for v in first if v.school_id == cast.school.pk)
    accept(
        Actor.of(cast.teacher, cast.school), ours, typed_name="Tom Teacher", understood=True, ip_address=None
    )
    again = publish_to_trust(cast.trust, title="Code", filename="c.txt", data=SMALL, kind="other", by=None)
    assert all(v.minor_change for v in again)
    assert not outstanding_compulsory(cast.member(cast.teacher))


def test_a_review_date_in_the_past_is_refused_and_it_can_be_moved_later(cast):
    import datetime

    v1, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    head = signed_in(cast.head)
    response = _publish(head, cast.school, v1, review_date="01/09/2020")
    page = response.content.decode()
    assert response.status_code == 200 and 'href="#id_review_date"' in page and "in the future" in page
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.DRAFT
    next_year = datetime.date.today().year + 1
    assert _publish(head, cast.school, v1, review_date=f"31/08/{next_year}").status_code == 302
    head.post(
        _version_url("policy_accept", cast.school, v1), {"understood": "on", "typed_name": "Helen Head"}
    )
    url = _version_url("policy_review_date", cast.school, v1)
    assert 'name="review_date"' in head.get(_version_url("policy_version", cast.school, v1)).content.decode()
    refused = head.post(url, {"review_date": "2020-01-01"})
    assert refused.status_code == 400 and 'href="#id_review_date"' in refused.content.decode()
    assert head.post(url, {"review_date": "not a date"}).status_code == 400
    assert head.post(url, {"review_date": f"{next_year + 1}-07-31"}).status_code == 302
    v1.refresh_from_db()
    assert v1.review_date == datetime.date(next_year + 1, 7, 31)
    event = AuditEvent.objects.get(action="policy.review_date_changed")
    assert event.detail == {"from": f"{next_year}-08-31", "to": f"{next_year + 1}-07-31"}
    assert signed_in(cast.teacher).post(url, {"review_date": "2030-01-01"}).status_code == 403
    # Through the page and the door alike, a version no longer in force keeps the date it had (§2).
    from saferstaff.policies.services import change_review_date

    v2, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL_V2, by=cast.head)
    assert not change_review_date(v2, datetime.date(next_year + 2, 1, 1), by=cast.head)  # a draft
    assert _publish(head, cast.school, v2, minor_change="off", change_note="Passwords").status_code == 302
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.ARCHIVED
    archived = head.post(url, {"review_date": f"{next_year + 2}-07-31"})
    assert archived.status_code == 400 and "Only the version in force" in archived.content.decode()
    assert not change_review_date(v1, datetime.date(next_year + 2, 1, 1), by=cast.head)
    v1.refresh_from_db()
    assert v1.review_date == datetime.date(next_year + 1, 7, 31)
    assert AuditEvent.objects.filter(action="policy.review_date_changed").count() == 1


def test_a_draft_can_be_deleted_and_is_not_called_must_be_accepted(cast):
    from saferstaff.policies.status import accept

    draft, _ = import_policy(cast.school, title="Draft AUP", filename="aup.txt", data=SMALL, by=cast.head)
    head = signed_in(cast.head)
    listing = head.get(reverse("policy_list", kwargs={"school": cast.school.slug})).content.decode()
    assert "a draft: not yet published" in listing and "must be accepted" not in listing
    assert (
        signed_in(cast.teacher).post(_version_url("policy_draft_delete", cast.school, draft)).status_code
        == 403
    )
    response = head.post(_version_url("policy_draft_delete", cast.school, draft))
    assert response.status_code == 302 and response["Location"].endswith("/policies/")
    assert not Policy.objects.filter(title="Draft AUP").exists() and not PolicySection.objects.exists()
    event = AuditEvent.objects.get(action="policy.draft_deleted")
    assert event.object_id == str(draft.pk) and event.detail["policy_deleted"] is True
    # A published version stays (acceptances point at it); deleting its later draft keeps the policy.
    v1, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL, by=cast.head)
    _publish(head, cast.school, v1)
    v1.refresh_from_db()
    accept(Actor.of(cast.head, cast.school), v1, typed_name="Helen Head", understood=True, ip_address=None)
    assert head.post(_version_url("policy_draft_delete", cast.school, v1)).status_code == 302
    v1.refresh_from_db()
    assert v1.status == PolicyVersion.Status.PUBLISHED
    v2, _ = import_policy(cast.school, title="AUP", filename="aup.txt", data=SMALL_V2, by=cast.head)
    head.post(_version_url("policy_draft_delete", cast.school, v2))
    assert list(PolicyVersion.objects.values_list("number", flat=True)) == [1]


def test_the_import_message_counts_sections_in_good_english(cast):
    one = b"Section 1 - Overview\n\nThis policy applies to all staff.\n"
    upload = SimpleUploadedFile("aup.txt", one, content_type="text/plain")
    response = signed_in(cast.head).post(
        reverse("policy_import", kwargs={"school": cast.school.slug}),
        {"title": "AUP", "kind": "acceptable_use", "file": upload},
        follow=True,
    )
    page = response.content.decode()
    assert "imported with 1 section." in page
