"""benchmarks/datagen.py writes with PostgreSQL COPY (executemany on SQLite) past the models' own code: what it
writes must still be what the real pages read. A small data set is generated, then the load benchmark's pages are
opened by the staff who use them at a generated school, and an image's thumbnail is served from the shared stored
file."""

import argparse
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from saferstaff.accounts.models import User
from saferstaff.audit.log import verify_chain
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.incidents.models import Case
from saferstaff.photos.models import Image, ImageTag
from saferstaff.policies.models import Acceptance
from saferstaff.schools.models import Pupil, School
from tests.conftest import signed_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

SMALL = argparse.Namespace(schools=2, schools_per_trust=2, staff=12, pupils=20, images=200, cases=20)


@pytest.fixture
def generated(db):
    import datagen

    g = datagen.Generator(SMALL)
    datagen.generate(g)
    return datagen


def test_the_generated_rows_are_all_there(generated):
    assert School.objects.filter(name__startswith="Datagen School").count() == 2
    assert Pupil.objects.count() == 40
    assert Image.objects.count() == 200 and ImageTag.objects.count() == 400
    purposes = Purpose.objects.filter(active=True).count()  # every school's, seeded by create_school
    assert ConsentRecord.objects.count() == 20 * purposes
    assert Case.objects.count() == 20
    # Every member of staff accepted the first two versions of the 5 policies; 1 in 10 of the unnamed ones
    # has not yet accepted the third.
    assert Acceptance.objects.filter(version__number=1).count() == 2 * 12 * 5
    assert Acceptance.objects.filter(version__number=3).count() < 2 * 12 * 5
    checked, broken = verify_chain()
    assert checked > 0 and broken is None


PAGES = [
    ("school_dashboard", "head"),
    ("image_list", "head"),
    ("consent_register", "office"),
    ("pupil_list", "teacher"),
    ("case_list", "dsl"),
    ("draft_check", "teacher"),
]


@pytest.mark.parametrize("url_name,who", PAGES)
def test_the_key_pages_open_for_a_generated_school(generated, url_name, who):
    school = School.objects.get(name="Datagen School 2")
    user = User.objects.get(email=generated.staff_email(2, who))
    response = signed_in(user).get(reverse(url_name, kwargs={"school": school.slug}))
    assert response.status_code == 200, response.get("Location")


def test_the_trust_page_and_a_thumbnail_open(generated):
    school = School.objects.select_related("trust").get(name="Datagen School 1")
    admin = User.objects.get(email=generated.staff_email(1, "trustadmin"))
    assert (
        signed_in(admin).get(reverse("trust_dashboard", kwargs={"trust": school.trust.slug})).status_code
        == 200
    )
    image = Image.objects.filter(school=school).first()
    head = signed_in(User.objects.get(email=generated.staff_email(1, "head")))
    response = head.get(reverse("image_thumbnail", kwargs={"school": school.slug, "pk": image.pk}))
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])[:2] == b"\xff\xd8"
    )
