"""The images-only retention (issue 16) becomes the one schedule: each image destroyed under it keeps its record
as a destruction certificate, an image under a legal hold gets a hold on that record, an image queued for
destruction is on the due list, and a school's own image period becomes its retention rule for images. The
images room then drops its own fields (photos 0004, schools 0009)."""

import hashlib
import json

from django.db import migrations
from django.utils import timezone

LABEL = "Images and videos of pupils"


def adopt(apps, schema_editor):
    Destruction = apps.get_model("photos", "Destruction")
    Image = apps.get_model("photos", "Image")
    SchoolSettings = apps.get_model("schools", "SchoolSettings")
    Certificate = apps.get_model("privacy", "DestructionCertificate")
    LegalHold = apps.get_model("privacy", "LegalHold")
    DueRecord = apps.get_model("privacy", "DueRecord")
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    Certificate.objects.bulk_create(
        [
            Certificate(
                school_id=d.school_id,
                record_type="images",
                record_id=str(d.image_ref),
                description=f"{LABEL}: no. {d.image_ref}, dated {d.captured_on:%d/%m/%Y}",
                sha256=hashlib.sha256(
                    json.dumps({"image_sha256": d.sha256, "kind": d.kind, "captured_on": str(d.captured_on)},
                               sort_keys=True).encode()
                ).hexdigest(),
                rule=f"Kept until {d.kept_until:%d/%m/%Y} (the images-only retention before the one schedule)",
                due_on=d.kept_until,
                confirmed_by_id=d.confirmed_by_id,
                confirmed_at=d.destroyed_at,
                destroyed_at=d.destroyed_at,
            )
            for d in Destruction.objects.all().iterator()
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )  # fmt: skip
    LegalHold.objects.bulk_create(
        [
            LegalHold(
                school_id=i.school_id, scope="record", record_type="images", record_id=str(i.pk),
                reason=(i.legal_hold_reason or "Held on the image's page before the one schedule")[:300],
                starts_on=timezone.localdate(),
            )
            for i in Image.objects.filter(legal_hold=True).iterator()
        ],
        batch_size=2000,
    )  # fmt: skip
    DueRecord.objects.bulk_create(
        [
            DueRecord(school_id=i.school_id, record_type="images", record_id=str(i.pk), due_on=i.keep_until)
            for i in Image.objects.filter(destruction_queued_at__isnull=False, legal_hold=False).iterator()
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    RetentionRule.objects.bulk_create(
        [
            RetentionRule(
                school_id=s.school_id, record_type="images", months=s.image_retention_months,
                why="The school's image period, set in its settings before the one schedule",
            )
            for s in SchoolSettings.objects.exclude(image_retention_months=24)
        ],
        ignore_conflicts=True,
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("photos", "0003_image_personal_device"),
        ("schools", "0008_closure_days"),
    ]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
