"""The governors' report drawn as a PDF (WeasyPrint) from what a ``GovernorsReport`` keeps, and nothing else: a
cover, a one-page summary ("what needs your attention" first, then every figure at a glance with its trend),
one short section per figure with its source and the moment taken, and the self-review's open actions.

It is written for the governing body, so every reader — the Headteacher too — gets the governors' view:
incident counts of 1 or 2 read "fewer than 3" (``Measure.blurred_wording``), and no case about any of its
readers is counted (``LEFT_OUT`` says so). It is drawn once, when the report is made, and its bytes kept in
the file storage (``store``): a download serves them as made (``report.pdf_of``), never a new drawing, so a
change to this layout since never changes an old report."""

import datetime
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from saferstaff import clocks
from saferstaff.oversight.attention import THRESHOLDS, reasons
from saferstaff.oversight.changes import figure_trends
from saferstaff.oversight.models import PDF_FOLDER
from saferstaff.oversight.readers import blurred

# Why each figure is in front of the governors, in a sentence, citing the guidance.
WHY = {
    "acceptance": "§2: governors and the Headteacher make sure every member of staff has read and accepted "
    "the guidance in force.",
    "consent": "§5: an image of a pupil is used only for what their parents or carers agreed to.",
    "publications": "§5: each copy published is recorded, so that it can be found and taken down again.",
    "takedowns": "§5: when consent is withdrawn, published images are removed wherever they appeared.",
    "conduct": "§3, §4, §6: staff tell the school about contact with pupils outside agreed channels, and use "
    "personal devices only with permission.",
    "incidents": "§9: online incidents and concerns about staff are recorded and handled. Counts only, never "
    "a name.",
    "lado": "Keeping children safe in education, Part 4: an allegation about a member of staff is referred to "
    "the Local Authority designated officer (LADO) within one working day.",
    "breaches": "§8: a personal-data breach is assessed, and the decision whether to tell the ICO made, within "
    "72 hours.",
    "subject_access": "§8: a request for someone's own personal data is answered within the legal time limit.",
    "access_records": "§8: records about people are open only to those who need them, and every time one is "
    "opened, listed, exported or downloaded it is recorded, so the school can say who saw it.",
}
# The figures that count cases, less those about any reader of the report (``report.report_figures``), and the
# sentence that says so under each.
LEFT_OUT = (
    "Cases about the school's leaders or governors are not counted in this report, which they read: each is "
    "handled by its case manager, the chair of governors when it is about the Headteacher."
)
CASE_FIGURES = ("incidents", "lado")
# The page of saferstaff where the same figure can be checked (the Measure's ``page``).
PAGES = {
    "policy_dashboard": "Who has accepted what",
    "consent_register": "Consent register",
    "publication_list": "Publication register",
    "takedown_list": "Takedowns",
    "conduct_summary": "Conduct summary",
    "incident_trends": "Incident trends",
    "privacy_home": "Data protection",
    "seen_search": "Who saw a record?",
}


def _moment(iso: str) -> str:
    moment = clocks.local(datetime.datetime.fromisoformat(iso))
    return f"{moment:%-d %B %Y} at {moment:%H:%M}"


def _day(iso: str) -> str:
    return f"{datetime.date.fromisoformat(iso):%-d %B %Y}"


def attention(figures: dict, review: dict | None, on: datetime.date) -> list[dict]:
    """What needs the governors' attention — ``attention.reasons``, the test the trust's view reads too — each
    in the figure's own words (as they read it), with a question; then the self-review's actions past their
    date."""
    found = [
        {
            "reason": r.short,
            "title": figures[r.key]["title"],
            "wording": figures[r.key]["wording"],
            "ask": r.ask,
        }
        for r in reasons({key: m["values"] for key, m in figures.items()})
    ]
    late = [a for a in (review or {}).get("actions", []) if datetime.date.fromisoformat(a["due_on"]) < on]
    if late:
        found.append(
            {
                "title": "Actions from the self-review",
                "wording": f"{len(late)} of {len(review['actions'])} open actions are past their due date",
                "ask": "What is holding them up, and what is the new date?",
            }
        )
    return found


def draw(figures: dict, context: dict) -> bytes:
    """The PDF of a report's kept ``figures`` and ``context`` (see ``oversight.report``)."""
    from weasyprint import HTML  # heavy, and only for the PDFs: as in policies' dashboard_pdf

    shown = blurred({key: figures[key] for key in context.get("order", figures) if key in figures})
    previous = context.get("previous")
    trends = figure_trends(shown, blurred(previous["figures"]) if previous else None)
    on = clocks.local(datetime.datetime.fromisoformat(context["taken_at"])).date()
    review = context.get("review")
    sections = [
        {
            **m,
            "why": WHY.get(key, ""),
            "left_out": LEFT_OUT if key in CASE_FIGURES else "",
            "page_name": PAGES.get(m["page"], ""),
            "taken": _moment(m["taken_at"]),
            "trend": trends[key],
        }
        for key, m in shown.items()
    ]
    actions = [
        {**a, "due": _day(a["due_on"]), "late": datetime.date.fromisoformat(a["due_on"]) < on}
        for a in (review or {}).get("actions", [])
    ]
    html = render_to_string(
        "oversight/report_pdf.html",
        {
            "context": context,
            "term": context["term"],
            "starts": _day(context["term"]["starts"]),
            "ends": _day(context["term"]["ends"]),
            "taken": _moment(context["taken_at"]),
            "previous": previous,
            "previous_made": _moment(previous["made_at"]) if previous else "",
            "attention": attention(shown, review, on),
            "thresholds": THRESHOLDS,
            "sections": sections,
            "review": review,
            "review_completed": _day(review["completed_on"]) if review else "",
            "actions": actions,
        },
    )
    return HTML(string=html).write_pdf()


def store(school_id: int, pdf: bytes) -> str:
    """Keep a report's PDF in the file storage (the disk, or the S3 bucket) under a name nobody chooses, in the
    school's folder; the storage answers with the name it used."""
    return default_storage.save(f"{PDF_FOLDER}/{school_id}/{uuid.uuid4().hex}.pdf", ContentFile(pdf))
