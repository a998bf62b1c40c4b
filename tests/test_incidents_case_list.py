"""The case list reads its two registers — the cases listed and the actions still to do — from one reading of the
rule (``registers.case_list_of``): the same cases and actions as ``cases_listed_for`` and ``actions_of`` give
one by one, for every member of staff, and the page shows exactly those (§8, §9)."""

import re

from django.db import connection
from django.template.defaultfilters import date
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from django.utils.timezone import localtime

from saferstaff.incidents import services
from saferstaff.incidents.models import Involved
from saferstaff.incidents.registers import actions_of, case_list_of, cases_listed_for
from saferstaff.schools.models import Membership

from .conftest import signed_in
from .test_incidents_cases import add_action, allegation, report, url


def test_the_case_list_reads_the_same_cases_and_actions_as_each_register_alone(cast, storage):
    shared, named = (
        report(cast),
        report(cast, people=[services.Person(role=Involved.Role.ALLEGED, member=cast.member(cast.dsl))]),
    )
    about_slt, about_head = allegation(cast, cast.slt), allegation(cast, cast.head)
    own = report(cast, by=cast.office)
    services.share_case(cast.actor(cast.dsl), shared, member=cast.member(cast.office), reason="Records")
    add_action(cast, shared, cast.office)
    add_action(cast, own, cast.office)  # on a case the office reads as its reporter only
    add_action(cast, about_slt, cast.line_manager, by=cast.head)
    add_action(cast, shared, cast.dsl)
    seen_actions = 0
    for member in Membership.objects.filter(school=cast.school).select_related("user"):
        who = cast.actor(member.user)
        listed, actions = case_list_of(who)
        assert set(listed) == set(cases_listed_for(who)), member.user.email
        assert set(actions) == set(actions_of(who)), member.user.email
        page = signed_in(member.user).get(url(cast, "case_list"))
        if page.status_code != 200:
            continue
        shown = {int(pk) for pk in re.findall(r">Case (\d+)</a></td>", page.content.decode())}
        assert shown == {c.pk for c in listed}, member.user.email
        assert [a.pk for a in page.context["actions"]] == [a.pk for a in actions], member.user.email
        for action in actions:
            assert escape(f"Case {action.case_id}: {action.what}") in page.content.decode()
        seen_actions += len(actions)
    assert seen_actions >= 3
    assert about_head not in case_list_of(cast.actor(cast.head))[0]
    assert named not in case_list_of(cast.actor(cast.dsl))[0]


def test_a_row_shows_the_case_and_its_lado_clock_in_the_schools_time(cast):
    case = allegation(cast, cast.slt)
    page = signed_in(cast.head).get(url(cast, "case_list")).content.decode()
    link = url(cast, "case_detail", pk=case.pk)
    due = date(localtime(case.lado_due), "j M Y, H:i")
    assert (
        f'<td class="govuk-table__cell"><a class="govuk-link" href="{link}">Case {case.pk}</a></td>\n'
        f'    <td class="govuk-table__cell" data-label="Kind">{escape(case.get_kind_display())}</td>\n'
        f'    <td class="govuk-table__cell" data-label="Reported">{date(localtime(case.reported_at), "j M Y")}</td>'
    ) in page
    assert '<td class="govuk-table__cell" data-label="Risk">Not triaged</td>' in page
    assert (
        f'data-label="LADO"><strong class="govuk-tag govuk-tag--yellow">Due</strong> by {due}\n</td>' in page
    )


def test_a_search_keeps_its_words_and_a_plain_visit_after_it_shows_a_blank_form(cast):
    dsl = signed_in(cast.dsl)
    searched = dsl.get(url(cast, "case_list") + "?q=phone&kind=allegation").content.decode()
    assert 'value="phone"' in searched and '<option value="allegation" selected>' in searched
    blank = dsl.get(url(cast, "case_list")).content.decode()
    assert 'value="phone"' not in blank and '<option value="allegation" selected>' not in blank
    assert 'name="q"' in blank
    wrong = dsl.get(url(cast, "case_list") + "?kind=nonsense").content.decode()
    assert "govuk-error-summary" in wrong and "govuk-error-summary" not in blank


def test_the_list_is_kept_until_the_school_changes_and_the_next_change_shows_at_once(cast, storage):
    """The ids of the cases listed and the actions to do are kept per state of the school (ADR 0014): a kept
    list reads neither the rule's tables nor the cases it leaves out; a case reported, an action given and a
    person added show on the very next visit."""
    dsl, office = signed_in(cast.dsl), signed_in(cast.office)
    first = report(cast)
    assert [c.pk for c in dsl.get(url(cast, "case_list")).context["page"].object_list] == [first.pk]
    with CaptureQueriesContext(connection) as kept:
        assert [c.pk for c in dsl.get(url(cast, "case_list")).context["page"].object_list] == [first.pk]
    assert not [q for q in kept.captured_queries if "incidents_casemember" in q["sql"]]
    second = report(cast)
    assert [c.pk for c in dsl.get(url(cast, "case_list")).context["page"].object_list] == [
        second.pk,
        first.pk,
    ]
    add_action(cast, first, cast.dsl)
    assert [a.case_id for a in dsl.get(url(cast, "case_list")).context["actions"]] == [first.pk]
    assert not office.get(url(cast, "case_list")).context["page"].object_list
    services.share_case(cast.actor(cast.dsl), second, member=cast.member(cast.office), reason="Records")
    assert [c.pk for c in office.get(url(cast, "case_list")).context["page"].object_list] == [second.pk]
    searched = dsl.get(url(cast, "case_list"), {"q": f"#{second.pk}"}).context["page"].object_list
    assert [c.pk for c in searched] == [second.pk]  # a search is kept apart from the plain list
