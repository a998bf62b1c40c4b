"""The school menu is worked out once per school, set of roles and current item (saferstaff/context_processors.py),
never handed to someone it was not worked out for: each person sees the items their roles open, at their own
school's addresses, whoever asked for the same page before them."""

import html
import re

from django.urls import reverse

from saferstaff.access import allowed_for
from saferstaff.context_processors import MENU
from saferstaff.schools.models import Role

from .conftest import make_person, make_school, signed_in


def menu_of(user, school) -> list[tuple[str, str]]:
    page = signed_in(user).get(reverse("school_dashboard", kwargs={"school": school.slug})).content.decode()
    menu = page.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
    found = re.findall(r'href="([^"]+)"[^>]*>(?:<strong[^>]*>)?([^<]+)<', menu)
    return [(href, html.unescape(label)) for href, label in found]  # "Governors' reports" is escaped


def expected(roles, school) -> list[tuple[str, str]]:
    return [
        (reverse(name, kwargs={"school": school.slug}), label)
        for name, label, _ in MENU
        if allowed_for(name, roles)
    ]


def test_each_person_sees_the_items_of_their_roles_at_their_own_school(cast):
    other = make_school("Northfield Junior School", "199999", "3999", cast.trust)
    elsewhere = make_person("head@northfield.example", other, {Role.HEADTEACHER})
    menus = set()
    for role, user in [*cast.by_role().items(), (Role.HEADTEACHER, elsewhere)]:
        school = other if user == elsewhere else cast.school
        roles = cast.actor(user, school).roles
        for _ in range(2):  # the second time from what was worked out the first
            assert menu_of(user, school) == expected(roles, school), role
        menus.add(tuple(menu_of(user, school)))
    assert len(menus) >= 4  # the roles' menus differ, and the two Headteachers' by their school
