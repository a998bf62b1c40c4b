"""§8, UK GDPR art. 5(1)(e): the one retention schedule, the daily sweep, confirmed destruction with its
certificates, and legal holds (issue 16)."""

import datetime
import importlib
import io
import re
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from saferstaff.clocks import add_months
from saferstaff.consent.models import ConsentRecord
from saferstaff.incidents.models import Case, Note
from saferstaff.notifications.models import Notification
from saferstaff.photos.models import Image, ImageTag
from saferstaff.privacy import destruction, schedule, sweep
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import DestructionCertificate, DueRecord, LegalHold
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Guardian, Membership, Pupil, RoleGrant

from .conftest import signed_in
from .image_samples import approved_activity, pupil_with_parents, purpose

TODAY = datetime.date(2030, 6, 15)


def ago(days: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12))) - datetime.timedelta(
        days=days
    )


def leaver(cast, name="Oakes", left_days=800, school=None):
    pupil, guardians = pupil_with_parents(school or cast.school, "Amelia", name)
    Pupil.objects.filter(pk=pupil.pk).update(leaving_date=TODAY - datetime.timedelta(days=left_days))
    pupil.refresh_from_db()
    return pupil, guardians


def notice(cast, days: int, user=None):
    return Notification.objects.create(
        school=cast.school, user=user or cast.teacher, kind="test", title="A notice", created_at=ago(days)
    )


def due(key=None):
    rows = DueRecord.objects.all()
    return {(r.record_type, r.record_id) for r in (rows.filter(record_type=key) if key else rows)}


def test_every_kind_has_a_period_a_trigger_and_a_source_in_words(cast):
    entries = schedule.schedule(cast.school.pk)
    assert set(entries) == set(KINDS)
    for entry in entries.values():
        assert entry.source and entry.words
    assert entries["images"].months == 24 and "§5" in entries["images"].source
    assert entries["allegations"].months == 120 and "retirement" in entries["allegations"].review
    assert entries["low_level_concerns"].words == "Until the member of staff left"


def test_the_sweep_lists_what_is_past_its_period_once(cast):
    old, recent = notice(cast, 400), notice(cast, 300)
    pupil, (parent,) = leaver(cast)
    stays, _ = pupil_with_parents(cast.school, "Ben", "Here")
    added = sweep.sweep(TODAY)
    assert ("notifications", str(old.pk)) in due() and ("notifications", str(recent.pk)) not in due()
    assert ("pupils", str(pupil.pk)) in due() and ("pupils", str(stays.pk)) not in due()
    assert ("guardians", str(parent.pk)) in due()
    assert added["notifications"] == 1
    row = DueRecord.objects.get(record_type="notifications", record_id=str(old.pk))
    assert row.due_on == add_months(timezone.localtime(old.created_at).date(), 12)
    assert DueRecord.objects.get(record_type="pupils", record_id=str(pupil.pk)).due_on == add_months(
        pupil.leaving_date, 24
    )
    assert sweep.sweep(TODAY)["notifications"] == 0  # listed once


def image_of(cast, pupils, days: int) -> Image:
    """An image row captured ``days`` before TODAY, tagged with ``pupils`` (no stored file: not needed here)."""
    activity = approved_activity(cast.school, cast.teacher, cast.head)
    n = Image.objects.count()
    image = Image.objects.create(
        school=cast.school, activity=activity, original=f"test/{n}.jpg", original_name="x.jpg",
        content_type="image/jpeg", size=1, sha256=f"{n:064d}", captured_at=ago(days),
    )  # fmt: skip
    for p in pupils:
        ImageTag.objects.create(school=cast.school, image=image, pupil=p)
    return image


def consent_of(cast, pupil, guardian) -> ConsentRecord:
    return ConsentRecord.objects.create(
        school=cast.school, pupil=pupil, purpose=purpose(cast.school, "website"), answer="yes",
        source="guardian", guardian=guardian, method="paper",
    )  # fmt: skip


def test_a_hold_on_a_pupil_makes_the_sweep_skip_every_record_about_them(cast):
    held, (held_parent,) = leaver(cast, "Held")
    other, (other_parent,) = leaver(cast, "Free")
    for p, g in ((held, held_parent), (other, other_parent)):
        consent_of(cast, p, g)
        image_of(cast, [p], 800)
    destruction.place_hold(cast.school, by=cast.dpo, scope="pupil", pupil=held, reason="Police inquiry")
    sweep.sweep(TODAY)
    listed = due()
    about_held = {
        ("pupils", str(held.pk)), ("guardians", str(held_parent.pk)),
        ("consent_answers", str(held.consent_records.get().pk)),
        ("images", str(Image.objects.get(tags__pupil=held).pk)),
    }  # fmt: skip
    assert not about_held & listed
    assert {("pupils", str(other.pk)), ("guardians", str(other_parent.pk))} <= listed
    assert ("images", str(Image.objects.get(tags__pupil=other).pk)) in listed
    assert ("consent_answers", str(other.consent_records.get().pk)) in listed


def test_a_hold_placed_later_drops_the_due_rows_and_a_hold_after_confirmation_refuses_destruction(cast):
    a, b = notice(cast, 400), notice(cast, 400)
    sweep.sweep(TODAY)
    destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="notifications")
    destruction.place_hold(cast.school, by=cast.dpo, scope="record", record_type="notifications",
                           record_id=str(a.pk), reason="Claim")  # fmt: skip
    assert ("notifications", str(a.pk)) not in due()  # dropped at once
    # A hold placed behind the list's back (as if between listing and destroying) is still obeyed.
    DueRecord.objects.create(school=cast.school, record_type="notifications", record_id=str(a.pk),
                             due_on=TODAY, status="confirmed")  # fmt: skip
    counts = destruction.destroy_confirmed(school_id=cast.school.pk)
    assert counts["held"] == 1 and counts["destroyed"] == 1
    assert Notification.objects.filter(pk=a.pk).exists() and not Notification.objects.filter(pk=b.pk).exists()
    assert not DestructionCertificate.objects.filter(record_id=str(a.pk)).exists()


def test_a_hold_that_ended_stops_holding_and_one_ending_in_the_past_is_refused(cast):
    n = notice(cast, 400)
    with pytest.raises(Refused) as refused:
        destruction.place_hold(cast.school, by=cast.dpo, scope="record_type", record_type="notifications",
                               reason="Claim", ends_on=timezone.localdate() - datetime.timedelta(days=1))  # fmt: skip
    assert refused.value.decision.reasons[0].field == "ends_on"
    destruction.place_hold(cast.school, by=cast.dpo, scope="record_type", record_type="notifications",
                           reason="Claim", ends_on=timezone.localdate())  # fmt: skip
    sweep.sweep(timezone.localdate() + datetime.timedelta(days=2000))
    assert ("notifications", str(n.pk)) in due()


def test_a_period_change_moves_the_due_dates(cast):
    n = notice(cast, 400)
    schedule.change_retention(
        cast.school, key="notifications", months=24, why="The governors asked", by=cast.dpo
    )
    sweep.sweep(TODAY)
    assert ("notifications", str(n.pk)) not in due()
    schedule.change_retention(cast.school, key="notifications", months=6, why="Less is better", by=cast.dpo)
    sweep.sweep(TODAY)
    row = DueRecord.objects.get(record_type="notifications")
    assert row.due_on == add_months(timezone.localtime(n.created_at).date(), 6)
    with pytest.raises(Refused):
        schedule.change_retention(cast.school, key="notifications", months=6, why="", by=cast.teacher)
    with pytest.raises(Refused) as refused:
        schedule.change_retention(cast.school, key="notifications", months=7, why="", by=cast.dpo)
    assert refused.value.decision.reasons[0].field == "why"


def test_a_run_that_fails_half_way_leaves_no_record_destroyed_without_its_certificate_and_resumes(
    cast, monkeypatch
):
    notices = [notice(cast, 400) for _ in range(5)]
    sweep.sweep(TODAY)
    destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="notifications")
    real, calls = destruction._delete, []

    def fails_on_the_third(key, obj):
        calls.append(obj.pk)
        if len(calls) == 3:
            raise RuntimeError("the worker was killed")
        real(key, obj)

    monkeypatch.setattr(destruction, "_delete", fails_on_the_third)
    with pytest.raises(RuntimeError):
        destruction.destroy_confirmed(school_id=cast.school.pk)
    gone = {n.pk for n in notices} - set(Notification.objects.values_list("pk", flat=True))
    certified = {int(i) for i in DestructionCertificate.objects.values_list("record_id", flat=True)}
    assert len(gone) == 2 and gone == certified
    assert DueRecord.objects.filter(status="confirmed").count() == 3
    monkeypatch.setattr(destruction, "_delete", real)
    assert destruction.destroy_confirmed(school_id=cast.school.pk)["destroyed"] == 3
    assert not Notification.objects.filter(pk__in=[n.pk for n in notices]).exists()
    assert DestructionCertificate.objects.count() == 5 and not DueRecord.objects.exists()


def test_destroying_a_leaver_removes_their_history_rows_and_the_certificate_names_nobody(cast):
    pupil, (parent,) = leaver(cast, "Zebedee")
    pupil.year_group = "2"
    pupil.save()  # a second history row
    consent_of(cast, pupil, parent)
    assert Pupil.history.filter(id=pupil.pk).count() >= 2
    sweep.sweep(TODAY)
    destruction.confirm_destruction(
        cast.school, by=cast.dpo, ids=DueRecord.objects.values_list("pk", flat=True)
    )
    counts = destruction.destroy_confirmed(school_id=cast.school.pk)
    assert counts["destroyed"] == 3, counts
    assert not Pupil.history.filter(id=pupil.pk).exists()
    assert not Guardian.history.filter(id=parent.pk).exists()
    assert not Pupil.objects.filter(pk=pupil.pk).exists()
    born = pupil.date_of_birth
    for cert in DestructionCertificate.objects.all():
        text = " ".join(str(getattr(cert, f.attname)) for f in cert._meta.concrete_fields)
        for name in ("Zebedee", "Amelia", parent.email, "Parent0"):
            assert name not in text
        # Nor their date of birth: personal data, not what the record was.
        for day in (born.isoformat(), f"{born:%d/%m/%Y}"):
            assert day not in cert.description, cert.description
        assert len(cert.sha256) == 64 and cert.confirmed_by_id == cast.dpo.pk and cert.rule
    with pytest.raises(ValueError):
        DestructionCertificate.objects.first().delete()


# --- Pages ------------------------------------------------------------------------------------------------------


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def test_the_schedule_shows_every_kind_and_the_dpo_changes_a_period_with_a_reason(cast):
    dpo = signed_in(cast.dpo)
    page = dpo.get(url(cast, "retention_schedule"))
    assert page.status_code == 200
    for kind in KINDS.values():
        assert escape(kind.label) in page.content.decode()
    form = url(cast, "retention_rule", record_type="notifications")
    assert dpo.get(form).status_code == 200
    bad = dpo.post(form, {"months": "lots", "why": ""})
    assert bad.status_code == 200 and "Enter a whole number of months" in bad.content.decode()
    unexplained = dpo.post(form, {"months": "18", "why": ""})
    assert "Say why the school keeps it for this long" in unexplained.content.decode()
    assert dpo.post(form, {"months": "18", "why": "Trust policy"}).status_code == 302
    assert schedule.schedule(cast.school.pk)["notifications"].months == 18
    assert dpo.get(url(cast, "retention_rule", record_type="publications")).status_code == 404
    assert dpo.get(url(cast, "retention_rule", record_type="nonsense")).status_code == 404
    assert signed_in(cast.teacher).get(form).status_code in (403, 404)
    assert signed_in(cast.dsl).post(form, {"months": "1", "why": "x"}).status_code in (403, 404)


def test_the_due_list_groups_by_kind_and_the_dpo_confirms_all_of_a_kind_after_saying_it_is_them(cast):
    notices = [notice(cast, 400) for _ in range(3)]
    leaver(cast)
    sweep.sweep(TODAY)
    page = url(cast, "retention_due")
    dpo = signed_in(cast.dpo)
    listed = dpo.get(page)
    assert listed.status_code == 200 and "Notifications" in listed.content.decode()
    # Why a confirmed leaver can come back to the list, said before the DPO is surprised by it.
    assert "while a case or a subject access request about them is kept" in listed.content.decode()
    assert "Destroy all 3<span" in listed.content.decode()  # the notices
    assert "Destroy all 1<" not in listed.content.decode() and "Destroy 1<span" in listed.content.decode()
    assert str(notices[0].pk) in dpo.get(page + "?kind=notifications").content.decode()
    asked = dpo.post(page, {"kind": "notifications", "all": "1"})
    assert asked.status_code == 302 and "reauthenticate" in asked["Location"]
    assert not DueRecord.objects.filter(status="confirmed").exists()
    dpo = signed_in(cast.dpo, confirmed=True)
    done = dpo.post(page, {"kind": "notifications", "all": "1"})
    assert done.status_code == 302
    assert DueRecord.objects.filter(record_type="notifications", status="confirmed").count() == 3
    assert DueRecord.objects.filter(record_type="pupils", status="due").count() == 1
    chosen = DueRecord.objects.get(record_type="pupils")
    dpo.post(page, {"kind": "pupils", "row": [str(chosen.pk), "99999999999999999999", "x"]})
    chosen.refresh_from_db()
    assert chosen.status == "confirmed" and chosen.confirmed_by == cast.dpo
    assert dpo.post(page, {"kind": "nonsense", "all": "1"}).status_code == 404
    # A forged or stale row: nothing confirmed, and the page says so instead of "Confirmed 0 records".
    forged = dpo.post(page, {"kind": "pupils", "row": ["999999"]}, follow=True).content.decode()
    assert "Confirmed 0" not in forged and "None of the records chosen is due" in forged


def test_the_worker_and_the_daily_job_destroy_what_was_confirmed(cast, django_capture_on_commit_callbacks):
    n = notice(cast, 400)
    sweep.sweep(TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="notifications")
    assert not Notification.objects.filter(pk=n.pk).exists()  # the task ran (the immediate backend)
    m = notice(cast, 400)
    sweep.sweep(TODAY)
    destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="notifications")  # no task ran
    out = io.StringIO()
    call_command("run_daily", stdout=out)
    assert not Notification.objects.filter(pk=m.pk).exists()
    assert "destroyed" in out.getvalue()


def test_certificates_page_filters_and_downloads_csv_with_no_names(cast):
    pupil, _ = leaver(cast, "Quentin")
    sweep.sweep(TODAY)
    destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="pupils")
    destruction.destroy_confirmed(school_id=cast.school.pk)
    dpo = signed_in(cast.dpo)
    page = dpo.get(url(cast, "retention_certificates") + "?kind=pupils&from=2000-01-01&to=bad")
    assert page.status_code == 200 and f"no. {pupil.pk}" in page.content.decode()
    csv_ = dpo.get(url(cast, "retention_certificates") + "?format=csv")
    body = csv_.content.decode()
    assert csv_["Content-Type"].startswith("text/csv") and f"{pupil.pk}" in body and "Quentin" not in body


def test_the_hold_form_shows_each_scopes_questions_under_it_and_find_keeps_what_was_typed(cast):
    """Each scope's questions stand under its own choice and show only while it is chosen (GOV.UK conditional
    reveal by CSS alone, so without JavaScript too); Find keeps the reason, the end date and the scope typed; only the chosen scope's
    answers are used; one record's kind is refused beside its own field."""
    pupil, _ = leaver(cast, "Holloway")
    dpo = signed_in(cast.dpo)
    page = dpo.get(url(cast, "hold_add")).content.decode()
    blocks = {
        "pupil": ('name="q"',), "member": ('name="member"',), "case": ('name="case"',),
        "record_type": ('name="record_type"',), "record": ('name="record_kind"', 'name="record_id"'),
    }  # fmt: skip
    for scope, names in blocks.items():
        assert f'name="scope" type="radio" value="{scope}">' in page
        block = page.split(f'id="scope-{scope}"', 1)[1].split("govuk-radios__item", 1)[0]
        assert all(n in block for n in names)
    assert (
        'class="govuk-radios app-reveal"' in page
        and 'name="scope" type="radio" value="pupil" checked' not in page
    )
    typed = {
        "scope": "pupil",
        "q": "Holloway",
        "find": "1",
        "reason": "An inquiry asked",
        "ends_on": "2031-05-04",
    }
    found = dpo.post(url(cast, "hold_add"), typed)
    text = found.content.decode()
    assert found.status_code == 200 and not LegalHold.objects.exists()
    assert f'name="pupil" type="radio" value="{pupil.pk}"' in text and "An inquiry asked" in text
    assert 'value="2031-05-04"' in text and 'value="pupil" checked' in text
    assert 'name="q" type="text" value="Holloway"' in text
    assert len(re.findall(r'name="scope" type="radio" value="[a-z_]+" checked', text)) == 1
    # Answers left under another scope (a forged case number) are not used.
    placed = dpo.post(
        url(cast, "hold_add"),
        {"scope": "pupil", "pupil": pupil.pk, "q": "Holloway", "reason": "Inquiry", "case": "99999999",
         "record_kind": "nonsense"},
    )  # fmt: skip
    assert placed.status_code == 302 and LegalHold.objects.get().pupil == pupil
    # One record: its kind is asked under its own choice, and a refusal stands beside it.
    none = dpo.post(url(cast, "hold_add"), {"scope": "record", "record_id": "12", "reason": "Inquiry",
                                            "record_type": "images"})  # fmt: skip
    assert 'href="#id_record_kind">The record&#x27;s kind: Choose a kind of record' in none.content.decode()
    linked = dpo.get(url(cast, "hold_add") + "?scope=record&record_type=images&record_id=7").content.decode()
    kind = linked.split('id="scope-record"', 1)[1]
    assert '<option value="images" selected>' in kind and 'value="7"' in kind


def test_the_dpo_places_a_hold_on_a_pupil_found_by_name_and_releases_it(cast):
    pupil, _ = leaver(cast, "Holloway")
    sweep.sweep(TODAY)
    assert ("pupils", str(pupil.pk)) in due()
    dpo = signed_in(cast.dpo)
    found = dpo.get(url(cast, "hold_add") + "?q=Holloway")
    assert found.status_code == 200 and "Holloway" in found.content.decode()
    missing = dpo.post(url(cast, "hold_add"), {"scope": "pupil", "reason": "", "q": "Holloway"})
    assert "Say why the records must be kept" in missing.content.decode()
    nobody = dpo.post(url(cast, "hold_add"), {"scope": "pupil", "reason": "Inquiry"})
    assert "Choose a pupil of this school" in nobody.content.decode()
    past = dpo.post(url(cast, "hold_add"), {"scope": "pupil", "pupil": pupil.pk, "reason": "Inquiry",
                                            "ends_on": "2001-01-01", "q": "Holloway"})  # fmt: skip
    assert "A hold cannot end in the past" in past.content.decode()
    forged = dpo.post(url(cast, "hold_add"), {"scope": "case", "case": "99999999", "reason": "Inquiry"})
    assert forged.status_code == 200 and "no case with that number" in forged.content.decode()
    placed = dpo.post(url(cast, "hold_add"), {"scope": "pupil", "pupil": pupil.pk, "reason": "Inquiry",
                                              "q": "Holloway"})  # fmt: skip
    assert placed.status_code == 302
    assert ("pupils", str(pupil.pk)) not in due()  # off the list at once
    hold = LegalHold.objects.get()
    assert "Holloway" in dpo.get(url(cast, "hold_list")).content.decode()
    assert dpo.get(url(cast, "hold_release", pk=hold.pk)).status_code == 200
    assert dpo.post(url(cast, "hold_release", pk=hold.pk)).status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == cast.dpo
    assert dpo.get(url(cast, "hold_release", pk=hold.pk + 1000)).status_code == 404
    other = LegalHold.objects.create(school=cast.other_school, scope="record_type", record_type="images",
                                     reason="x")  # fmt: skip
    assert dpo.post(url(cast, "hold_release", pk=other.pk)).status_code == 404
    sweep.sweep(TODAY)
    assert ("pupils", str(pupil.pk)) in due()


class _Rows:
    """A stand-in for a model the migration reads that no longer exists (its rows as plain objects)."""

    def __init__(self, rows, **filters):
        self.rows, self.filters = rows, filters

    @property
    def objects(self):
        return self

    def _match(self, row, key, value):
        if key.endswith("__isnull"):
            return (getattr(row, key[: -len("__isnull")]) is None) == value
        return getattr(row, key) == value

    def all(self):
        return self

    def filter(self, **kw):
        return _Rows([r for r in self.rows if all(self._match(r, k, v) for k, v in kw.items())])

    def exclude(self, **kw):
        return _Rows([r for r in self.rows if not all(self._match(r, k, v) for k, v in kw.items())])

    def iterator(self):
        return iter(self.rows)

    def __iter__(self):
        return iter(self.rows)


def test_the_images_only_retention_is_adopted_by_the_one_schedule(cast):
    adopt = importlib.import_module("saferstaff.privacy.migrations.0002_adopt_image_retention").adopt
    now = timezone.now()
    old = {
        "Destruction": _Rows([SimpleNamespace(
            school_id=cast.school.pk, image_ref=77, sha256="a" * 64, kind="photo", captured_on=datetime.date(2022, 1, 5),
            kept_until=datetime.date(2024, 1, 5), confirmed_by_id=cast.head.pk, destroyed_at=now,
        )]),
        "Image": _Rows([
            SimpleNamespace(pk=5, school_id=cast.school.pk, legal_hold=True, legal_hold_reason="Police ref 42",
                            destruction_queued_at=now, keep_until=datetime.date(2025, 1, 1)),
            SimpleNamespace(pk=6, school_id=cast.school.pk, legal_hold=False, legal_hold_reason="",
                            destruction_queued_at=now, keep_until=datetime.date(2025, 2, 1)),
        ]),
        "SchoolSettings": _Rows([SimpleNamespace(school_id=cast.school.pk, image_retention_months=36),
                                 SimpleNamespace(school_id=cast.other_school.pk, image_retention_months=24)]),
    }  # fmt: skip

    class Apps:
        def get_model(self, app, name):
            return old[name] if name in old else django_apps.get_model(app, name)

    adopt(Apps(), None)
    cert = DestructionCertificate.objects.get()
    assert (cert.record_type, cert.record_id, cert.confirmed_by, cert.due_on) == (
        "images",
        "77",
        cast.head,
        datetime.date(2024, 1, 5),
    )
    hold = LegalHold.objects.get()
    assert (hold.scope, hold.record_type, hold.record_id, hold.reason) == (
        "record",
        "images",
        "5",
        "Police ref 42",
    )
    assert due() == {("images", "6")}
    assert schedule.schedule(cast.school.pk)["images"].months == 36
    assert schedule.schedule(cast.other_school.pk)["images"].months == 24


@given(day=st.dates(datetime.date(2000, 1, 1), datetime.date(2090, 12, 31)), months=st.integers(0, 400))
def test_the_cutoff_is_the_last_trigger_date_due_on_the_day(day, months):
    last = sweep.cutoff(day, months)
    assert add_months(last, months) <= day < add_months(last + datetime.timedelta(days=1), months)


@pytest.mark.parametrize(
    ("left", "months", "due_on"),
    [
        (datetime.date(2027, 1, 31), 1, datetime.date(2027, 2, 28)),
        (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),  # a leap year
        (datetime.date(2027, 3, 31), 1, datetime.date(2027, 4, 30)),
        (datetime.date(2028, 2, 29), 12, datetime.date(2029, 2, 28)),
        (datetime.date(2027, 8, 31), 6, datetime.date(2028, 2, 29)),
    ],
)
def test_the_database_counts_months_as_the_clocks_do_at_month_ends(cast, left, months, due_on):
    pupil, _ = leaver(cast)
    Pupil.objects.filter(pk=pupil.pk).update(leaving_date=left)
    schedule.change_retention(cast.school, key="pupils", months=months, why="Test", by=cast.dpo)
    sweep.sweep(due_on)
    assert DueRecord.objects.get(record_type="pupils").due_on == due_on == add_months(left, months)
    DueRecord.objects.all().delete()
    sweep.sweep(due_on - datetime.timedelta(days=1))
    assert not DueRecord.objects.filter(record_type="pupils").exists()  # not a day early


def test_an_allegation_about_the_headteacher_is_never_listed_counted_or_confirmed_by_them_and_goes_whole(
    cast, django_capture_on_commit_callbacks
):
    case = Case.objects.create(
        school=cast.school, kind="allegation", reported_by=cast.teacher, reported_at=ago(4000),
        happened_on=TODAY - datetime.timedelta(days=4000), what_happened="Secret words", routed_to="chair",
        subject=cast.member(cast.head), closed_at=ago(3900), status="closed",
    )  # fmt: skip
    Note.objects.create(school=cast.school, case=case, author=cast.governor, text="First")
    sweep.sweep(TODAY)
    assert ("allegations", str(case.pk)) in due()
    head, dpo = signed_in(cast.head, confirmed=True), signed_in(cast.dpo, confirmed=True)
    page = url(cast, "retention_due")
    assert "Allegations about staff" not in head.get(page).content.decode()
    head.post(page, {"kind": "allegations", "all": "1"})
    assert DueRecord.objects.get(record_type="allegations").status == "due"
    assert "Allegations about staff" in dpo.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        dpo.post(page, {"kind": "allegations", "all": "1"})
    assert not Case.objects.filter(pk=case.pk).exists() and not Note.objects.filter(case_id=case.pk).exists()
    cert = DestructionCertificate.objects.get(record_type="allegations")
    assert "Secret" not in cert.description
    certificates = url(cast, "retention_certificates")
    assert f"no. {case.pk}" in dpo.get(certificates).content.decode()
    assert f"no. {case.pk}" not in head.get(certificates).content.decode()


def test_a_member_of_staff_who_left_goes_with_their_role_grants_and_history_and_one_still_named_waits(cast):
    leaver_member = cast.member(cast.volunteer)
    leaver_member.ended_on = TODAY - datetime.timedelta(days=7 * 366)
    leaver_member.save()  # a history row of the leaving
    named = cast.member(cast.office)
    named.ended_on = TODAY - datetime.timedelta(days=7 * 366)
    named.save()
    # A released hold holds nothing, but it still names them: their record waits for it.
    LegalHold.objects.create(
        school=cast.school, scope="member", member=named, reason="x", released_at=timezone.now()
    )
    assert Membership.history.filter(id=leaver_member.pk).exists()
    sweep.sweep(TODAY)
    assert {("staff", str(leaver_member.pk)), ("staff", str(named.pk))} <= due()
    destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="staff")
    counts = destruction.destroy_confirmed()
    assert counts["destroyed"] == 1 and counts["kept"] == 1
    assert not Membership.objects.filter(pk=leaver_member.pk).exists()
    assert not Membership.history.filter(id=leaver_member.pk).exists()
    assert not RoleGrant.history.filter(membership_id=leaver_member.pk).exists()
    assert Membership.objects.filter(pk=named.pk).exists()
    assert DueRecord.objects.get(record_id=str(named.pk)).status == "due"  # waits for what still names them


def test_saved_draft_checks_go_when_due_without_the_dpo_and_a_hold_on_their_author_keeps_them(cast):
    """The schedule is the only door for saved checks: the daily run destroys them when due, with a
    certificate and no confirmation; the school's period and a legal hold are obeyed as for every kind."""
    from saferstaff.postcheck.models import SavedCheck

    def saved(author, days):
        return SavedCheck.objects.create(
            school=cast.school, author=author, text="Well done Noah!", verdict="ok",
            created_at=timezone.now() - datetime.timedelta(days=days),
        )  # fmt: skip

    old, recent, held = saved(cast.teacher, 100), saved(cast.teacher, 45), saved(cast.head, 100)
    head = Membership.objects.get(school=cast.school, user=cast.head)
    destruction.place_hold(cast.school, by=cast.dpo, scope="member", member=head, reason="Claim")
    call_command("run_daily", stdout=io.StringIO())
    assert set(SavedCheck.objects.values_list("pk", flat=True)) == {recent.pk, held.pk}
    certificate = DestructionCertificate.objects.get(record_type="draft_checks")
    assert certificate.record_id == str(old.pk) and certificate.confirmed_by is None
    assert "Noah" not in certificate.description and "3 months" in certificate.rule
    schedule.change_retention(cast.school, key="draft_checks", months=1, why="Trust policy", by=cast.dpo)
    call_command("run_daily", stdout=io.StringIO())
    assert set(SavedCheck.objects.values_list("pk", flat=True)) == {held.pk}
    assert not DueRecord.objects.filter(record_type="draft_checks").exists()


def test_face_templates_are_erased_by_their_room_alone_and_no_school_period_applies(cast):
    entry = schedule.schedule(cast.school.pk)["face_templates"]
    assert not entry.swept and entry.words.startswith("Erased when consent to face matching ends")
    assert "face_templates" not in sweep.SPECS
    with pytest.raises(Refused) as refused:
        schedule.change_retention(cast.school, key="face_templates", months=12, why="Trust", by=cast.dpo)
    assert "the school does not set its period" in refused.value.decision.reasons[0].text
    page = signed_in(cast.dpo).get(url(cast, "retention_rule", record_type="face_templates"))
    assert page.status_code == 404


def test_a_low_level_concern_about_the_dpo_is_never_listed_or_confirmed_by_them(cast):
    """Concerns are due only once their subject has left, but a due row about the reader is kept from them by
    the same rule as cases about them (KCSIE Part 4), whatever put it on the list."""
    from saferstaff.conduct.models import LowLevelConcern

    concern = LowLevelConcern.objects.create(
        school=cast.school, subject=cast.member(cast.dpo), raised_by=cast.slt, happened_on=TODAY, what="Late",
        routed_to="headteacher",
    )  # fmt: skip
    DueRecord.objects.create(
        school=cast.school, record_type="low_level_concerns", record_id=str(concern.pk), due_on=TODAY
    )
    dpo, head = signed_in(cast.dpo, confirmed=True), signed_in(cast.head, confirmed=True)
    page = url(cast, "retention_due")
    label = escape(KINDS["low_level_concerns"].label)
    assert label not in dpo.get(page).content.decode()
    dpo.post(page, {"kind": "low_level_concerns", "all": "1"})
    assert DueRecord.objects.get(record_type="low_level_concerns").status == "due"
    assert label in head.get(page).content.decode()
