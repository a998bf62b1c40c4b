"""A school page's address worked out once (saferstaff/links.py, ``{% school_url %}`` and ``{% site_url %}``) is
the text ``reverse`` gives, for every page of the product that takes a school, or a school and an id."""

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from saferstaff import links

from .conftest import signed_in
from .image_samples import pupil_with_parents
from .test_access_map import all_url_names

SLUGS = ["westfield-infant-school", "st-marys-ce-primary", "a", "school_2"]
IDS = [0, 1, 7, 42, 1234567, 987654321987654320, 10**18 - 1]


def pages_taking(*keys: str) -> list[str]:
    return sorted(name for name, p in all_url_names() if sorted(p.pattern.converters) == sorted(keys))


@pytest.fixture
def prefix():
    yield
    set_script_prefix("/")


def test_every_school_page_has_the_address_reverse_gives():
    names = pages_taking("school")
    assert "image_list" in names and "case_list" in names and "school_dashboard" in names
    for name in names:
        for slug in SLUGS:
            assert links.school_url(name, slug) == reverse(name, kwargs={"school": slug}), (name, slug)


def test_every_row_of_every_school_list_has_the_address_reverse_gives():
    names = pages_taking("school", "pk")
    assert "image_detail" in names and "image_thumbnail" in names and "case_detail" in names
    for name in names:
        for slug in SLUGS:
            for pk in IDS:
                expected = reverse(name, kwargs={"school": slug, "pk": pk})
                assert links.school_url(name, slug, pk) == expected, (name, slug, pk)
                assert links.school_urls(name, slug)(pk) == expected, (name, slug, pk)


def test_what_is_not_a_row_id_is_answered_as_reverse_answers_it():
    assert links.school_url("case_detail", "a", "12") == reverse(
        "case_detail", kwargs={"school": "a", "pk": 12}
    )
    for refused in (10**18, -1, "twelve"):
        with pytest.raises(NoReverseMatch):
            links.school_url("case_detail", "a", refused)


def test_pages_that_take_nothing_have_the_address_reverse_gives():
    for name in ("home", "choose_school", "notification_list", "account_change_password", "account_logout"):
        assert links.site_url(name) == reverse(name)


def test_a_site_served_under_a_path_gets_addresses_under_it(prefix):
    plain = links.school_url("case_detail", "a", 5)
    set_script_prefix("/safety/")
    assert links.school_url("case_detail", "a", 5) == "/safety" + plain
    assert links.school_url("case_list", "a") == reverse("case_list", kwargs={"school": "a"})
    assert links.site_url("home") == reverse("home") == "/safety/"


def test_other_addresses_are_not_answered_from_before():
    """A test (or a deployment) with other addresses never gets the product's, worked out before."""
    (
        links.school_url("case_list", "a"),
        links.school_url("case_detail", "a", 3),
    )  # worked out for the product's
    with override_settings(ROOT_URLCONF="tests.links_urls"):
        assert links.school_url("case_list", "a") == "/elsewhere/a/cases/"
        assert links.school_url("case_detail", "a", 3) == "/elsewhere/a/cases/3/"
    assert links.school_url("case_list", "a") == reverse("case_list", kwargs={"school": "a"})


def test_the_pupil_list_links_each_pupil_to_their_page(cast):
    pupils = [pupil_with_parents(cast.school, name, "Oakes")[0] for name in ("Amelia", "Noah")]
    page = (
        signed_in(cast.office)
        .get(reverse("pupil_list", kwargs={"school": cast.school.slug}))
        .content.decode()
    )
    for pupil in pupils:
        href = reverse("pupil_detail", kwargs={"school": cast.school.slug, "pk": pupil.pk})
        assert f'<a class="govuk-link" href="{href}">{pupil.display_name}</a>' in page
