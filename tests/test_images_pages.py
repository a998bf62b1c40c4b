"""§5 pages, as a school sees them: what they say and show (the workflows are in test_images_flows.py)."""

import pytest
from django.urls import reverse

from saferstaff.images.models import ScreeningRun

from .conftest import signed_in
from .image_samples import approved_activity


@pytest.fixture(autouse=True)
def _files(storage, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


def test_face_finding_progress_updates_without_a_meta_refresh_and_offers_check_again(cast):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    run = ScreeningRun.objects.create(
        school=cast.school, activity=activity, started_by=cast.teacher, total=3, status="running"
    )
    url = reverse("screening_progress", kwargs={"school": cast.school.slug, "pk": run.pk})
    page = signed_in(cast.teacher).get(url).content.decode()
    assert 'http-equiv="refresh"' not in page.lower()  # axe: meta-refresh (critical)
    assert f'href="{url}" role="button"' in page and ">Check again</a>" in page  # without JavaScript
    assert "<script nonce=" in page and "fetch(" in page  # with it, the progress updates in place
    ScreeningRun.objects.filter(pk=run.pk).update(status="done", done=3)
    done = signed_in(cast.teacher).get(url).content.decode()
    assert "Check again" not in done and "data-running" not in done
