"""Helpers for the browser tests (the fixtures are in conftest.py)."""

import os

from saferstaff.schools.models import Guardianship, Pupil
from tests.roster_samples import SampleContact, SamplePupil, changed, csv_text, make_upn, sample_pupils


def submit(page, field_name: str):
    """Submit the form that holds the field ``field_name`` with its own submit button; wait for the page."""
    form = page.locator("form", has=page.locator(f'[name="{field_name}"]'))
    with page.expect_navigation():
        form.locator('button[type="submit"], input[type="submit"]').first.click()


def screenshot_wanted() -> bool:
    return os.environ.get("SAFERSTAFF_SCREENSHOT") == "1"


def pupil_search(school_slug: str, q: str):
    """What the pupil list shows for the search ``q`` (current pupils), the way the view searches."""
    return Pupil.objects.filter(school__slug=school_slug).current().search(q)


def roster_csv(school_slug: str, *, new: int) -> tuple[bytes, list[SamplePupil]]:
    """A CSV export from the school's MIS: every current pupil with their contacts as saferstaff holds them,
    plus ``new`` pupils who have just joined Reception (UPNs of this school: LA 383, establishment 2999)."""
    current = []
    for p in Pupil.objects.filter(school__slug=school_slug).current().order_by("pk"):
        links = Guardianship.objects.filter(pupil=p).select_related("guardian").order_by("contact_order")
        contacts = tuple(
            SampleContact(
                forename=link.guardian.forename,
                surname=link.guardian.surname,
                title=link.guardian.title,
                relationship=link.relationship,
                responsibility=link.parental_responsibility,
                email=link.guardian.email,
                phone=link.guardian.phone,
                order=link.contact_order,
            )
            for link in links
        )
        current.append(
            SamplePupil(
                upn=p.upn,
                forename=p.legal_forename,
                surname=p.legal_surname,
                dob=p.date_of_birth,
                year=p.year_group,
                preferred_forename=p.preferred_forename,
                contacts=contacts,
            )
        )
    joiners = [
        changed(p, upn=make_upn(500 + i, la=383, estab=2999), year="R")
        for i, p in enumerate(sample_pupils(new, contacts=2, start=500))
    ]
    return csv_text(current + joiners, contacts=2).encode(), joiners
