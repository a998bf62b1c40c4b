"""The image library's filters (saferstaff/photos/filters.py) are read once per state of the school (ADR 0014):
kept, they cost one query instead of five, and a change made through a door shows on the very next request."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from saferstaff.photos import services

from .conftest import signed_in
from .image_samples import pupil_with_parents
from .test_images_flows import _files, class_photo, consent  # noqa: F401  (fixtures)


def test_a_pupil_tagged_shows_in_the_filter_at_once_and_kept_filters_cost_fewer_queries(cast, class_photo):  # noqa: F811
    client, url = signed_in(cast.head), reverse("image_list", kwargs={"school": cast.school.slug})
    client.get(url)  # a first request warms what is read once per process
    zara, _ = pupil_with_parents(cast.school, "Zara", "<b>Bold</b>")
    option = f">{escape(zara.display_name)}</option>"
    assert option not in client.get(url).content.decode()
    services.tag(class_photo["with_noah"], zara, by=cast.slt, source="manual")  # a door: an event, a bump
    with CaptureQueriesContext(connection) as afresh:
        page = client.get(url).content.decode()
    assert option in page and "<b>Bold</b>" not in page
    with CaptureQueriesContext(connection) as kept:
        assert option in client.get(url).content.decode()
    # Kept: the school's generation instead of activities, devices, uploaders, pupils tagged and flagged —
    # and the compulsory-policy gate's read of the published versions, kept the same way (ADR 0014).
    assert len(kept.captured_queries) == len(afresh.captured_queries) - 6


def test_a_chosen_filter_is_marked_on_a_kept_page(cast, class_photo):  # noqa: F811
    client, url = signed_in(cast.head), reverse("image_list", kwargs={"school": cast.school.slug})
    client.get(url)
    chosen = client.get(f"{url}?activity={class_photo['activity'].pk}").content.decode()
    assert f'<option value="{class_photo["activity"].pk}" selected>' in chosen
    assert " selected>" not in client.get(url).content.decode()
