"""What the school dashboard lists as things to do in the conduct room (§3, §4, §6, KCSIE Part 4), for the
person looking: only what is routed to them (the same lists as their Waiting for you page), so a concern
about the Headteacher never shows on the Headteacher's dashboard."""

from saferstaff.access import allowed_for
from saferstaff.conduct.models import ContactPermission, EquipmentPermission
from saferstaff.conduct.registers import (
    concerns_readable_by,
    disclosures_readable_by,
    patterns,
    requests_decided_by,
)
from saferstaff.numbers import counted


def things_to_do(request) -> list[tuple[str, str]]:
    if not allowed_for("conduct_waiting", request.roles):
        return []
    actor, out = request.actor, []
    disclosures = disclosures_readable_by(actor).filter(outcome="").count()
    if disclosures:
        out.append(
            (
                counted(disclosures, "disclosure", "disclosures")
                + " of contact with a pupil waiting for an outcome (§3)",
                "conduct_waiting",
            )
        )
    contact = requests_decided_by(actor, ContactPermission).count()
    if contact:
        out.append(
            (
                counted(contact, "request", "requests")
                + " to contact pupils waiting for your decision (§3, §4)",
                "conduct_waiting",
            )
        )
    equipment = requests_decided_by(actor, EquipmentPermission).count()
    if equipment:
        out.append(
            (
                counted(equipment, "request", "requests")
                + " to use personal equipment waiting for your decision (§6)",
                "conduct_waiting",
            )
        )
    if allowed_for("concern_list", request.roles):
        concerns = concerns_readable_by(actor).filter(outcome="").count()
        if concerns:
            out.append(
                (
                    counted(concerns, "low-level concern", "low-level concerns")
                    + " waiting for an outcome (KCSIE Part 4)",
                    "concern_list",
                )
            )
        with_pattern = sum(1 for p in patterns(actor) if p.prominent)
        if with_pattern:
            out.append(
                (
                    counted(with_pattern, "person has", "people have")
                    + " 3 or more low-level concerns in the last 12 months (KCSIE Part 4)",
                    "concern_list",
                )
            )
    return out
