"""§8 (UK GDPR art. 30, 35): the record of processing activities and the DPIA for biometric face matching,
built from the live configuration; each a page and a PDF; each export kept, so the next shows what changed."""

import pytest
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.consent.models import Purpose
from saferstaff.privacy import records
from saferstaff.privacy.models import Export
from saferstaff.privacy.schedule import change_retention
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Role, SchoolSettings
from saferstaff.schools.roles import Actor

from .conftest import make_person, signed_in


def url(cast, name):
    return reverse(name, kwargs={"school": cast.school.slug})


def field(content, section, label):
    (found,) = [v for s in content["sections"] if s["title"] == section for k, v in s["fields"] if k == label]
    return found


def test_the_record_of_processing_reads_the_live_configuration(cast, settings):
    content = records.processing_record(cast.school)
    rooms = [s["title"] for s in content["sections"]]
    assert {"Images", "Face matching", "Incidents", "Data protection", "Retention", "Processors"} <= set(
        rooms
    )
    # Who has access: the roles of the access map for the room's pages, with how many people hold each.
    access = field(content, "Data protection", "Who has access (people holding the role)")
    assert f"{Role(Role.DPO).label} (1)" in access and f"{Role(Role.HEADTEACHER).label} (1)" in access
    assert Role(Role.GOVERNOR).label not in field(
        content, "Face matching", "Who has access (people holding the role)"
    )
    assert "nothing goes to a third-party" in field(content, "Processors", "Third parties").lower()
    change_retention(cast.school, key="images", months=36, why="Trust policy", by=cast.dpo)
    assert field(
        records.processing_record(cast.school), "Retention", "Images and videos of pupils"
    ).startswith("3 years from when it was taken or made (the school's own period: Trust policy)")


def test_the_dpia_is_filled_from_the_schools_settings(cast):
    assert field(records.dpia(cast.school), "The processing", "Face matching").startswith("On")
    Purpose.objects.filter(school=cast.school, biometric=True).update(active=False)
    content = records.dpia(cast.school)
    assert field(content, "The processing", "Face matching").startswith("Off")
    assert "objection" in field(content, "Consent and the law", "Protection of Freedoms Act 2012 ss. 26–28")
    assert field(content, "Consent and the law", "Pupils enrolled (with a template)") == "0"


def test_each_export_is_kept_and_the_next_shows_what_changed_field_by_field(cast):
    client = signed_in(cast.dpo)
    first = client.get(url(cast, "dpia_pdf"))
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")
    made = Export.objects.get()
    assert made.kind == "dpia" and len(made.sha256) == 64 and made.made_by == cast.dpo
    assert client.get(url(cast, "dpia")).context["changes"] == []  # nothing since
    SchoolSettings.objects.filter(school=cast.school).update(
        face_auto_threshold=0.7, publish_blurred_without_consent=True
    )
    page = client.get(url(cast, "dpia"))
    changed = {c.field: (c.before, c.after) for c in page.context["changes"]}
    assert changed["The processing › Automatic match threshold"] == ("0.55", "0.70")
    label = "The processing › Publishing blurred images without consent"
    assert changed[label] == ("Not allowed", "Allowed")
    assert "Automatic match threshold" in page.content.decode()
    _, previous, diff = records.export(Actor.of(cast.dpo, cast.school), "dpia")
    assert previous == made and len(diff) == 2
    assert Export.objects.count() == 2
    assert AuditEvent.objects.filter(action="privacy.records.exported").count() == 2


def test_a_new_role_holder_shows_as_a_change_in_the_record_of_processing(cast):
    client = signed_in(cast.head)
    assert client.get(url(cast, "records_processing_pdf")).status_code == 200
    make_person("della.dpo@school.example", cast.school, {Role.DPO})
    changes = client.get(url(cast, "records_processing")).context["changes"]
    assert changes and all("Who has access" in c.field for c in changes)
    assert all(c.kind == "changed" for c in changes)


def test_only_the_officers_export(cast):
    with pytest.raises(Refused):
        records.export(Actor.of(cast.dsl, cast.school), "processing")
    assert signed_in(cast.dsl).get(url(cast, "records_processing_pdf")).status_code == 403
    assert not Export.objects.exists()


def test_changes_name_what_was_added_and_removed():
    before = {"sections": [{"title": "A", "fields": [["x", "1"], ["gone", "2"]]}]}
    after = {"sections": [{"title": "A", "fields": [["x", "1"], ["new", "3"]]}]}
    found = {(c.field, c.kind) for c in records.changes(before, after)}
    assert found == {("A › new", "added"), ("A › gone", "removed")}
    assert records.changes(None, after) == []
