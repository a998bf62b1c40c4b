"""§2 and §7 pages: who has accepted what (the governors' dashboard, as CSV and PDF), and "ask the
policy"."""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import record
from saferstaff.exports import csv_safe
from saferstaff.policies.search import search_sections, terms
from saferstaff.policies.status import ACCEPTED, DECLINED, TO_ACCEPT, school_overview


@require_safe
def policy_dashboard(request, school):
    return render(request, "policies/dashboard.html", {"overview": school_overview(request.school)})


@require_safe
def policy_dashboard_csv(request, school):
    if confirm := step_up(request, "downloading who has accepted the guidance"):  # exports: step-up first
        return confirm
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="policy-acceptance-{request.school.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(["Policy", "Version", "Name", "Email", "Roles", "Employment", "Status"])
    labels = {ACCEPTED: "Accepted", DECLINED: "Declined", TO_ACCEPT: "Not yet accepted"}
    for item in school_overview(request.school):
        for m, state in item["members"]:
            writer.writerow(
                [
                    csv_safe(item["policy"].title),
                    item["version"].number,
                    csv_safe(m.user.display_name),
                    csv_safe(m.user.email),
                    csv_safe("; ".join(m.role_labels())),
                    m.get_employment_type_display(),
                    labels[state],
                ]
            )
    record("policy.report_exported", ("schools.school", request.school.pk))
    return response


@require_safe
def policy_dashboard_pdf(request, school):
    """The same overview as a PDF for the governors' meeting pack (WeasyPrint, fonts from the system)."""
    from weasyprint import HTML

    if confirm := step_up(request, "downloading who has accepted the guidance"):
        return confirm
    html = render_to_string(
        "policies/dashboard_pdf.html",
        {"overview": school_overview(request.school), "school": request.school, "now": timezone.now()},
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="policy-acceptance-{request.school.slug}.pdf"'
    record("policy.report_exported", ("schools.school", request.school.pk), detail={"format": "pdf"})
    return response


@require_safe
def policy_search(request, school):
    question = request.GET.get("q", "").strip()[:300]
    hits = search_sections(request.school, question) if question else []
    return render(
        request, "policies/search.html", {"question": question, "hits": hits, "terms": terms(question)}
    )
