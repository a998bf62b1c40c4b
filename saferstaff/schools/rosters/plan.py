"""Working out what an import will change (the preview), then making exactly those changes.

``plan_import`` reads the school's pupils, contacts and links in three queries however long the file is,
and matches the file against them in memory:

* A pupil is the same pupil if the UPN matches; else if the file's former UPN matches (a temporary UPN
  replaced by a permanent one); else if the MIS id (OneRoster ``sourcedId``) matches. Anyone else in the
  file is new. Current pupils of the school who are not in the file are leaving: their leaving date
  becomes today (unless the file says it is partial, as the DfE's CTFs of test results do). A pupil who had
  left and is in the file again is returning. A name that differs only in capitals (the DfE writes names
  in capitals) is not a change.
* A contact is the same person if their ``match_key`` matches (``guardian_match_key``). Two siblings'
  records naming the same parent therefore share one ``Guardian`` row, linked to each child by a
  ``Guardianship`` holding the relationship, parental responsibility and contact order for that child.
* Fields a file does not carry at all are left alone (see ``records.PUPIL_OPTIONAL_FIELDS``); a file
  with no contacts in it leaves every pupil's contacts as they are.
* Warnings (shown in the preview; the import can still be applied): a file from another school, many
  pupils leaving at once, dates of birth two or more school years away from the year group, and pupils
  who will be left with no contacts (consent requests cannot be sent for them).

``apply_plan`` then writes the plan in one transaction with bulk inserts and updates (history kept with
django-simple-history's bulk helpers) and records one ``roster.applied`` audit event with the counts.
Applying the same file twice changes nothing the second time.
"""

import datetime
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from saferstaff.audit.log import record
from saferstaff.schools.access import DATE_OF_BIRTH, NAME, YEAR_GROUP
from saferstaff.schools.models import Guardian, Guardianship, Pupil, School

from .records import GuardianRecord, ParsedRoster, Problems, PupilRecord
from .values import expected_year_index, year_index, year_label

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A pupil may be taught a year above or below their age group; two years or more is worth a second look.
YEAR_GROUP_TOLERANCE = 2
SHOWN_IN_WARNING = 5  # well inside SQLite's limit on query parameters, and Django caps it further if needed
CHANGE_REASON = "roster import"
# Sent by ``apply_plan`` (``school=``, ``pupils=`` the ids of those it added, changed or brought back, or whose
# contacts it changed) inside its transaction, after its writes in bulk (which send no model signals): the rooms
# that keep something worked out from pupils and guardians (consent's kept states) connect.
roster_applied = Signal()

PUPIL_LABELS = {
    "upn": "UPN",
    "source_id": "MIS id",
    "legal_forename": "Legal forename",
    "legal_surname": "Legal surname",
    "middle_names": "Middle names",
    "former_surname": "Former surname",
    "preferred_forename": "Preferred forename",
    "preferred_surname": "Preferred surname",
    "date_of_birth": "Date of birth",
    "year_group": "Year group",
    "adult_at_risk": "Adult at risk",
    "leaving_date": "Leaving date",
}
GUARDIAN_LABELS = {
    "source_id": "MIS id",
    "title": "Title",
    "forename": "Forename",
    "surname": "Surname",
    "email": "Email",
    "phone": "Phone",
}
LINK_FIELDS = ("relationship", "parental_responsibility", "contact_order")


def _norm(value: str) -> str:
    return " ".join(value.split()).lower()


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("44") and len(digits) > 10:
        digits = "0" + digits[2:]
    return digits


def guardian_match_key(guardian: GuardianRecord, pupil: PupilRecord) -> str:
    """How a contact is recognised from one import to the next: the SHA-256 (hex) of

    * ``id|<source id>`` when the MIS gives the contact an id (OneRoster ``sourcedId``, a CSV 'Contact 1 Id');
    * otherwise ``forename|surname|email`` — lower-cased, spaces collapsed — or the phone number (digits
      only, +44 written as 0) in place of the email when there is none. Siblings whose records name
      the same parent with the same email or phone therefore share one Guardian;
    * with neither email nor phone, the pupil's UPN (or MIS id) takes their place, so two different
      people who share a name and have no contact details are never merged into one — at the cost that
      such a parent is held once per child.

    A contact with no id whose email or phone changes in the MIS is still the same Guardian when they keep
    their name and were already that pupil's contact (``_same_person``): the key is then written anew. One
    whose name changes is a new Guardian (the old one keeps its history and loses its link): a new name with
    a known email may be another person of the same household. Only the hash is stored as the key."""
    if guardian.source_id:
        basis = f"id|{guardian.source_id.strip()}"
    else:
        reach = guardian.email.strip().lower() or normalise_phone(guardian.phone)
        if not reach:
            reach = f"pupil:{pupil.upn or 'id:' + pupil.source_id}"
        basis = "|".join((_norm(guardian.forename), _norm(guardian.surname), reach))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


# --- The plan ---------------------------------------------------------------------------------------


class PlanWarning(str):
    """A warning's full text. ``reveals``: the need-to-know fields of pupils it shows (schools/access.py);
    ``without_them``: the same warning for someone who may not see those (§8)."""

    def __new__(cls, text: str, *, reveals: frozenset[str] = frozenset(), without_them: str = ""):
        warning = super().__new__(cls, text)
        warning.reveals, warning.without_them = reveals, without_them
        return warning


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class PupilChange:
    """One pupil in the preview. ``pupil`` carries the values it will have once applied (a new pupil is
    not saved yet); ``changes`` the fields that differ from what saferstaff holds now."""

    pupil: Pupil
    where: str = ""  # where the pupil is in the file ("line 14"); blank for leavers
    changes: tuple[FieldChange, ...] = ()

    @property
    def display_name(self) -> str:
        return self.pupil.display_name

    @property
    def upn(self) -> str:
        return self.pupil.upn

    @property
    def year_group(self) -> str:
        return self.pupil.year_group

    @property
    def date_of_birth(self) -> datetime.date:
        return self.pupil.date_of_birth

    @property
    def changed_fields(self) -> list[str]:
        return [c.field for c in self.changes]


@dataclass
class GuardianChange:
    guardian: Guardian
    changes: tuple[FieldChange, ...] = ()


@dataclass
class LinkChange:
    pupil: Pupil
    guardian: Guardian
    relationship: str
    parental_responsibility: bool
    contact_order: int
    link: Guardianship | None = None  # the existing link, for an update
    changes: tuple[FieldChange, ...] = ()


@dataclass
class ImportPlan:
    school: School
    format: str
    today: datetime.date
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new: list[PupilChange] = field(default_factory=list)
    updated: list[PupilChange] = field(default_factory=list)
    returning: list[PupilChange] = field(default_factory=list)
    leaving: list[PupilChange] = field(default_factory=list)
    unchanged: int = 0
    guardians_new: list[Guardian] = field(default_factory=list)
    guardians_updated: list[GuardianChange] = field(default_factory=list)
    links_new: list[LinkChange] = field(default_factory=list)
    links_updated: list[LinkChange] = field(default_factory=list)
    links_removed: list[Guardianship] = field(default_factory=list)
    pupils_in_file: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "returning": len(self.returning),
            "leaving": len(self.leaving),
            "unchanged": self.unchanged,
            "guardians_new": len(self.guardians_new),
            "guardians_updated": len(self.guardians_updated),
            "links_new": len(self.links_new),
            "links_updated": len(self.links_updated),
            "links_removed": len(self.links_removed),
        }

    @property
    def has_changes(self) -> bool:
        counts = self.counts()
        return any(value for key, value in counts.items() if key != "unchanged")


def _pupil_values(record: PupilRecord, fields: frozenset[str]) -> dict[str, Any]:
    values = {
        "legal_forename": record.legal_forename,
        "legal_surname": record.legal_surname,
        "date_of_birth": record.date_of_birth,
    }
    for name in fields:
        values[name] = getattr(record, name)
    return values


def _diff(instance, values: dict[str, Any], labels: dict[str, str]) -> tuple[FieldChange, ...]:
    changes = []
    for name, new in values.items():
        old = getattr(instance, name)
        if (
            isinstance(new, str)
            and new.isupper()
            and isinstance(old, str)
            and old.casefold() == new.casefold()
        ):
            continue  # "NOWAK" for "Nowak": the same name in capitals, as DfE files write names
        if old != new:
            changes.append(FieldChange(name, labels.get(name, name), old, new))
    return tuple(changes)


def _is_current(pupil: Pupil, today: datetime.date) -> bool:
    # As Pupil.is_current / PupilQuerySet.current, but on the plan's date.
    return pupil.leaving_date is None or pupil.leaving_date > today


def plan_import(school: School, parsed: ParsedRoster, *, today: datetime.date | None = None) -> ImportPlan:
    """Compare ``parsed`` with what saferstaff holds for ``school``. Reads the database (three queries,
    whatever the size of the file) but writes nothing. Raises ``RosterError`` if the file contradicts
    the records in a way the school must sort out first (one MIS id on two pupils)."""
    today = today or timezone.localdate()
    plan = ImportPlan(school=school, format=parsed.format, today=today, notes=list(parsed.notes))
    plan.pupils_in_file = len(parsed.pupils)
    problems = Problems()

    existing = list(Pupil.objects.filter(school=school))
    current_before = sum(1 for p in existing if _is_current(p, today))
    by_upn = {p.upn: p for p in existing if p.upn}
    by_source_id = {p.source_id: p for p in existing if p.source_id}
    claimed: dict[int, str] = {}  # pupil pk -> where in the file
    pupil_for_record: list[tuple[PupilRecord, Pupil]] = []

    for rec in parsed.pupils:
        pupil = by_upn.get(rec.upn) if rec.upn else None
        if pupil is None and rec.former_upn:
            pupil = by_upn.get(rec.former_upn)
        if pupil is None and rec.source_id:
            pupil = by_source_id.get(rec.source_id)
        values = _pupil_values(rec, parsed.pupil_fields)
        if pupil is None:
            pupil = Pupil(school=school, upn=rec.upn, source_id=rec.source_id, **values)
            plan.new.append(PupilChange(pupil, rec.where))
            pupil_for_record.append((rec, pupil))
            continue
        if pupil.pk in claimed:
            problems.add(
                rec.where,
                f"is the same pupil in saferstaff as {claimed[pupil.pk]} (their UPN, former UPN or MIS id "
                "match). Check both pupils' UPNs in the MIS and export again.",
            )
            continue
        claimed[pupil.pk] = rec.where
        owner = by_source_id.get(rec.source_id) if rec.source_id else None
        if owner is not None and owner.pk != pupil.pk:
            problems.add(
                rec.where,
                f"has MIS id '{rec.source_id}', which saferstaff holds for a different pupil (UPN "
                f"{owner.upn or 'none'}). Check the UPN and MIS id in the MIS and export again.",
            )
            continue
        if rec.upn:
            values["upn"] = rec.upn
        if rec.source_id:
            values["source_id"] = rec.source_id
        was_current = _is_current(pupil, today)
        if "leaving_date" not in parsed.pupil_fields and not was_current:
            values["leaving_date"] = None  # on the roll again
        changes = _diff(pupil, values, PUPIL_LABELS)
        pupil_for_record.append((rec, pupil))
        if not changes:
            plan.unchanged += 1
            continue
        for change in changes:
            setattr(pupil, change.field, change.new)
        item = PupilChange(pupil, rec.where, changes)
        (plan.returning if not was_current and _is_current(pupil, today) else plan.updated).append(item)

    if parsed.partial:
        plan.notes.append(
            "This CTF says it is a partial transfer (only some of the school's pupils), so pupils who are not "
            "in it are left as they are, not marked as leaving."
        )
    for pupil in existing:
        if pupil.pk not in claimed and _is_current(pupil, today) and not parsed.partial:
            change = FieldChange("leaving_date", PUPIL_LABELS["leaving_date"], pupil.leaving_date, today)
            pupil.leaving_date = today
            plan.leaving.append(PupilChange(pupil, "", (change,)))

    if parsed.has_contacts:
        _plan_contacts(plan, parsed, pupil_for_record)
    problems.raise_if_any()
    _add_warnings(plan, parsed, current_before)
    _warn_about_year_groups(plan, parsed)
    _warn_about_missing_contacts(plan, parsed, pupil_for_record)
    return plan


def _plan_contacts(
    plan: ImportPlan, parsed: ParsedRoster, pupil_for_record: list[tuple[PupilRecord, Pupil]]
) -> None:
    school = plan.school
    gfields = parsed.guardian_fields
    guardians = {g.match_key: g for g in Guardian.objects.filter(school=school)}
    guardian_by_id = {g.pk: g for g in guardians.values()}
    links_by_pupil: dict[int, dict[int, Guardianship]] = {}
    for link in Guardianship.objects.filter(school=school):
        links_by_pupil.setdefault(link.pupil_id, {})[link.guardian_id] = link

    planned: dict[str, Guardian] = {}  # match key -> the Guardian the file's contact becomes
    for rec, pupil in pupil_for_record:
        seen_keys: set[str] = set()
        current_links = links_by_pupil.get(pupil.pk, {}) if pupil.pk else {}
        for grec in rec.guardians:
            key = guardian_match_key(grec, rec)
            if key in seen_keys:
                continue  # the same person listed twice for one child: the first (lowest order) wins
            seen_keys.add(key)
            guardian = planned.get(key)
            if guardian is None:
                existing = guardians.get(key) or _same_person(
                    grec, rec, current_links, guardian_by_id, planned
                )
                guardian = _plan_guardian(plan, grec, key, existing, gfields)
                planned[key] = guardian
            link = current_links.get(guardian.pk) if guardian.pk else None
            relationship = (
                grec.relationship if "relationship" in gfields else (link.relationship if link else "")
            )
            responsibility = (
                grec.parental_responsibility
                if "parental_responsibility" in gfields
                else (link.parental_responsibility if link else False)
            )
            order = grec.contact_order if "contact_order" in gfields else (link.contact_order if link else 1)
            wanted = LinkChange(pupil, guardian, relationship, responsibility, order, link)
            if link is None:
                plan.links_new.append(wanted)
                continue
            changes = _diff(
                link,
                {"relationship": relationship, "parental_responsibility": responsibility, "contact_order": order},
                {"relationship": "Relationship", "parental_responsibility": "Parental responsibility",
                 "contact_order": "Contact order"},
            )  # fmt: skip
            if changes:
                wanted.changes = changes
                plan.links_updated.append(wanted)
        for guardian_id, link in current_links.items():
            kept = guardian_by_id.get(guardian_id)
            if kept is None or kept.match_key not in seen_keys:
                plan.links_removed.append(link)


def _same_person(
    grec: GuardianRecord, rec: PupilRecord, current_links, guardian_by_id, planned
) -> Guardian | None:
    """The pupil's current contact that a contact in the file matching no key is, with a new email or phone:
    the one contact of this pupil with the same name that no other contact in the record matches and no
    other contact took already — or None (then a new Guardian). Their consent answers stay theirs."""
    name = (_norm(grec.forename), _norm(grec.surname))
    taken = {guardian_match_key(g, rec) for g in rec.guardians} | {g.match_key for g in planned.values()}
    candidates = [
        guardian
        for guardian in (guardian_by_id.get(pk) for pk in current_links)
        if guardian is not None
        and guardian.match_key not in taken
        and (_norm(guardian.forename), _norm(guardian.surname)) == name
    ]
    return candidates[0] if len(candidates) == 1 else None


def _plan_guardian(plan, grec: GuardianRecord, key: str, existing: Guardian | None, gfields) -> Guardian:
    values = {"surname": grec.surname}
    for name in ("title", "forename", "email", "phone"):
        if name in gfields:
            values[name] = getattr(grec, name)
    if grec.source_id:
        values["source_id"] = grec.source_id
    if existing is None:
        guardian = Guardian(school=plan.school, match_key=key, **values)
        plan.guardians_new.append(guardian)
        return guardian
    changes = _diff(existing, values, GUARDIAN_LABELS)
    rekeyed = existing.match_key != key  # their email or phone changed (``_same_person``)
    existing.match_key = key
    if changes or rekeyed:
        for change in changes:
            setattr(existing, change.field, change.new)
        plan.guardians_updated.append(GuardianChange(existing, changes))
    return existing


def _add_warnings(plan: ImportPlan, parsed: ParsedRoster, current_before: int) -> None:
    school = plan.school
    source = parsed.source_school
    if source.get("urn"):
        other = source["urn"] != school.urn
        said = f"URN {source['urn']}"
    elif source.get("la_number"):
        laestab = f"{source['la_number']}{source.get('establishment_number', '')}"
        other = laestab != school.laestab
        said = f"LA/establishment number {laestab}"
    else:
        other = False
    if other:
        plan.warnings.append(
            f"This file was exported by another school ({said}; this school's URN is {school.urn}). "
            "Importing it treats it as this school's whole pupil list. Only continue if that is right."
        )
    if plan.leaving and len(plan.leaving) >= max(5, current_before // 5):
        plan.warnings.append(
            f"{len(plan.leaving)} of the school's {current_before} current pupils are not in this file and "
            "will be marked as leaving today. If the file is not the whole school's list (one year group, "
            "or an incoming CTF from another school), do not apply it."
        )


def _some(items: list[str]) -> str:
    shown = "; ".join(items[:SHOWN_IN_WARNING])
    return shown + (f"; and {len(items) - SHOWN_IN_WARNING} more" if len(items) > SHOWN_IN_WARNING else "")


def _warn_about_year_groups(plan: ImportPlan, parsed: ParsedRoster) -> None:
    """Dates of birth two or more school years away from the year group (a Reception pupil aged 9) are
    usually a mistake in the MIS: a warning, not an error, as some pupils are taught out of their year."""
    if "year_group" not in parsed.pupil_fields:
        return
    odd = []
    for rec in parsed.pupils:
        actual = year_index(rec.year_group)
        if actual is None:
            continue
        expected = expected_year_index(rec.date_of_birth, plan.today)
        if abs(actual - expected) < YEAR_GROUP_TOLERANCE or (actual >= 12 and expected > actual):
            continue  # post-16 provision may be for older pupils
        born = rec.date_of_birth
        odd.append(
            f"{rec.where}: {rec.display_name}, {year_label(actual)}, born {born.day} {born:%B %Y} "
            f"(their age group is {year_label(expected)})"
        )
    if odd:
        whose = f"{len(odd)} pupils'" if len(odd) != 1 else "1 pupil's"
        advice = (
            "One of the two is probably wrong in the MIS: check them there. You can still apply the import."
        )
        plan.warnings.append(
            PlanWarning(
                f"{whose} date of birth and year group do not fit together ({_some(odd)}). {advice}",
                reveals=frozenset({NAME, YEAR_GROUP, DATE_OF_BIRTH}),
                without_them=f"{whose} date of birth and year group do not fit together. {advice}",
            )
        )


def _warn_about_missing_contacts(
    plan: ImportPlan, parsed: ParsedRoster, pupil_for_record: list[tuple[PupilRecord, Pupil]]
) -> None:
    """Pupils who will have no contact at all once the import is applied: consent requests cannot be sent
    for them. (A file without contacts leaves contacts already in saferstaff as they are.)"""
    if parsed.has_contacts:  # a pupil listed without contacts loses any they had
        without = [rec for rec, _pupil in pupil_for_record if not rec.guardians]
    else:
        known = [pupil.pk for _rec, pupil in pupil_for_record if pupil.pk]
        with_links = set(
            Guardianship.objects.filter(school=plan.school, pupil_id__in=known).values_list(
                "pupil_id", flat=True
            )
        )
        without = [rec for rec, pupil in pupil_for_record if pupil.pk not in with_links]
    if not without:
        return
    end = (
        ", so consent requests cannot be sent for them. Export the pupil list again with contacts included (or "
        "add the contacts in the MIS first). You can still apply the import."
    )
    if len(without) == len(parsed.pupils) and not parsed.has_contacts:
        start = (
            "This file has no contacts (parents and carers) in it, and none of its pupils has any in "
            "saferstaff"
        )
        plan.warnings.append(PlanWarning(start + end))
    else:
        names = [f"{rec.where}: {rec.display_name}" for rec in without]
        start = (
            f"{len(without)} of the {len(parsed.pupils)} pupils in this file will have no contacts (parents "
            "or carers) in saferstaff"
        )
        plan.warnings.append(
            PlanWarning(f"{start} ({_some(names)}){end}", reveals=frozenset({NAME}), without_them=start + end)
        )


# --- Applying it ------------------------------------------------------------------------------------


def apply_plan(plan: ImportPlan, *, by_user=None, roster_import=None) -> dict[str, int]:
    """Write the plan in one transaction: all of it, or (on any error) none of it. Records one
    ``roster.applied`` audit event about ``roster_import`` (or the school) with the counts."""
    counts = plan.counts()
    now = timezone.now()
    history = {"default_user": by_user, "default_change_reason": CHANGE_REASON, "default_date": now}
    with transaction.atomic():
        new_pupils = [c.pupil for c in plan.new]
        if new_pupils:
            bulk_create_with_history(new_pupils, Pupil, batch_size=BATCH_SIZE, **history)
        changed = plan.updated + plan.returning
        if changed:
            fields = sorted({f for c in changed for f in c.changed_fields} | {"updated_at"})
            for c in changed:
                c.pupil.updated_at = now
            bulk_update_with_history(
                [c.pupil for c in changed], Pupil, fields, batch_size=BATCH_SIZE, **history
            )
        if plan.leaving:
            for c in plan.leaving:
                c.pupil.updated_at = now
            bulk_update_with_history(
                [c.pupil for c in plan.leaving],
                Pupil,
                ["leaving_date", "updated_at"],
                batch_size=BATCH_SIZE,
                **history,
            )

        if plan.guardians_new:
            bulk_create_with_history(plan.guardians_new, Guardian, batch_size=BATCH_SIZE, **history)
        if plan.guardians_updated:
            fields = sorted(
                {c.field for g in plan.guardians_updated for c in g.changes} | {"match_key", "updated_at"}
            )
            for g in plan.guardians_updated:
                g.guardian.updated_at = now
            bulk_update_with_history(
                [g.guardian for g in plan.guardians_updated],
                Guardian,
                fields,
                batch_size=BATCH_SIZE,
                **history,
            )

        if plan.links_removed:
            # One at a time through the ORM so each removal is in the history (it is rare: a contact
            # taken off a pupil's record in the MIS).
            for start in range(0, len(plan.links_removed), BATCH_SIZE):
                batch = plan.links_removed[start : start + BATCH_SIZE]
                Guardianship.objects.filter(pk__in=[link.pk for link in batch]).delete()
        if plan.links_new:
            links = [
                Guardianship(
                    school=plan.school,
                    pupil=c.pupil,
                    guardian=c.guardian,
                    relationship=c.relationship,
                    parental_responsibility=c.parental_responsibility,
                    contact_order=c.contact_order,
                )
                for c in plan.links_new
            ]
            bulk_create_with_history(links, Guardianship, batch_size=BATCH_SIZE, **history)
        if plan.links_updated:
            for c in plan.links_updated:
                c.link.relationship = c.relationship
                c.link.parental_responsibility = c.parental_responsibility
                c.link.contact_order = c.contact_order
            bulk_update_with_history(
                [c.link for c in plan.links_updated],
                Guardianship,
                list(LINK_FIELDS),
                batch_size=BATCH_SIZE,
                **history,
            )

        touched = {
            c.pupil.pk
            for c in (*plan.new, *plan.updated, *plan.returning, *plan.links_new, *plan.links_updated)
        }
        touched |= {link.pupil_id for link in plan.links_removed}
        roster_applied.send(sender=ImportPlan, school=plan.school, pupils=touched)
        target = roster_import if roster_import is not None else ("schools.school", plan.school.pk)
        record(
            "roster.applied",
            target,
            school=plan.school,
            actor=by_user,
            detail=counts,
        )
    logger.info(
        "roster applied school=%s import=%s %s",
        plan.school.pk,
        getattr(roster_import, "pk", None),
        " ".join(f"{k}={v}" for k, v in counts.items()),
    )
    return counts
