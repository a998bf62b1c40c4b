"""A list's links to its rows' pages, reversed once per list (saferstaff.links.pk_links), are the addresses
``reverse`` gives for each row."""

from django.urls import reverse

from saferstaff.links import pk_links

from .conftest import signed_in
from .image_samples import pupil_with_parents


def test_each_link_is_the_address_reverse_gives():
    for name in ("pupil_consent", "pupil_detail"):
        for slug in ("westfield-infant", "x987654321y", "987654321"):  # the stand-in's digits in the slug too
            link = pk_links(name, school=slug)
            for pk in (1, 7, 42, 987654321, 9876543219, 10**17):
                assert link(pk) == reverse(name, kwargs={"school": slug, "pk": pk})


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
