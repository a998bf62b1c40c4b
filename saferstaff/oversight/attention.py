"""§2: what needs attention — THE one test, read by the trust's view ("needs help", ``oversight.trust``) and the
governors' report ("what needs your attention", ``oversight.report_pdf``), so the two can never disagree.

It reads a school's figures as plain values (``Measure.values``, or as kept with a review or a report) and gives
one ``Concern`` per threshold crossed, most pressing first: a few words for the trust's table and the question
governors might ask about it. The thresholds are named here and printed on the trust's page (``THRESHOLDS``)."""

from dataclasses import dataclass

from saferstaff.oversight.figures import lowest_consent

ACCEPTANCE_BELOW = 90  # % of the acceptances asked of staff made
CONSENT_BELOW = 80  # % of pupils with consent given, for the use asked about with the fewest
TAKEDOWN_OPEN_DAYS = 7  # days the oldest open takedown has waited

THRESHOLDS = (
    "an allegation was referred to the LADO late, or is overdue for referral",
    "a breach was decided after its 72 hours, or is past them without a decision",
    "a subject access request was answered late, or is past its due date",
    f"a takedown has been open more than {TAKEDOWN_OPEN_DAYS} days",
    "no guidance is published for staff to accept",
    f"staff have made fewer than {ACCEPTANCE_BELOW}% of the acceptances asked of them",
    f"fewer than {CONSENT_BELOW}% of pupils have consent for one of the uses of images asked about",
)


@dataclass(frozen=True)
class Concern:
    key: str  # the figure it is read from
    short: str  # a few words, for the trust's table
    ask: str  # the question governors might ask about it


def _clock(values: dict | None, name: str) -> str | None:
    """A clock figure (LADO, breaches, subject access): overdue now, else missed in the period counted."""
    values = values or {}
    if values.get("overdue"):
        return f"{name} overdue"
    if values.get("late"):
        return f"{name} late"
    return None


def reasons(values: dict[str, dict]) -> tuple[Concern, ...]:
    """Why a school's figures (``values``: {figure key: its values}) need attention, one reason per threshold
    crossed, most pressing first; empty when nothing does. A figure missing from ``values`` crosses nothing."""
    found: list[Concern] = []
    for key, name, ask in (
        ("lado", "LADO referral", "Why was a referral not made within one working day?"),
        ("breaches", "breach decision", "Why was a breach not decided within 72 hours?"),
        ("subject_access", "subject access", "Why was a request not answered on time?"),
    ):
        short = _clock(values.get(key), name)
        if short is not None:
            found.append(Concern(key, short, ask))
    oldest = (values.get("takedowns") or {}).get("oldest_open_days")
    if oldest is not None and oldest > TAKEDOWN_OPEN_DAYS:
        found.append(
            Concern(
                "takedowns", f"takedown open {oldest:g} days", "When will the open takedowns be finished?"
            )
        )
    accepted = values.get("acceptance")
    if accepted is not None and not accepted.get("audience"):
        found.append(
            Concern(
                "acceptance",
                "no guidance published",
                "When will the guidance be published for staff to accept?",
            )
        )
    elif (
        accepted is not None
        and accepted.get("percent") is not None
        and accepted["percent"] < ACCEPTANCE_BELOW
    ):
        found.append(
            Concern(
                "acceptance",
                f"acceptance {accepted['percent']}%",
                "Who is following up the staff who have not accepted, and by when?",
            )
        )
    lowest = lowest_consent(values["consent"]) if "consent" in values else None
    if lowest is not None and lowest < CONSENT_BELOW:
        found.append(
            Concern(
                "consent",
                f"consent {lowest}% for one use",
                "Which pupils' images may not be used, and how do staff know before they take or publish one?",
            )
        )
    return tuple(found)
