"""§2 pages of the governors' report: the school's reports, term by term, each with its PDF; and, for the
Headteacher and senior leaders, "Make this term's report" (through the door ``oversight.report.make_report``).
Governors, the chair among them, read."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from saferstaff.audit.log import record
from saferstaff.oversight.models import GovernorsReport
from saferstaff.oversight.report import (
    ReportAltered,
    make_report,
    pdf_of,
    scheduled_from,
    term_of,
    who_is_told,
)
from saferstaff.rules.engine import Refused


@require_safe
def report_list(request, school):
    term = term_of(timezone.localdate())
    reports = GovernorsReport.objects.filter(school=request.school).select_related("made_by")
    return render(
        request,
        "oversight/report_list.html",
        {
            "reports": reports,
            "term": term,
            "scheduled_from": scheduled_from(term),
            "this_term": next((r for r in reports if r.term == term.key), None),
            "maker": request.actor.is_senior,
            "told": who_is_told(request.school.pk),
        },
    )


@require_POST
def report_make(request, school):
    try:
        report = make_report(request.school, by=request.actor)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        label = term_of(report.term_starts).label
        messages.success(
            request, f"The governors' report for {label} is made: {who_is_told(request.school.pk)}."
        )
    return redirect("report_list", school=request.school.slug)


@require_safe
def report_pdf(request, school, pk):
    """The report's PDF as made (its stored bytes, checked against its hash); a file changed since is refused
    with a plain message on the reports page (``report.pdf_of`` records it)."""
    report = get_object_or_404(GovernorsReport, school=request.school, pk=pk)
    try:
        pdf = pdf_of(report)
    except ReportAltered as exc:
        messages.error(request, str(exc))
        return redirect("report_list", school=request.school.slug)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"governors-report-{report.term}-{request.school.slug}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    record("oversight.report.downloaded", report, detail={"term": report.term})
    return response
