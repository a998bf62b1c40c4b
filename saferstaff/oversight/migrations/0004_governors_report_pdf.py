"""The governors' report keeps the PDF it made: ``GovernorsReport.pdf``, the bytes in the file storage, which a
download serves as they are (checked against ``pdf_sha256``) instead of drawing the PDF again.

A report made before this has no file, so its PDF is drawn here, once, from the figures and context it keeps,
stored, and its hash taken from the stored bytes (the trail still holds the hash of each making). That is right
because no real school's report exists before this release's layout: the governors' report came in this
release, and the only reports made before the file was kept are the demo school's. So this drawing is the report
as made, in the layout it was made in; from now on no drawing ever replaces a kept file."""

import hashlib

from django.db import migrations, models


def keep_pdfs(apps, schema_editor):
    from saferstaff.oversight.report_pdf import draw, store

    GovernorsReport = apps.get_model("oversight", "GovernorsReport")
    for report in GovernorsReport.objects.filter(pdf=""):
        pdf = draw(report.figures, report.context)
        GovernorsReport.objects.filter(pk=report.pk).update(
            pdf=store(report.school_id, pdf), pdf_sha256=hashlib.sha256(pdf).hexdigest()
        )


class Migration(migrations.Migration):

    dependencies = [
        ('oversight', '0003_action_done'),
    ]

    operations = [
        migrations.AddField(
            model_name='governorsreport',
            name='pdf',
            field=models.FileField(default='', max_length=200, upload_to='governors-reports'),
            preserve_default=False,
        ),
        migrations.RunPython(keep_pdfs, migrations.RunPython.noop),
    ]
