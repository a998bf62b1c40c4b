"""§2: each figure of the self-review (and of the reports to come) is counted by one function in oversight.figures,
which reads the definition of the room that owns it. Each is checked against counts set up here, and the ones a
dashboard already shows against that dashboard: the self-review, the policy dashboard and the trust page agree."""

import datetime

from django.urls import reverse
from django.utils import timezone

from saferstaff import clocks
from saferstaff.conduct.models import ContactChannel
from saferstaff.conduct.services import disclose
from saferstaff.consent.models import ConsentRecord
from saferstaff.incidents.models import Case, Contact
from saferstaff.oversight import figures
from saferstaff.photos.models import Takedown
from saferstaff.policies.counts import trust_overview
from saferstaff.policies.models import PolicyVersion
from saferstaff.policies.status import accept, school_overview
from saferstaff.privacy.models import AccessRequest, Breach
from saferstaff.schools.models import Guardianship
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .image_samples import pupil_with_parents, purpose
from .test_access_map import _image_sample
from .test_acknowledgements import published

NOW = timezone.now()


def _accept(cast, user, version):
    accept(
        Actor.of(user, cast.school),
        version,
        typed_name=user.get_full_name(),
        understood=True,
        ip_address=None,
    )


def test_acceptance_is_the_policy_dashboards_and_the_trust_pages_count(cast):
    version = published(cast)
    for user in (cast.teacher, cast.slt, cast.dsl):
        _accept(cast, user, version)
    # Published 40 days ago: whoever is still waiting is overdue by more than 30 days.
    PolicyVersion.objects.filter(pk=version.pk).update(published_at=NOW - datetime.timedelta(days=40))
    m = figures.acceptance(cast.school, NOW)
    audience = school_overview(cast.school)[0]["audience"]
    assert audience >= 8  # everyone at the school is in the audience of the acceptable use policy
    assert m.values == {
        "accepted": 3, "audience": audience, "percent": round(300 / audience), "overdue": audience - 3,
    }  # fmt: skip
    assert m.wording.startswith(
        f"Staff have made {round(300 / audience)}% of the acceptances asked of them (3 of"
    )
    assert m.source and m.page == "policy_dashboard" and m.taken_at == NOW
    # The policy dashboard, as the governor sees it, shows the same numbers.
    response = signed_in(cast.governor).get(reverse("policy_dashboard", kwargs={"school": cast.school.slug}))
    shown = response.context["overview"]
    assert (sum(i["accepted"] for i in shown), sum(i["audience"] for i in shown)) == (3, audience)
    # And so does the trust's page for this school.
    table = trust_overview(cast.trust)
    row = next(r for r in table["rows"] if r["slug"] == cast.school.slug)
    assert [c for c in row["cells"] if c] == [(3, audience)]


def test_acceptance_counts_only_the_outcomes_still_honoured_as_the_dashboard_does(cast):
    """The figure reads only the outcomes of the versions still honoured (the published one and those before
    it through minor changes), the latest per person: it agrees with the policy dashboard, which reads them
    all, on a minor change, a real change, and a person who accepted and then declined."""
    from django.core.cache import caches

    from saferstaff.policies.models import Acceptance

    from .test_acknowledgements import published
    from .test_policies import SMALL_V2

    def outcome(user, version, outcome, days_ago):
        Acceptance.objects.create(
            school=cast.school, version=version, user=user, typed_name="x", text_sha256=version.text_sha256,
            outcome=outcome, accepted_at=NOW - datetime.timedelta(days=days_ago),
        )  # fmt: skip

    a1 = published(cast)
    outcome(cast.teacher, a1, "accepted", 9)
    a2 = published(cast, SMALL_V2, minor=True)  # a typo fix: the teacher's acceptance of a1 stands
    outcome(cast.dsl, a2, "accepted", 8)
    b1 = published(cast, title="Social Media Policy", compulsory=False)
    outcome(cast.slt, b1, "declined", 7)
    outcome(cast.slt, b1, "accepted", 6)  # the latest outcome wins
    outcome(cast.office, b1, "accepted", 6)
    b2 = published(
        cast, SMALL_V2, title="Social Media Policy"
    )  # a real change: b1's outcomes no longer count
    outcome(cast.head, b2, "accepted", 5)
    outcome(cast.slt, b2, "accepted", 4)
    outcome(cast.slt, b2, "declined", 3)  # accepted, then declined: declined
    published(cast, SMALL_V2 + b"\n", title="Social Media Policy", minor=True)  # b2's outcomes stand
    caches["overview"].clear()
    shown = {
        i["policy"].title: (i["accepted"], i["declined"], i["audience"]) for i in school_overview(cast.school)
    }
    audience = shown["Social Media Policy"][2]
    assert shown == {
        "Internet Acceptable Use Policy": (2, 0, audience),
        "Social Media Policy": (1, 1, audience),
    }
    m = figures.acceptance(cast.school, NOW)
    assert (m.values["accepted"], m.values["audience"]) == (3, 2 * audience)
    row = next(r for r in trust_overview(cast.trust)["rows"] if r["slug"] == cast.school.slug)
    assert sorted(c for c in row["cells"] if c) == [(1, audience), (2, audience)]


def test_consent_counts_each_use_by_the_consent_registers_states(cast):
    given, _ = pupil_with_parents(cast.school, "Ada", "One")
    pupil_with_parents(cast.school, "Ben", "Two")
    website = purpose(cast.school, "website")
    guardian = Guardianship.objects.get(pupil=given).guardian
    ConsentRecord.objects.create(
        school=cast.school, pupil=given, purpose=website, answer="yes", source="guardian", guardian=guardian,
        method="paper",
    )  # fmt: skip
    m = figures.consent(cast.school, NOW)
    assert m.values["pupils"] == 2 and m.values["given"][website.name] == 1
    assert f"{website.name}" in dict(m.parts) and dict(m.parts)[website.name].startswith("1 of 2 pupils")


def test_a_use_nobody_was_asked_about_reads_not_asked_and_is_never_the_lowest(cast):
    from saferstaff.consent.models import Purpose
    from saferstaff.oversight.attention import reasons
    from saferstaff.oversight.trust import short

    pupil, (mum,) = pupil_with_parents(cast.school, "Ada", "One")
    website = purpose(cast.school, "website")
    ConsentRecord.objects.create(
        school=cast.school, pupil=pupil, purpose=website, answer="yes", source="guardian", guardian=mum,
        method="paper",
    )  # fmt: skip
    others = Purpose.objects.filter(school=cast.school, active=True).exclude(pk=website.pk)
    assert others.exists()
    m = figures.consent(cast.school, NOW)
    parts = dict(m.parts)
    for other in others:  # still listed, one by one, as not asked yet — not as 0%
        assert parts[other.name] == figures.NOT_ASKED_YET
    assert parts[website.name].startswith("1 of 1 pupils")
    assert figures.lowest_consent(m.values) == 100
    assert "the lowest has consent for 100%" in m.wording
    assert f"{others.count()} use" in m.wording and "not asked about yet" in m.wording
    assert short(m) == "Lowest use 100%" and not reasons({"consent": m.values})
    # Nobody asked about anything: no lowest, and nothing needs help for it.
    ConsentRecord.objects.filter(school=cast.school).delete()
    m = figures.consent(cast.school, NOW)
    assert figures.lowest_consent(m.values) is None and "0%" not in m.wording
    assert "not asked about yet" in m.wording and short(m) == figures.NOT_ASKED_YET
    assert not reasons({"consent": m.values})


def test_takedowns_count_open_and_done_and_the_median_days_to_close(cast):
    _image_sample("takedown_done", cast, cast.school, cast.head)
    Takedown.objects.update(created_at=NOW - datetime.timedelta(days=2))
    m = figures.takedowns(cast.school, NOW)
    assert m.values == {"open": 1, "done": 0, "median_days": None, "oldest_open_days": 2.0}
    Takedown.objects.update(created_at=NOW - datetime.timedelta(days=4), done_at=NOW)
    m = figures.takedowns(cast.school, NOW)
    assert m.values == {"open": 0, "done": 1, "median_days": 4.0, "oldest_open_days": None}
    assert "median 4.0 days to close" in m.wording
    # The takedown list, as senior management sees it, says the same.
    page = signed_in(cast.head).get(reverse("takedown_list", kwargs={"school": cast.school.slug}))
    assert page.context["summary"] == m.values
    assert "1 done, a median of 4.0 days from raised to done; 0 open." in page.content.decode()


def test_conduct_counts_disclosures_of_the_last_year_and_permissions_in_force(cast):
    channel = ContactChannel.objects.filter(school=cast.school).first()
    for _ in range(2):
        disclose(Actor.of(cast.teacher, cast.school), who="think_pupil", what_happened="A friend request",
                 channel=channel, happened_on=timezone.localdate())  # fmt: skip
    m = figures.conduct(cast.school, NOW)
    assert (m.values["disclosures"], m.values["contact_permissions"], m.values["equipment_permissions"]) == (
        2,
        0,
        0,
    )
    assert m.wording.startswith("2 disclosures of contact with pupils this school year")
    # The conduct summary's school-year column, as the chair of governors reads it, says the same.
    page = signed_in(cast.governor).get(reverse("conduct_summary", kwargs={"school": cast.school.slug}))
    year = page.context["periods"][1]
    assert (year["disclosures"]["total"], year["contact"]["in_force"]) == (2, 0)


def _case(cast, kind, **extra):
    return Case.objects.create(
        school=cast.school, kind=kind, reported_by=cast.teacher, happened_on=timezone.localdate(),
        what_happened="Walk", **extra,
    )  # fmt: skip


def test_incidents_by_kind_and_the_lado_clock_match_the_incident_trends_page(cast):
    _case(cast, Case.Kind.PUPILS_ONLINE)
    _case(cast, Case.Kind.PUPILS_ONLINE)
    on_time = _case(cast, Case.Kind.ALLEGATION, lado_due=NOW + datetime.timedelta(hours=20))
    _case(cast, Case.Kind.ALLEGATION, lado_due=NOW - datetime.timedelta(hours=2))  # not referred: overdue
    Contact.objects.create(school=cast.school, case=on_time, kind=Contact.Kind.LADO, made_at=NOW, recorded_at=NOW,
                           with_whom="LADO", recorded_by=cast.head)  # fmt: skip
    m = figures.incidents(cast.school, NOW)
    assert m.values == {"bullying": 0, "pupils": 2, "breach": 0, "allegation": 2}
    lado = figures.lado(cast.school, NOW)
    assert (lado.values["on_time"], lado.values["late"], lado.values["overdue"]) == (1, 0, 1)
    # The trends page the designated lead reads counts the same (nobody here is the subject of a case).
    page = signed_in(cast.head).get(reverse("incident_trends", kwargs={"school": cast.school.slug})).context
    assert sum(row[2].n for row in page["months"]) == 4
    assert page["lado"]["on_time"].n == 1 and page["lado"]["overdue"].n == 1


def test_an_allegation_awaiting_referral_is_said_with_its_due_date_and_blurred_for_governors(cast):
    from saferstaff.oversight.readers import blurred

    due = NOW + datetime.timedelta(hours=20)
    _case(cast, Case.Kind.ALLEGATION, lado_due=due)  # not referred, not yet due
    lado = figures.lado(cast.school, NOW)
    assert lado.values["waiting"] == 1
    day = f"{clocks.local(due):%-d %B %Y}"
    assert lado.wording == f"1 allegation awaiting referral, due {day}"
    assert lado.blurred_wording == f"fewer than 3 allegations awaiting referral, the first due {day}"
    shown = blurred({"lado": lado.as_stored()})["lado"]["wording"]
    assert shown == lado.blurred_wording and "No allegation" not in shown
    # A second one waiting: the first due of them is named.
    _case(cast, Case.Kind.ALLEGATION, lado_due=due + datetime.timedelta(days=2))
    lado = figures.lado(cast.school, NOW)
    assert lado.wording == f"2 allegations awaiting referral, the first due {day}"


def test_the_breach_clock_and_subject_access_on_time(cast):
    def breach(aware_hours_ago, decided_hours_ago=None):
        aware = NOW - datetime.timedelta(hours=aware_hours_ago)
        decided = NOW - datetime.timedelta(hours=decided_hours_ago) if decided_hours_ago is not None else None
        Breach.objects.create(school=cast.school, what="Walk", aware_at=aware, ico_due=aware + datetime.timedelta(hours=72),
                              decided_at=decided, decision="dont_report" if decided else "undecided")  # fmt: skip

    breach(100, 90)  # decided 10 hours after awareness: on time
    breach(100, 10)  # decided 90 hours after: late
    breach(80)  # undecided past 72 hours
    breach(5)  # undecided, still within
    assert figures.breaches(cast.school, NOW).values == {"on_time": 1, "late": 1, "overdue": 1}

    def request(status, due_days, closed_days=None):
        AccessRequest.objects.create(
            school=cast.school, status=status, requester_kind="pupil", requester_name="Walk",
            received_at=NOW - datetime.timedelta(days=40), due_at=NOW + datetime.timedelta(days=due_days),
            closed_at=NOW + datetime.timedelta(days=closed_days) if closed_days is not None else None,
        )  # fmt: skip

    request("answered", -5, -10)  # answered before it was due
    request("answered", -5, -1)  # answered late
    request("open", -1)  # overdue
    request("open", 10)  # not yet due
    request("withdrawn", -5, -1)  # not counted
    m = figures.subject_access(cast.school, NOW)
    assert m.values == {"on_time": 1, "late": 1, "overdue": 1}
    assert m.wording == "1 of 2 subject access requests answered on time; 1 overdue"
    # The data-protection officer's page shows both figures from the same functions.
    counts = (
        signed_in(cast.dpo)
        .get(reverse("privacy_home", kwargs={"school": cast.school.slug}))
        .context["counts"]
    )
    assert (
        counts["breach_clock"] == figures.breaches(cast.school, NOW).values and counts["on_time"] == m.values
    )


def test_every_figure_is_stored_as_plain_values_with_its_source_and_moment(cast):
    found = figures.all_figures(cast.school, NOW)
    assert set(found) == {f.__name__ for f in figures.FIGURES}
    for key, m in found.items():
        stored = m.as_stored()
        assert stored["key"] == key and stored["source"] and stored["wording"]
        assert stored["taken_at"] == NOW.isoformat()
        reverse(m.page, kwargs={"school": cast.school.slug})  # names a real page


def test_access_records_is_one_figure_the_pack_the_self_review_and_the_trust_view_read(cast):
    """§8: the reads of records recorded in the audit trail (privacy.seen.READS), counted once per school by
    figures.access_records_for: the self-review's data protection area, the evidence pack and the trust's view
    show that one figure."""
    from saferstaff.audit.log import record
    from saferstaff.oversight import pack
    from saferstaff.oversight.areas import BY_KEY
    from saferstaff.oversight.trust import short, trust_rows

    for action, actor in (
        ("incidents.cases_listed", cast.head), ("incidents.case_viewed", cast.dsl),
        ("privacy.breach_viewed", cast.dsl), ("policies.version_published", cast.head),  # a write: not a read
    ):  # fmt: skip
        record(action, ("schools.school", cast.school.pk), school=cast.school, actor=actor)
    record("incidents.case_viewed", ("schools.school", 0), school=cast.other_school, actor=cast.other_teacher)
    now = timezone.now()
    m = figures.access_records(cast.school, now)
    assert m.values == {"reads": 3, "people": 2}
    assert m.wording == "3 reads of records recorded in the last 12 months, by 2 people"
    both = figures.access_records_for([cast.school.pk, cast.other_school.pk], now)
    assert both[cast.school.pk] == m and both[cast.other_school.pk].values == {"reads": 1, "people": 1}
    assert figures.all_figures(cast.school, now)["access_records"] == m
    # The self-review's data protection area is filled from it, and the pack lists it as stored.
    assert "access_records" in BY_KEY["data_protection"].figures
    assert pack.figures_for(cast.actor(cast.head), now)["access_records"] == m.as_stored()
    # The trust's view: the same values, in a few words.
    row = next(r for r in trust_rows(cast.trust) if r.pk == cast.school.pk)
    assert row.figures["access_records"].values == m.values
    assert short(row.figures["access_records"]) == "3 reads by 2 people"
