"""§8 pages: the record of processing activities and the DPIA for face matching, as a page and as a PDF, with
what changed since the last export (``privacy.records``)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from saferstaff.privacy import records
from saferstaff.privacy.models import Export
from saferstaff.rules.engine import Refused

TEMPLATES = {Export.Kind.PROCESSING: "records_processing", Export.Kind.DPIA: "dpia"}


def _record_page(request, kind: str):
    content, last, changed = records.current(request.school, kind)
    return render(
        request,
        "privacy/records_page.html",
        {
            "content": content,
            "last": last,
            "changes": changed,
            "kind": kind,
            "pdf_url": f"{TEMPLATES[kind]}_pdf",
        },
    )


def _record_pdf(request, kind: str):
    from weasyprint import HTML  # heavy, and only for the PDFs: as in policies' dashboard_pdf

    try:
        made, previous, changed = records.export(request.actor, kind)
    except Refused as exc:
        raise Http404(exc.decision.summary) from exc
    html = render_to_string(
        "privacy/records_pdf.html",
        {
            "content": made.content,
            "made": made,
            "previous": previous,
            "changes": changed,
            "school": request.school,
        },
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    name = f"{TEMPLATES[kind].replace('_', '-')}-{request.school.slug}-{made.made_at:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def records_processing(request, school):
    return _record_page(request, Export.Kind.PROCESSING)


@require_safe
def records_processing_pdf(request, school):
    return _record_pdf(request, Export.Kind.PROCESSING)


@require_safe
def dpia(request, school):
    return _record_page(request, Export.Kind.DPIA)


@require_safe
def dpia_pdf(request, school):
    return _record_pdf(request, Export.Kind.DPIA)
