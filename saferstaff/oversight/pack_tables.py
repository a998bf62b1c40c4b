"""The registers in the inspection evidence pack, one CSV each: read from the function of the room that owns each
register (the same one its page and the pack's figures read), with a header row, dates in the school's time zone,
and never a pupil's name (staff names are in: who accepted, who holds a permission). Free text that staff write
(a permission's purpose, a takedown's note) is left out: it may name a child.

Each table says where it comes from; ``oversight.pack`` lists every file with its SHA-256 in the signed PDF."""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from saferstaff.conduct.models import ContactPermissionPupil, EquipmentPermission
from saferstaff.conduct.registers import contact_register, equipment_register
from saferstaff.consent.decided import coverage
from saferstaff.consent.states import LABELS
from saferstaff.incidents.models import Contact
from saferstaff.incidents.trends import counted_for
from saferstaff.oversight.areas import BY_KEY, LEVEL_LABELS
from saferstaff.oversight.changes import open_actions
from saferstaff.oversight.models import SelfReview
from saferstaff.photos.models import Publication, Takedown
from saferstaff.policies.models import Acceptance
from saferstaff.policies.status import ACCEPTED, school_overview
from saferstaff.rules.incidents import is_designated


@dataclass(frozen=True)
class Table:
    name: str  # the file's name in the zip
    title: str
    source: str  # the register (and page) it is read from
    header: tuple[str, ...]
    rows: list[tuple]
    note: str = ""  # said beside the file in the PDF's list of files


# The cases a pack leaves out: those about the person who made it (``counted_for``, ``readers.shown_to``: no one
# reads a case about themselves), from its figures and cases.csv alike. The PDF says so in its summary and beside
# cases.csv, in the same words whether or not there is such a case: a count would tell its maker that an
# allegation about them exists, which is for their case manager to decide (KCSIE Part 4).
LEFT_OUT = (
    "Cases about the person who made this pack are not in it, neither in its figures nor in cases.csv: no one "
    "reads a case about themselves (staff guidance §9). This note is the same whether or not there is such a "
    "case, so it tells nobody whether there is one. A senior leader who is the designated safeguarding lead, "
    "and whom no case is about, can make a pack that includes every case; an allegation about the Headteacher "
    "is managed by the chair of governors (Keeping children safe in education, Part 4), who reads it in "
    "saferstaff's incidents."
)
CASES_NOTE = "Cases about the person who made this pack are not listed (see the summary)."


def when(moment: datetime.datetime | None) -> str:
    """A moment in a CSV: ISO 8601, UK time ("2026-12-07 12:12"), for programs to read."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def in_words(moment: datetime.datetime) -> str:
    """A moment in the PDF, as the school's pages write it: "7 December 2026 at 12:12" (UK time)."""
    return f"{timezone.localtime(moment):%-d %B %Y at %H:%M}"


def day_in_words(day: datetime.date) -> str:
    return f"{day:%-d %B %Y}"


def _days(start, end) -> str:
    return f"{(end - start).total_seconds() / 86400:.1f}" if start and end else ""


def guidance(overview: list[dict]) -> Table:
    rows = [
        (
            item["policy"].title,
            item["policy"].get_kind_display(),
            "yes" if item["policy"].compulsory else "no",
            item["version"].number,
            when(item["version"].published_at),
            item["version"].text_sha256,
            item["audience"],
            item["accepted"],
            item["declined"],
            item["audience"] - item["accepted"] - item["declined"],
        )
        for item in overview
    ]
    return Table(
        "guidance.csv", "The guidance in force", "Published policies and their versions (policy dashboard)",
        ("Policy", "Kind", "Compulsory", "Version in force", "Published", "Text SHA-256", "Staff asked",
         "Accepted", "Declined", "Waiting"), rows,
    )  # fmt: skip


def acceptances(school, overview: list[dict]) -> Table:
    """One row per member of staff who stands accepted with a policy in force (``member_state``, as the policy
    dashboard counts): the version they accepted and when. Rows = the acceptance figure's count."""
    answers: dict[tuple[int, int], Acceptance] = {}
    rows = Acceptance.objects.filter(school=school, outcome=ACCEPTED).order_by("accepted_at", "pk")
    for a in rows:
        answers[(a.user_id, a.version_id)] = a  # the latest acceptance of each version
    out = []
    for item in overview:
        policy, current = item["policy"], item["version"]
        chain = sorted(policy.versions.filter(number__lte=current.number), key=lambda v: -v.number)
        for member, state in item["members"]:
            if state != ACCEPTED:
                continue
            # Accepted by ``member_state``: an acceptance of one of these versions is there (the newest counts).
            answer, version = next(
                (answers[(member.user_id, v.pk)], v) for v in chain if (member.user_id, v.pk) in answers
            )
            out.append(
                (
                    policy.title,
                    member.user.get_full_name(),
                    version.number,
                    when(answer.accepted_at),
                    "on paper, recorded by the Headteacher" if answer.on_behalf_by_id else "online",
                    answer.text_sha256,
                )
            )
    return Table(
        "acceptances.csv", "Who accepted which version, when", "Acceptances of the published policies",
        ("Policy", "Member of staff", "Version accepted", "Accepted", "How", "Text SHA-256 accepted"), out,
    )  # fmt: skip


def consent(school, now) -> Table:
    labels = list(LABELS.items())
    rows = [
        (purpose.name, pupils, *(counts[key] for key, _ in labels))
        for purpose, counts, pupils in coverage(school, timezone.localdate(now))
    ]
    return Table(
        "consent.csv", "Consent per use of images (counts)", "Consent register",
        ("Use", "Pupils", *(str(label) for _, label in labels)), rows,
    )  # fmt: skip


def publications(school) -> Table:
    rows = [
        (p.pk, p.image_ref, p.channel.name, when(p.published_at), when(p.taken_down_at))
        for p in Publication.objects.filter(school=school)
        .select_related("channel")
        .order_by("published_at", "pk")
    ]
    return Table(
        "publications.csv", "Publications", "Publications of images",
        ("Publication", "Image", "Channel", "Published", "Taken down"), rows,
    )  # fmt: skip


def takedowns(school) -> Table:
    found = Takedown.objects.filter(school=school).select_related("publication__channel")
    rows = [
        (
            t.pk,
            t.publication_id,
            t.publication.channel.name,
            when(t.created_at),
            when(t.done_at),
            _days(t.created_at, t.done_at),
            "yes" if t.closed_on_checks else "no",
        )
        for t in found.order_by("created_at", "pk")
    ]
    return Table(
        "takedowns.csv", "Takedowns", "Takedowns",
        ("Takedown", "Publication", "Channel", "Raised", "Done", "Days to close", "Closed on the checks"), rows,
    )  # fmt: skip


def contact_permissions(school, now) -> Table:
    register = list(contact_register(school, timezone.localdate(now)))
    named: dict[int, int] = {}
    for permission_id in ContactPermissionPupil.objects.filter(
        school=school, permission__in=[p.pk for p in register]
    ).values_list("permission_id", flat=True):
        named[permission_id] = named.get(permission_id, 0) + 1
    rows = [
        (
            p.pk,
            p.requested_by.get_full_name(),
            p.channel.name,
            " ".join(p.year_groups),
            named.get(p.pk, 0),
            p.starts_on.isoformat(),
            p.ends_on.isoformat(),
            p.decided_by.get_full_name() if p.decided_by else "",
            when(p.decided_at),
        )
        for p in register
    ]
    return Table(
        "contact-permissions.csv", "Permissions to contact pupils in force (§3, §4)",
        "Approved-channels register",
        ("Permission", "Member of staff", "Channel", "Year groups", "Pupils named (count)", "From", "Until",
         "Approved by", "Approved"), rows,
    )  # fmt: skip


def equipment_permissions(school, now) -> Table:
    rows = [
        (
            p.pk,
            p.requested_by.get_full_name(),
            p.get_device_kind_display(),
            p.make_model,
            "; ".join(
                str(EquipmentPermission.Condition(c).label)
                for c in p.conditions
                if c in EquipmentPermission.Condition.values
            ),
            p.starts_on.isoformat(),
            p.ends_on.isoformat(),
            p.decided_by.get_full_name() if p.decided_by else "",
            when(p.decided_at),
        )  # fmt: skip
        for p in equipment_register(school, timezone.localdate(now))
    ]
    return Table(
        "equipment-permissions.csv", "Permissions to use personal equipment in force (§6)",
        "Personal equipment register",
        ("Permission", "Member of staff", "Device", "Make and model", "Conditions", "From", "Until",
         "Approved by", "Approved"), rows,
    )  # fmt: skip


def cases(actor, since: datetime.datetime, now: datetime.datetime) -> Table:
    """Every case reported since ``since``, as the incident trends count them for ``actor`` (never a case about
    them): its number, kind and handling times — never a name or a word of what happened."""
    first_lado = (
        Contact.objects.filter(case=OuterRef("pk"), kind=Contact.Kind.LADO)
        .order_by("made_at")
        .values("made_at")[:1]
    )
    found = counted_for(actor).filter(reported_at__gte=since).annotate(referred=Subquery(first_lado))
    rows = []
    for c in found.order_by("reported_at", "pk"):
        clock = ""
        if c.lado_due:
            clock = (
                ("on time" if c.referred <= c.lado_due else "late")
                if c.referred
                else ("overdue" if c.lado_due < now else "not yet due")
            )
        rows.append(
            (
                c.pk, c.get_kind_display(), c.get_status_display(), when(c.reported_at), when(c.triaged_at),
                when(c.lado_due), when(c.referred), clock, when(c.closed_at),
                _days(c.reported_at, c.closed_at or now),
            )
        )  # fmt: skip
    return Table(
        "cases.csv", "Incident and allegation handling times (last 12 months)", "Incidents and allegations",
        ("Case", "Kind", "Status", "Reported", "Triaged", "LADO referral due", "Referred to the LADO",
         "LADO clock", "Closed", "Days to close (or open so far)"), rows, CASES_NOTE,
    )  # fmt: skip


def figures_table(shown: dict) -> Table:
    rows = [(m["title"], m["wording"], m["source"], m["taken_at"]) for m in shown.values()]
    return Table(
        "figures.csv", "The figures", "Each figure's own register (named per row)",
        ("Figure", "Wording", "Source", "Taken at (UTC)"), rows,
    )  # fmt: skip


def last_review(school) -> SelfReview | None:
    return SelfReview.objects.filter(school=school, completed_at__isnull=False).order_by("-number").first()


def review_tables(review: SelfReview | None, day=datetime.date.isoformat) -> list[Table]:
    """The last review's levels and the actions (``day`` writes a date: ISO 8601 in the CSVs, words in the
    PDF)."""
    if review is None:
        return []
    judged = [
        (BY_KEY[j.area].title, LEVEL_LABELS[j.level], j.commentary)
        for j in review.judgements.all()
        if j.area in BY_KEY
    ]
    # As the governors' report lists them: every action still open (``changes.open_actions``, those of earlier
    # reviews carried forward), and those of the last review already done.
    done = review.actions.filter(done_at__isnull=False).select_related("owner__user", "review")
    listed = sorted([*open_actions(review.school_id), *done], key=lambda a: (a.due_on, a.pk))
    actions = [
        (BY_KEY[a.area].title if a.area in BY_KEY else a.area, a.what, a.owner.user.get_full_name(),
         day(a.due_on), f"Self-review {a.review.number}",
         f"Done on {day(timezone.localdate(a.done_at))}" if a.done_at else "Open")
        for a in listed
    ]  # fmt: skip
    source = f"Self-review {review.number}, completed {timezone.localtime(review.completed_at):%-d %B %Y}"
    return [
        Table("self-review.csv", "The last self-review: levels", source, ("Area", "Level", "Commentary"), judged),
        Table("self-review-actions.csv",
              "Self-review actions: the last review's, and those still open from earlier reviews", source,
              ("Area", "Action", "Owner", "Due", "Agreed in", "Status"), actions),
    ]  # fmt: skip


def all_tables(actor, shown: dict, now: datetime.datetime, since: datetime.datetime, review) -> list[Table]:
    school = actor.school
    overview = school_overview(school)
    tables = [
        figures_table(shown),
        guidance(overview),
        acceptances(school, overview),
        consent(school, now),
        publications(school),
        takedowns(school),
        contact_permissions(school, now),
        equipment_permissions(school, now),
    ]
    if may_list_cases(actor):
        tables.append(cases(actor, since, now))
    return tables + review_tables(review)


def may_list_cases(actor) -> bool:
    """The case-by-case handling times go only in a pack made by a designated person (the Headteacher, or a
    senior leader who is the DSL): others read incidents as counts (incidents.trends)."""
    return is_designated(actor)
