"""The case list reads its two registers — the cases listed and the actions still to do — from one reading of the
rule (``registers.case_list_of``): the same cases and actions as ``cases_listed_for`` and ``actions_of`` give
one by one, for every member of staff, and the page shows exactly those (§8, §9)."""

from django.utils.html import escape

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
        assert {c.pk for c, _ in page.context["rows"]} == {c.pk for c in listed}, member.user.email
        assert [a.pk for a in page.context["actions"]] == [a.pk for a in actions], member.user.email
        for action in actions:
            assert escape(f"Case {action.case_id}: {action.what}") in page.content.decode()
        seen_actions += len(actions)
    assert seen_actions >= 3
    assert about_head not in case_list_of(cast.actor(cast.head))[0]
    assert named not in case_list_of(cast.actor(cast.dsl))[0]
