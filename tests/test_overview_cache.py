"""The Overview keeps what it worked out for one state of the school (saferstaff/home/overview.py, ADR 0014):
every write records an audit event, and every event that is not a reading bumps the school's generation, which
is in the key. Here: every action in the source is a reading or a change; each way a person or a worker changes
what the Overview shows is seen on the very next request; a deadline passing with no write shows within a
minute."""

import ast
import datetime
import pathlib
import re

import pytest
from allauth.account.adapter import get_adapter
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit import log
from saferstaff.audit.context import AuditContext, serving_request
from saferstaff.audit.log import READ_ONLY, generations, record
from saferstaff.audit.trail import ACTIONS
from saferstaff.conduct import services as conduct
from saferstaff.incidents import services as incidents
from saferstaff.policies import status as acceptances
from saferstaff.privacy import breaches, requests
from saferstaff.privacy.models import Breach
from saferstaff.schools import staff
from saferstaff.schools.models import Membership, Pupil, Role
from saferstaff.schools.rosters.service import apply_import, discard_import, stage_upload

from .conftest import make_person, signed_in
from .roster_samples import csv_text, sample_pupils
from .test_acknowledgements import published
from .test_conduct_walk_fixes import disclose
from .test_images_flows import _files, class_photo, consent  # noqa: F401  (fixtures)
from .test_incidents_cases import allegation, report
from .test_query_counts import one_minute

SOURCE = pathlib.Path(__file__).parent.parent / "saferstaff"
ACTION_NAME = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def actions_in_the_source() -> set[str]:
    """Every action string the source can record: the first argument of each ``record(...)``, each ``action=``
    argument or default and each ``action = ...`` assignment. An f-string such as ``f"incidents.{what}"`` counts
    as its prefix followed by each bare word written in the same module (more than are used: each is checked)."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        prefixes, words = [], set()
        for node in ast.walk(tree):
            exprs = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name == "record" and node.args:
                    exprs.append(node.args[0])
                exprs += [k.value for k in node.keywords if k.arg == "action"]
            elif isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "action" for t in node.targets
            ):
                exprs.append(node.value)
            elif isinstance(node, ast.FunctionDef):
                args = node.args
                positional = args.args[len(args.args) - len(args.defaults) :]
                pairs = [
                    *zip(positional, args.defaults, strict=True),
                    *zip(args.kwonlyargs, args.kw_defaults, strict=True),
                ]
                exprs += [default for arg, default in pairs if arg.arg == "action" and default is not None]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"[a-z_]+", node.value):
                    words.add(node.value)
            for expr in exprs:
                for part in ast.walk(expr):
                    if isinstance(part, ast.JoinedStr) and isinstance(part.values[0], ast.Constant):
                        prefixes.append(part.values[0].value)
                    elif isinstance(part, ast.Constant) and ACTION_NAME.match(str(part.value)):
                        found.add(part.value)
        found.update(prefix + word for prefix in prefixes for word in words)
    return found


def overview(user, school) -> str:
    response = signed_in(user).get(reverse("school_dashboard", kwargs={"school": school.slug}))
    assert response.status_code == 200
    return response.content.decode()


# --- Every action is a reading or a change ---------------------------------------------------------------------
def test_every_action_in_the_source_is_a_known_reading_or_bumps_the_generation(cast):
    actions = actions_in_the_source()
    assert {"incidents.triaged", "policy.accepted", "incidents.cases_listed", "user.password_set"} <= actions
    stale = READ_ONLY - actions
    assert not stale, f"READ_ONLY names actions the source never records: {sorted(stale)}"
    actions |= set(ACTIONS)  # and the actions the trail has labels for (some only in older rows)
    wrong = []
    for action in sorted(actions):
        before = generations(cast.school.pk)
        record(action, None, school=cast.school)
        bumped = generations(cast.school.pk)[0] != before[0]
        if bumped == (action in READ_ONLY):
            wrong.append(action)
    assert not wrong, f"these actions bump when they are readings or do not when they are changes: {wrong}"


def test_the_readings_are_named_as_readings():
    reading = re.compile(r"(viewed|listed|opened|downloaded|exported|refused)$")
    assert [action for action in sorted(READ_ONLY) if not reading.search(action)] == []


def test_an_event_of_no_school_moves_the_generation_every_schools_key_holds(cast):
    before = generations(cast.school.pk), generations(cast.other_school.pk)
    record("user.created", ("accounts.user", 1))
    after = generations(cast.school.pk), generations(cast.other_school.pk)
    assert [a[1] - b[1] for a, b in zip(after, before, strict=True)] == [1, 1]
    assert [a[0] - b[0] for a, b in zip(after, before, strict=True)] == [0, 0]


def test_a_write_rolled_back_takes_its_bump_with_it(cast):
    before = generations(cast.school.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        record("membership.updated", cast.member(cast.teacher))
        assert generations(cast.school.pk)[0] == before[0] + 1
        raise RuntimeError("the write failed")
    assert generations(cast.school.pk) == before


def test_a_request_reads_the_generations_once_until_it_writes(cast):
    """While a request is served, the compulsory-policy gate and the page's kept values read the generations
    once; a write in the request forgets them and nothing more is remembered, so the page sees its own write."""
    with serving_request(AuditContext()):
        with CaptureQueriesContext(connection) as first:
            before = generations(cast.school.pk)
        with CaptureQueriesContext(connection) as again:
            assert generations(cast.school.pk) == before
        record("membership.updated", cast.member(cast.teacher))
        with CaptureQueriesContext(connection) as written:
            assert generations(cast.school.pk)[0] == before[0] + 1
        with CaptureQueriesContext(connection) as after:
            generations(cast.school.pk)
    with CaptureQueriesContext(connection) as outside:  # a command or a worker: every reading asks
        generations(cast.school.pk)
        generations(cast.school.pk)
    assert [len(c) for c in (first, again, written, after, outside)] == [1, 0, 1, 1, 2]


def test_a_write_rolled_back_in_a_request_is_not_remembered(cast):
    with serving_request(AuditContext()):
        before = generations(cast.school.pk)
        with pytest.raises(RuntimeError), transaction.atomic():
            record("membership.updated", cast.member(cast.teacher))
            assert generations(cast.school.pk)[0] == before[0] + 1
            raise RuntimeError("the write failed")
        assert generations(cast.school.pk) == before


# --- Each way the Overview changes is seen on the very next request ------------------------------------------
def test_a_case_reported_and_triaged_shows_next_time(cast):
    assert "new case" not in overview(cast.dsl, cast.school)
    case = report(cast)
    assert "1 new case waits for triage (§9)" in overview(cast.dsl, cast.school)
    incidents.triage(cast.actor(cast.dsl), case, risk="low")
    assert "new case" not in overview(cast.dsl, cast.school)


def test_an_action_set_and_done_and_a_lado_contact_show_next_time(cast):
    case = allegation(cast, cast.line_manager)
    assert "1 allegation needs referring to the LADO" in overview(cast.head, cast.school)
    incidents.record_contact(
        cast.actor(cast.head), case, kind="lado", made_at=timezone.now(), with_whom="LADO"
    )
    assert "LADO" not in overview(cast.head, cast.school)
    assert "yours to do" not in overview(cast.slt, cast.school)
    action = incidents.add_action(
        cast.actor(cast.head), case, what="Call the LADO back", owner=cast.member(cast.slt),
        due_on=timezone.localdate(),
    )  # fmt: skip
    assert "1 action on a case is yours to do (§9)" in overview(cast.slt, cast.school)
    incidents.complete_action(cast.actor(cast.slt), action)
    assert "yours to do" not in overview(cast.slt, cast.school)


def test_a_policy_accepted_shows_next_time(cast):
    version = published(cast)
    head = cast.actor(cast.head)
    acceptances.accept(head, version, typed_name="Helen Head", understood=True, ip_address=None)
    before = overview(cast.head, cast.school)
    assert "1 of 9" in before and "8 people have not accepted every compulsory policy yet" in before
    acceptances.accept(
        cast.actor(cast.teacher), version, typed_name="Tom Teacher", understood=True, ip_address=None
    )
    after = overview(cast.head, cast.school)
    assert "2 of 9" in after and "7 people have not accepted every compulsory policy yet" in after


def test_an_invitation_taken_up_by_setting_a_password_shows_next_time(cast):
    """The invited person's first password is set through allauth's pages (a link by email), not a door of
    this house: the adapter records it, and that moves the generation every school's key holds."""
    invited = make_person("ivy.invited@school.example", cast.school, {Role.STAFF})
    invited.set_unusable_password()
    invited.save()
    assert "1 invited person has not accepted yet" in overview(cast.head, cast.school)
    get_adapter().set_password(invited, "three unrelated words together 42")
    assert "invited person" not in overview(cast.head, cast.school)


def test_an_invitation_accepted_shows_next_time(cast):
    invited = make_person("ivy.invited@school.example", cast.school, {Role.STAFF})
    Membership.objects.filter(user=invited).update(invited_at=timezone.now())
    assert "1 invited person has not accepted yet" in overview(cast.head, cast.school)
    staff.accept_invitation(cast.member(invited), by=invited)
    assert "invited person" not in overview(cast.head, cast.school)


def test_a_roster_import_previewed_discarded_and_applied_shows_next_time(cast):
    data = csv_text(sample_pupils(3)).encode()
    assert "Never" in overview(cast.head, cast.school)
    staged, _ = stage_upload(cast.school, "roster.csv", data, cast.head)
    assert "1 roster import waiting for you to check and apply" in overview(cast.head, cast.school)
    discard_import(staged, cast.head)
    assert "roster import waiting" not in overview(cast.head, cast.school)
    staged, _ = stage_upload(cast.school, "roster.csv", data, cast.head)
    assert "1 roster import waiting" in overview(cast.head, cast.school)
    apply_import(staged, cast.head)
    after = overview(cast.head, cast.school)
    assert "roster import waiting" not in after and "Never" not in after
    assert re.search(r'<dd class="govuk-summary-list__value">3</dd>', after)  # pupils on roll


def test_a_roster_import_shows_its_year_groups_in_the_pupil_lists_filter_next_time(cast):
    """The pupil list keeps the year groups it offers per state of the school, as the Overview keeps its data."""
    head, page = signed_in(cast.head), reverse("pupil_list", kwargs={"school": cast.school.slug})
    before = head.get(page).context["years"]
    staged, _ = stage_upload(cast.school, "roster.csv", csv_text(sample_pupils(3)).encode(), cast.head)
    assert head.get(page).context["years"] == before  # staged only: no pupil changed
    apply_import(staged, cast.head)
    years = head.get(page).context["years"]
    assert set(years) > set(before) and years == Pupil.objects.filter(school=cast.school).year_groups()


def test_a_roster_import_shows_in_the_counts_of_the_pupil_list_and_the_consent_register_next_time(cast):
    """Both lists keep their page, its count and its rows per state of the school (schools.access.kept_page),
    counted when their first page is full: a roster applied through its door is counted on the very next visit."""
    head = signed_in(cast.head)
    pages = [
        reverse(name, kwargs={"school": cast.school.slug}) for name in ("pupil_list", "consent_register")
    ]
    for n in (55, 60):
        apply_import(stage_upload(cast.school, "roster.csv", csv_text(sample_pupils(n)).encode(), cast.head)[0],
                     cast.head)  # fmt: skip
        on_roll = Pupil.objects.filter(school=cast.school).current().count()
        assert on_roll >= n
        for page in pages:
            assert head.get(page).context["page"].paginator.count == on_roll, (page, n)
            assert head.get(f"{page}?q=zzz-nobody").context["page"].paginator.count == 0


def test_a_kept_list_page_is_drawn_for_what_each_reader_may_see(cast):
    """The pupil list's and the register's rows are kept per the fields the reader may see (§8): a member of staff
    looking in the same minute as the Headteacher is not given the rows drawn with the UPN for the Headteacher."""
    Pupil.objects.create(
        school=cast.school, legal_forename="Ida", legal_surname="Quill", date_of_birth=datetime.date(2018, 5, 1),
        year_group="2", upn="K801200000123", source_id="ida-quill",
    )  # fmt: skip
    url = reverse("pupil_list", kwargs={"school": cast.school.slug})
    with one_minute():
        assert "K801200000123" in signed_in(cast.head).get(url).content.decode()
        page = signed_in(cast.teacher).get(url).content.decode()
    assert "Quill" in page and "K801200000123" not in page
    # A search by UPN: found for the Headteacher; a member of staff, who may not search by UPN, finds nobody.
    register = reverse("consent_register", kwargs={"school": cast.school.slug}) + "?q=K801200000123"
    with one_minute():
        assert "Quill" in signed_in(cast.head).get(register).content.decode()
        assert "Quill" not in signed_in(cast.teacher).get(register).content.decode()


def test_a_role_given_and_taken_shows_next_time(cast):
    breaches.report_breach(cast.actor(cast.teacher), what="A list left on a printer", aware_at=timezone.now())
    assert "breach" not in overview(cast.teacher, cast.school)
    membership = cast.member(cast.teacher)
    staff.set_roles(membership, {Role.STAFF, Role.DPO}, by=cast.head)
    assert "1 breach waits for the decision whether to tell the ICO" in overview(cast.teacher, cast.school)
    staff.set_roles(cast.member(cast.teacher), {Role.STAFF}, by=cast.head)
    assert "breach" not in overview(cast.teacher, cast.school)


def test_a_breach_decided_and_a_data_request_logged_show_next_time(cast):
    breach = breaches.report_breach(
        cast.actor(cast.teacher), what="A list left on a printer", aware_at=timezone.now()
    )
    assert "1 breach waits" in overview(cast.dpo, cast.school)
    breaches.decide_breach(
        cast.actor(cast.dpo), breach, decision=Breach.Decision.DONT_REPORT, reasons="Contained"
    )
    page = overview(cast.dpo, cast.school)
    assert "breach waits" not in page and "subject access request" not in page
    requests.log_request(
        cast.actor(cast.dpo), requester_kind="staff", requester_name="A member of staff",
        received_at=timezone.now() - datetime.timedelta(days=28), about_member=cast.member(cast.teacher),
    )  # fmt: skip
    assert "1 subject access request is due within a week" in overview(cast.dpo, cast.school)


def test_a_disclosure_and_its_outcome_show_next_time(cast):
    assert "disclosure of contact" not in overview(cast.head, cast.school)
    disclosure = disclose(cast, cast.teacher)
    assert "1 disclosure of contact with a pupil waiting for an outcome (§3)" in overview(
        cast.head, cast.school
    )
    conduct.record_outcome(cast.actor(cast.head), disclosure, outcome="no_action", note="Talked it through")
    assert "disclosure of contact" not in overview(cast.head, cast.school)


def test_a_consent_answer_from_the_guardian_portal_shows_next_time(cast, class_photo):  # noqa: F811
    from saferstaff.publishing import services as publishing

    from .test_images_flows import purpose

    publishing.check_and_publish(
        class_photo["with_noah"], purpose(cast.school, "website"), "web", by=cast.teacher
    )
    assert "take down" not in overview(cast.teacher, cast.school)
    consent(class_photo["noah"], class_photo["dad"], "website", "no", "portal")
    assert "1 published image to take down" in overview(cast.teacher, cast.school)


# --- Time passing with no write ------------------------------------------------------------------------------
def test_a_deadline_passing_with_no_write_shows_within_a_minute(cast, monkeypatch):
    start = timezone.now().replace(second=5, microsecond=0)
    case = allegation(cast, cast.slt)
    type(case).objects.filter(pk=case.pk).update(lado_due=start + datetime.timedelta(seconds=20))
    clock = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    writes = log.generations(cast.school.pk)
    assert "1 allegation needs referring to the LADO (KCSIE" in overview(cast.head, cast.school)
    clock["now"] = start + datetime.timedelta(seconds=40)  # due, but the same minute: kept as it was
    assert "(1 overdue)" not in overview(cast.head, cast.school)
    clock["now"] = start + datetime.timedelta(seconds=60)  # the next minute: counted again
    assert "1 allegation needs referring to the LADO (1 overdue)" in overview(cast.head, cast.school)
    assert log.generations(cast.school.pk) == writes  # no write in between


def _kept_keys(name: str) -> set[str]:
    from django.core.cache import caches

    cache = caches["overview"]
    return {key for key in cache._cache if f":{name}:" in key}  # LocMemCache's own keys, prefix and all


@pytest.mark.parametrize(
    ("url_name", "name", "asked"),
    [
        ("pupil_list", "pupil-list", {"q": "Quill", "year": "not-a-year", "page": "11"}),
        ("consent_register", "consent-register", {"q": "Quill", "year": "not-a-year", "page": "11"}),
        ("case_list", "case-list-page", {"q": "printer", "page": "11"}),
    ],
)
def test_a_list_page_is_kept_for_a_plain_visit_but_not_for_each_word_or_far_page_asked(
    cast, url_name, name, asked
):
    """A kept list page holds a page's rows: a typed search, a year group the school does not have or a page
    past the tenth is drawn each time (paging.kept_page), so a signed-in person asking for thousands of
    different words or pages cannot fill the cache and push everyone else's pages out of it."""
    from django.core.cache import caches

    caches["overview"].clear()
    head, url = signed_in(cast.head), reverse(url_name, kwargs={"school": cast.school.slug})
    with one_minute():
        for key, value in asked.items():
            assert head.get(url, {key: value}).status_code == 200, key
        assert _kept_keys(name) == set(), "a search or a far page was kept"
        assert head.get(url).status_code == 200
        assert len(_kept_keys(name)) == 1
        assert head.get(url, {"page": "2"}).status_code == 200  # a near page is kept: most visits are these
        assert len(_kept_keys(name)) == 2
