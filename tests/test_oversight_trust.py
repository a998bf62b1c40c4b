"""§2 across a trust: the trust's view shows every school's figures side by side, counted by the functions the
self-review and the dashboards count with (``figures.figures_for`` behind ``all_figures``), in the same number of
queries for 2 schools or 6, with the schools that need help first; only the trust's own admin opens it."""

import argparse
import datetime
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from saferstaff.accounts.models import User
from saferstaff.consent.decided import coverage_for
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.states import GIVEN, states_for
from saferstaff.incidents.models import Case
from saferstaff.oversight import figures
from saferstaff.oversight.attention import ACCEPTANCE_BELOW
from saferstaff.oversight.readers import blurred
from saferstaff.oversight.report_pdf import attention
from saferstaff.oversight.trust import needs_help, short, trust_rows
from saferstaff.policies.counts import trust_overview
from saferstaff.policies.models import Acceptance
from saferstaff.policies.status import school_overview
from saferstaff.privacy.models import AccessRequest, Breach
from saferstaff.schools.models import Pupil, School, Trust

from .conftest import signed_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

NOW = timezone.now()


def _generate(schools: int, per_trust: int):
    import datagen

    args = argparse.Namespace(
        schools=schools,
        schools_per_trust=per_trust,
        staff=12,
        pupils=16,
        images=schools * 10,
        cases=schools * 6,
    )
    datagen.generate(datagen.Generator(args))
    return datagen


def _admin(trust_no: int, datagen) -> User:
    return User.objects.get(email=datagen.staff_email(trust_no, "trustadmin"))


@pytest.fixture
def three(db):
    """Three generated schools of one trust, made to differ: the second has a third of its acceptances of the
    current versions undone and an overdue breach, the third an allegation overdue for the LADO, a subject
    access request past its month and a third of its consent answers gone."""
    datagen = _generate(3, 3)
    first, second, third = School.objects.filter(name__startswith="Datagen School").order_by("pk")
    undone = Acceptance.objects.filter(school=second, version__number=3).order_by("pk")
    Acceptance.objects.filter(pk__in=list(undone.values_list("pk", flat=True)[::3])).delete()
    Breach.objects.create(school=second, what="Walk", aware_at=NOW - datetime.timedelta(hours=100),
                          ico_due=NOW - datetime.timedelta(hours=28))  # fmt: skip
    head = second.memberships.order_by("pk").first().user
    Case.objects.create(school=third, kind=Case.Kind.ALLEGATION, reported_by=head, happened_on=NOW.date(),
                        what_happened="Walk", lado_due=NOW - datetime.timedelta(hours=3))  # fmt: skip
    AccessRequest.objects.create(
        school=third, status="open", requester_kind="pupil", requester_name="Walk",
        received_at=NOW - datetime.timedelta(days=40), due_at=NOW - datetime.timedelta(days=2),
    )  # fmt: skip
    answers = ConsentRecord.objects.filter(school=third).order_by("pk")
    ConsentRecord.objects.filter(pk__in=list(answers.values_list("pk", flat=True)[::3])).delete()
    caches["overview"].clear()
    return datagen, [first, second, third]


def test_each_schools_cells_are_its_own_figures_and_its_dashboards(three):
    datagen, schools = three
    together = figures.figures_for([s.pk for s in schools], NOW)
    for school in schools:
        alone = figures.all_figures(school, NOW)
        assert together[school.pk] == alone  # every Measure, field by field
        # Acceptance: the policy dashboard and the trust page count the same.
        overview = school_overview(school)
        assert (alone["acceptance"].values["accepted"], alone["acceptance"].values["audience"]) == (
            sum(i["accepted"] for i in overview),
            sum(i["audience"] for i in overview),
        )
        row = next(r for r in trust_overview(school.trust)["rows"] if r["slug"] == school.slug)
        assert sum(c[0] for c in row["cells"] if c) == alone["acceptance"].values["accepted"]
        # Consent: the register's own per-school reading (states_for) decides the same.
        purposes = list(Purpose.objects.filter(school=school, active=True).order_by("pk"))
        pupils = list(Pupil.objects.filter(school=school).current())
        states = states_for(school, pupils, purposes, timezone.localdate(NOW))
        for purpose in purposes:
            given = sum(1 for p in pupils if states[(p.pk, purpose.pk)].status == GIVEN)
            assert alone["consent"].values["given"][purpose.name] == given
    # The schools really differ, so a mix-up between them would show.
    accepted = [together[s.pk]["acceptance"].values["accepted"] for s in schools]
    given = [sum(together[s.pk]["consent"].values["given"].values()) for s in schools]
    assert accepted[1] < accepted[0] and given[2] < given[0]
    assert [together[s.pk]["breaches"].values["overdue"] for s in schools] == [0, 1, 0]
    assert [together[s.pk]["lado"].values["overdue"] for s in schools] == [0, 0, 1]
    assert [together[s.pk]["subject_access"].values["overdue"] for s in schools] == [0, 0, 1]
    # The page the trust's admin reads shows each school's own short figures.
    page = signed_in(_admin(1, datagen), confirmed=True).get(
        reverse("trust_oversight", kwargs={"trust": schools[0].trust.slug})
    )
    assert page.status_code == 200
    for item in page.context["table"]:
        taken = item["row"].figures["acceptance"].taken_at  # the moment the page counted at
        alone = figures.all_figures(School.objects.get(pk=item["row"].pk), taken)
        assert [value for _, value in item["cells"]] == [short(alone[f.__name__]) for f in figures.FIGURES]
    html = page.content.decode()
    assert all(s.name in html for s in schools) and "Figures by school" in html


def test_the_schools_that_need_help_come_first(three):
    _, (first, second, third) = three
    rows = trust_rows(first.trust)
    reasons = {row.pk: row.needs for row in rows}
    assert "breach decision overdue" in reasons[second.pk]
    assert {"LADO referral overdue", "subject access overdue"} <= set(reasons[third.pk])
    assert [len(row.needs) for row in rows] == sorted((len(row.needs) for row in rows), reverse=True)
    # Three reasons each (the second's acceptance is under the threshold too), then by name; the first has one.
    assert [row.pk for row in rows] == [second.pk, third.pk, first.pk], reasons
    # Acceptance under the threshold is a reason of its own.
    low = dict(figures.all_figures(first, NOW))
    low["acceptance"] = figures.Measure(
        "acceptance", "t", {"accepted": 1, "audience": 2, "percent": ACCEPTANCE_BELOW - 1, "overdue": 0},
        "w", "s", "policy_dashboard", NOW,
    )  # fmt: skip
    assert f"acceptance {ACCEPTANCE_BELOW - 1}%" in needs_help(low)


def test_the_trust_view_and_the_governors_report_need_the_same(three):
    """One test of what needs attention: the trust's "needs help" and the report's "what needs your attention"
    give the same reasons for every generated school, including one whose staff made a fifth of their
    acceptances and one with no guidance published."""
    _, (first, second, third) = three
    kept = list(Acceptance.objects.filter(school=first).order_by("pk").values_list("pk", flat=True))[::5]
    Acceptance.objects.filter(school=first).exclude(pk__in=kept).delete()
    together = figures.figures_for([first.pk, second.pk, third.pk], NOW)
    nothing = dict(together[third.pk])
    nothing["acceptance"] = figures.Measure(
        "acceptance", "t", {"accepted": 0, "audience": 0, "percent": None, "overdue": 0}, "w", "s",
        "policy_dashboard", NOW,
    )  # fmt: skip
    low = together[first.pk]["acceptance"].values["percent"]
    assert low < 30
    cases = [together[first.pk], together[second.pk], together[third.pk], nothing]
    said_by = []
    for school_figures in cases:
        stored = blurred({key: m.as_stored() for key, m in school_figures.items()})
        report = [item["reason"] for item in attention(stored, None, NOW.date())]
        assert report == list(needs_help(school_figures))
        said_by.append(report)
    assert f"acceptance {low}%" in said_by[0]
    assert "no guidance published" in said_by[3] and "no guidance published" not in said_by[2]


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as seen:
        fn()
    return len(seen.captured_queries)


def test_the_queries_do_not_grow_with_the_number_of_schools(db):
    datagen = _generate(8, 6)  # a trust of 6 schools and one of 2
    big, small = Trust.objects.filter(name__startswith="Datagen Trust").order_by("pk")
    assert (big.schools.count(), small.schools.count()) == (6, 2)
    six = list(big.schools.values_list("pk", flat=True))
    assert _queries(lambda: figures.figures_for(six[:2], NOW)) == _queries(
        lambda: figures.figures_for(six, NOW)
    )
    counts = []
    for no, trust in ((1, big), (2, small)):
        client = signed_in(_admin(no, datagen), confirmed=True)
        url = reverse("trust_oversight", kwargs={"trust": trust.slug})
        caches["overview"].clear()
        cold = _queries(lambda c=client, u=url: c.get(u))
        warm = _queries(lambda c=client, u=url: c.get(u))
        counts.append((cold, warm))
    assert counts[0] == counts[1] and counts[0][1] < counts[0][0]  # the same cold and warm; warm reads less
    # The coverage of many schools is read in a fixed number of queries too.
    assert _queries(lambda: coverage_for(six[:2])) == _queries(lambda: coverage_for(six))


def test_only_the_trusts_own_admin_opens_it(cast):
    url = reverse("trust_oversight", kwargs={"trust": cast.trust.slug})
    assert signed_in(cast.trust_admin, confirmed=True).get(url).status_code == 200
    assert signed_in(cast.head).get(url).status_code == 404  # a school's Headteacher: not the trust's admin
    other = Trust.objects.create(name="Other Trust", slug="other-trust")
    from saferstaff.schools.models import TrustAdmin

    stranger = User.objects.create_user(email="other.admin@example.org")
    TrustAdmin.objects.create(trust=other, user=stranger)
    assert signed_in(stranger, confirmed=True).get(url).status_code == 404  # another trust's admin
    assert (
        signed_in(stranger, confirmed=True)
        .get(reverse("trust_oversight", kwargs={"trust": other.slug}))
        .status_code
        == 200
    )


def test_consent_is_kept_for_the_day_until_the_school_records_an_answer(cast, storage, monkeypatch):
    from saferstaff.audit import log as audit_log
    from saferstaff.consent.services import Answer, record_answers

    from .image_samples import pupil_with_parents, purpose

    pupil, (mum,) = pupil_with_parents(cast.school)
    website = purpose(cast.school, "website")

    def given() -> int:
        row = next(r for r in trust_rows(cast.trust) if r.pk == cast.school.pk)
        return row.figures["consent"].values["given"][website.name]

    caches["overview"].clear()
    assert given() == 0
    # The next minute: the figures kept for the minute are worked out again; consent, kept for the day, is not.
    real = audit_log._minute_parts
    monkeypatch.setattr(audit_log, "_minute_parts", lambda: (real()[0], "a later minute"))
    with CaptureQueriesContext(connection) as seen:
        assert given() == 0
    assert not any('"images_consentrecord"' in q["sql"] for q in seen.captured_queries)
    # An answer recorded through the door changes the school: its consent is counted again.
    record_answers(cast.school, [Answer(pupil, website, "yes")], source=ConsentRecord.Source.GUARDIAN,
                   method="paper", guardian=mum)  # fmt: skip
    assert given() == 1


def test_the_lado_cell_counts_allegations_awaiting_referral_as_the_figure_does(cast):
    """An allegation not yet referred, its working day not over, is "awaiting referral" in the figure's own
    values: the trust's cell says so (blurred as governors read it) rather than "0 on time; 0 overdue"."""
    now = timezone.now()
    assert short(figures.lado(cast.school, now)) == "0 on time; 0 overdue"
    Case.objects.create(school=cast.school, kind=Case.Kind.ALLEGATION, reported_by=cast.teacher,
                        happened_on=timezone.localdate(), what_happened="x",
                        lado_due=now + datetime.timedelta(hours=5))  # fmt: skip
    lado = figures.lado(cast.school, now)
    assert lado.values["waiting"] == 1
    assert short(lado) == "0 on time; 0 overdue; fewer than 3 awaiting referral"


def test_acceptance_is_counted_once_a_day_until_the_school_changes(cast, monkeypatch):
    """The trust's view keeps each school's acceptance counts for the day (they read no date or time): the next
    minute does not count them again; a new acceptance shows on the very next view; a new day counts again; and
    whether a wait is overdue is read from the time of each view."""
    from types import SimpleNamespace

    from saferstaff.audit import log as audit_log
    from saferstaff.oversight import trust
    from saferstaff.policies.status import accept
    from saferstaff.schools.roles import Actor

    from .test_acknowledgements import published

    version = published(cast)
    counted = []
    real_counts = trust.acceptance_counts
    monkeypatch.setattr(trust, "acceptance_counts", lambda ids: counted.append(ids) or real_counts(ids))

    def acceptance():
        return next(r for r in trust_rows(cast.trust) if r.pk == cast.school.pk).figures["acceptance"].values

    caches["overview"].clear()
    audience = acceptance()["audience"]
    assert audience >= 8 and acceptance()["accepted"] == 0 and len(counted) == 1
    real = audit_log._minute_parts
    monkeypatch.setattr(audit_log, "_minute_parts", lambda: (real()[0], "a-later-minute"))
    assert acceptance() == {"accepted": 0, "audience": audience, "percent": 0, "overdue": 0}
    assert len(counted) == 1  # the next minute: not counted again
    accept(Actor.of(cast.teacher, cast.school), version, typed_name=cast.teacher.get_full_name(),
           understood=True, ip_address=None)  # fmt: skip
    assert acceptance()["accepted"] == 1 and len(counted) == 2  # the school changed: counted again
    # 31 days on, the same kept counts: the waits are overdue, read from the view's own time.
    later = timezone.now() + datetime.timedelta(days=31)
    monkeypatch.setattr(trust, "timezone", SimpleNamespace(now=lambda: later, localdate=timezone.localdate))
    assert acceptance()["overdue"] == audience - 1 and len(counted) == 2
    monkeypatch.setattr(audit_log, "_minute_parts", lambda: ("another-day", "a-later-minute"))
    assert acceptance()["accepted"] == 1 and len(counted) == 3  # a new day: counted again


def test_what_is_kept_for_the_day_is_shared_by_every_process_and_worked_out_by_run_daily(cast, monkeypatch):
    """Consent and acceptance's counts are kept for the day in the database (``KeptForTheDay``), not in one
    process's memory: another web process (its memory empty) reads them as they are; ``run_daily`` works them
    out before anyone looks, and removes those of earlier days."""
    from saferstaff.audit.models import KeptForTheDay
    from saferstaff.oversight import daily, trust

    worked_out = []
    for name in ("acceptance_counts", "consent_for"):
        real = getattr(trust, name)
        monkeypatch.setattr(trust, name, lambda *a, real=real, name=name: worked_out.append(name) or real(*a))
    KeptForTheDay.objects.create(
        key="an earlier day's", value=b"", day=timezone.localdate() - datetime.timedelta(1)
    )

    def figures():  # every school's figures as the page words them (their moment aside)
        return {
            row.pk: {key: (m.values, m.wording) for key, m in row.figures.items()}
            for row in trust_rows(cast.trust)
        }

    first = figures()
    assert sorted(worked_out) == ["acceptance_counts", "consent_for"]
    caches["overview"].clear()  # another process: nothing in its memory
    assert figures() == first and len(worked_out) == 2  # read from the database, not worked out

    KeptForTheDay.objects.filter(day=timezone.localdate()).delete()  # a new day, before anyone looks
    assert any("figures for their trust's page worked out for the day" in line for line in daily.daily())
    assert len(worked_out) == 4 and not KeptForTheDay.objects.filter(day__lt=timezone.localdate()).exists()
    caches["overview"].clear()
    assert figures() == first and len(worked_out) == 4  # the first look of the day: already kept
