"""§2: the termly report to the governing body — what it keeps and the one door that makes it.

- **Terms** (``term_of``): the school's term by fixed dates, the same for every school — autumn 1 September to
  31 December, spring 1 January to 31 March, summer 1 April to 31 August (holidays fall inside the term they
  follow) — as the conduct summary's term column counts them (``conduct.summary.school_term``). A term's key
  is its first year and its season: "2026-autumn", "2027-spring".
- **One report per school and term.** It is made by the daily job once in the term's last three weeks, and by
  the Headteacher or a senior leader whenever they ask ("Make this term's report"): made again, the same row is
  replaced with the figures of that moment and the trail keeps each making with its PDF's hash. Governors need
  one report per term, the latest figures of it; an earlier copy handed out can still be recognised by the
  hash the trail kept.
- **One document for every reader** (governors, the Headteacher, senior leaders), so its incident and LADO
  figures leave out every case about any of them — subject or alleged — as no reader counts a case about
  themselves; the report says so, and the chair of governors still reads such a case in incidents.
- **Kept as taken**: every figure as ``Measure.as_stored()`` and what else the PDF shows (the school's name,
  who made it, the previous term's figures for the trend, the open actions of the last completed self-review),
  and the PDF itself: drawn once when made, its bytes kept in the file storage and served as they are
  (``pdf_of``), checked against the hash taken then. A governing body's record reads the same forever, whatever
  changes in the layout since; a stored file that no longer matches is a real alarm: refused and recorded.
- **Told**: the chair of governors, by a notice and a plain email with a link (no figure in it); a school with
  no chair recorded: its Headteacher, who can record one."""

import datetime
import hashlib
import logging
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from saferstaff.access import ACCESS_MAP
from saferstaff.audit.log import record
from saferstaff.conduct.summary import school_term
from saferstaff.notifications.service import notify
from saferstaff.oversight.areas import BY_KEY
from saferstaff.oversight.case_figures import without_cases_about
from saferstaff.oversight.changes import open_actions
from saferstaff.oversight.figures import all_figures
from saferstaff.oversight.models import GovernorsReport, SelfReview
from saferstaff.oversight.report_pdf import draw, store
from saferstaff.photos.services import delete_files
from saferstaff.rules.conduct import chair_of_governors
from saferstaff.rules.engine import refused
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import Actor, H, members_holding

SECTION = "§2"
SCHEDULE_DAYS = 21  # the daily job makes the term's report in its last three weeks
TOLD_KIND = "oversight.report"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Term:
    key: str  # "2026-autumn"
    label: str  # "Autumn term 2026"
    starts: datetime.date
    ends: datetime.date  # inclusive


def term_of(day: datetime.date) -> Term:
    """The term ``day`` falls in (see the module's note: autumn, spring, summer by fixed dates)."""
    period = school_term(day)
    season = period.label.split()[0].lower()
    return Term(f"{period.starts.year}-{season}", period.label, period.starts, period.ends)


def scheduled_from(term: Term) -> datetime.date:
    """The first day the daily job makes the term's report: three weeks before the term ends."""
    return term.ends - datetime.timedelta(days=SCHEDULE_DAYS - 1)


def previous_report(school, term: Term) -> GovernorsReport | None:
    """The report the trend compares with: the school's last one of an earlier term."""
    return (
        GovernorsReport.objects.filter(school=school, term_starts__lt=term.starts)
        .order_by("-term_starts")
        .first()
    )


def _open_actions(school) -> dict | None:
    """The actions still open that the school's completed self-reviews agreed (``changes.open_actions``: those
    of earlier reviews are carried forward until marked done), soonest due first, with the last review."""
    review = SelfReview.objects.filter(school=school, completed_at__isnull=False).order_by("-number").first()
    if review is None:
        return None
    actions = [
        {
            "what": a.what,
            "area": BY_KEY[a.area].title if a.area in BY_KEY else a.area,
            "owner": a.owner.user.get_full_name(),
            "due_on": a.due_on.isoformat(),
            "review": a.review.number,
        }
        for a in open_actions(school.pk)
    ]
    completed = timezone.localdate(review.completed_at).isoformat()
    return {"number": review.number, "completed_on": completed, "actions": actions}


def readers(school_id: int):
    """Everyone who may read the school's reports (the roles the access map gives its reports page)."""
    return members_holding(school_id, ACCESS_MAP["report_list"]).values("pk")


def report_figures(school, now: datetime.datetime) -> dict:
    """The figures a report keeps: every one of ``all_figures`` as stored, less the cases about anyone who may
    read the report (``case_figures.without_cases_about``). One document for every reader, it cannot leave out only
    the reader's own cases as the self-review does, so it leaves out all of theirs."""
    stored = {key: m.as_stored() for key, m in all_figures(school, now).items()}
    return without_cases_about(school.pk, readers(school.pk), stored)


def _kept(school, term: Term, now: datetime.datetime, by: Actor | None) -> tuple[dict, dict]:
    """The figures of the moment and the rest of what the PDF shows, as plain values."""
    figures = report_figures(school, now)
    before = previous_report(school, term)
    context = {
        # The figures' order: PostgreSQL's jsonb keeps an object's keys in its own order, not the one written.
        "order": list(figures),
        "school": school.name,
        "term": {"key": term.key, "label": term.label, "starts": term.starts.isoformat(),
                 "ends": term.ends.isoformat()},
        "taken_at": now.isoformat(),
        "made_by": by.user.get_full_name() if by is not None else "",
        "previous": {
            "term": term_of(before.term_starts).label,
            "made_at": before.made_at.isoformat(),
            "figures": before.figures,
        }
        if before is not None
        else None,
        "review": _open_actions(school),
    }  # fmt: skip
    return figures, context


def who_is_told(school_id: int) -> str:
    """Whom ``_tell`` tells when a report is made, in words for the reports page: the chair of governors, or
    the Headteacher when no chair is recorded (``chair_of_governors``, the fact ``_tell`` reads)."""
    if chair_of_governors(school_id) is not None:
        return "the chair of governors is told"
    return "no chair of governors is recorded, so the Headteacher is told: record one on the staff page"


def _tell(report: GovernorsReport, label: str, remade: bool) -> None:
    """The chair of governors (else the Headteacher, who can record one) is told the report is ready: a notice
    and a plain email with the link to the reports page, never a figure."""
    school = report.school
    url = reverse("report_list", kwargs={"school": school.slug})
    made = "made again" if remade else "ready to read"
    chair = chair_of_governors(school.pk)
    if chair is not None:
        notify(chair.user, kind=TOLD_KIND, title=f"The governors' report for {label} is {made} (§2)", url=url,
               school=school)  # fmt: skip
        return
    for head in members_holding(school.pk, {H}).select_related("user"):
        notify(
            head.user, kind=TOLD_KIND, url=url, school=school,
            title=f"The governors' report for {label} is {made}, and no chair of governors is recorded to "
            "send it to: record one on the staff page (§2)",
        )  # fmt: skip


def make_report(school, *, by: Actor | None = None, now: datetime.datetime | None = None) -> GovernorsReport:
    """THE door: the report of the term ``now`` falls in, made — or made again, replacing the earlier one of
    the same term — with the figures of ``now``. ``by`` is the Headteacher or a senior leader asking for it;
    None when the daily job makes it."""
    if by is not None:
        if not by.is_senior:
            raise refused("Only the Headteacher or a senior leader can make the governors' report", SECTION)
        if by.school.pk != school.pk:
            raise refused("This report belongs to another school", SECTION)
    now = now or timezone.now()
    term = term_of(timezone.localdate(now))
    figures, context = _kept(school, term, now, by)
    # Drawn once now and stored, outside the transaction (a second or two): every download serves these bytes.
    pdf = draw(figures, context)
    name = store(school.pk, pdf)
    fields = {
        "term_starts": term.starts, "made_at": now, "made_by": by.user if by is not None else None,
        "figures": figures, "context": context, "pdf": name, "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
    }  # fmt: skip
    try:
        try:
            return _keep(school, term, fields, scheduled=by is None)
        except IntegrityError:  # made at the same moment by another request: replace that one
            return _keep(school, term, fields, scheduled=by is None)
    except BaseException:
        delete_files([name], school_id=school.pk)  # no row kept it: nothing half-kept (queued if S3 is down)
        raise


def _keep(school, term: Term, fields: dict, *, scheduled: bool) -> GovernorsReport:
    """The term's report written (made, or made again in place: the earlier PDF's file deleted once this one is
    committed), recorded with its hash, and the chair told."""
    with transaction.atomic():
        report = GovernorsReport.objects.select_for_update().filter(school=school, term=term.key).first()
        remade = report is not None
        if report is None:
            report = GovernorsReport.objects.create(school=school, term=term.key, **fields)
        else:
            replaced = [report.pdf.name] if report.pdf else []
            for name, value in fields.items():
                setattr(report, name, value)
            report.save(update_fields=list(fields))
            transaction.on_commit(lambda: delete_files(replaced, school_id=school.pk))
        detail = {"term": term.key, "remade": remade, "scheduled": scheduled, "sha256": fields["pdf_sha256"]}
        record("oversight.report.made", report, school=school, detail=detail)
        _tell(report, term.label, remade)
    return report


def make_if_due(school, now: datetime.datetime | None = None) -> GovernorsReport | None:
    """The daily job's part for one school: make the term's report when the term is in its last three weeks
    and none was made since they began (a report made on demand earlier in the term is made again, once). A
    school with no staff is skipped. Running it again the same day or the next does nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    term = term_of(today)
    first = scheduled_from(term)
    if today < first or not Membership.objects.active().filter(school=school).exists():
        return None
    if GovernorsReport.objects.filter(school=school, term=term.key, made_at__date__gte=first).exists():
        return None
    return make_report(school, now=now)


class ReportAltered(Exception):
    """A report's stored PDF no longer matches the hash taken when it was made: the message says so plainly."""


def pdf_of(report: GovernorsReport) -> bytes:
    """The report's PDF as made: the bytes kept in the file storage, checked against the hash taken when it was
    made. A file changed or gone since is not given out: it is recorded in the audit trail (ids only) and
    ``ReportAltered`` raised."""
    pdf = None
    try:
        if report.pdf:
            with default_storage.open(report.pdf.name, "rb") as handle:
                pdf = handle.read()
    except OSError:  # gone from the storage: as altered as a changed byte
        pass
    if pdf is not None and hashlib.sha256(pdf).hexdigest() == report.pdf_sha256:
        return pdf
    log.warning(
        "governors' report %s: its stored PDF does not match the hash taken when it was made", report.pk
    )
    record("oversight.report.altered", report, detail={"term": report.term})
    made = timezone.localtime(report.made_at)
    raise ReportAltered(
        f"The PDF of the governors' report for {term_of(report.term_starts).label} has been changed or removed "
        f"since it was made on {made:%-d %B %Y} at {made:%H:%M}, so it is not given out. This is recorded in the "
        "audit trail: ask whoever runs saferstaff for your school to restore the file from a backup."
    )
