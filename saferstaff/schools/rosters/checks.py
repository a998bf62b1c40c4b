"""Checks every format runs on the values it reads, collecting problems instead of stopping at the first."""

from collections.abc import Callable, Iterable

from saferstaff.textcheck.upn import validate_upn

from .records import GuardianRecord, Problems, PupilRecord
from .values import check_length, clean

# The model's column sizes (schools.models): longer values are refused here, not cut short in the database.
NAME_MAX = 100
ID_MAX = 100
TITLE_MAX = 20
PHONE_MAX = 40
RELATIONSHIP_MAX = 40
EMAIL_MAX = 254


def convert[T](
    problems: Problems, where: str, label: str, fn: Callable[[str], T], value: str, default: T
) -> T:
    """``fn(value)``; on ``ValueError`` record "<label> <message>" and return ``default``."""
    try:
        return fn(value)
    except ValueError as error:
        problems.add(where, f"{label} {error}")
        return default


def text(
    problems: Problems, where: str, label: str, value: str | None, limit: int, *, required: bool = False
) -> str:
    result = clean(value)
    if required and not result:
        problems.add(where, f"{label} is blank. Add it in the MIS and export again.")
        return ""
    return convert(problems, where, label, lambda v: check_length(v, limit), result, result[:limit])


def upn(problems: Problems, where: str, value: str | None, *, label: str = "UPN") -> str:
    if not clean(value):
        return ""
    return convert(problems, where, label, validate_upn, value or "", "")


def check_duplicates(pupils: Iterable[PupilRecord], problems: Problems) -> None:
    """Each UPN, and each MIS id, at most once in a file: a pupil listed twice is an export mistake,
    and importing either row would silently drop the other."""
    seen_upn: dict[str, str] = {}
    seen_id: dict[str, str] = {}
    for pupil in pupils:
        if pupil.upn:
            if pupil.upn in seen_upn:
                problems.add(
                    pupil.where,
                    f"UPN '{pupil.upn}' is also used by {seen_upn[pupil.upn]}. Each pupil must appear once "
                    "and each UPN belongs to one pupil: remove the duplicate (or correct the UPN in the "
                    "MIS) and export again.",
                )
            else:
                seen_upn[pupil.upn] = pupil.where
        if pupil.source_id:
            if pupil.source_id in seen_id:
                problems.add(
                    pupil.where,
                    f"MIS id '{pupil.source_id}' is also used by {seen_id[pupil.source_id]}. Each pupil must "
                    "appear once: remove the duplicate and export again.",
                )
            else:
                seen_id[pupil.source_id] = pupil.where


def sort_contacts(guardians: list[GuardianRecord]) -> tuple[GuardianRecord, ...]:
    return tuple(sorted(guardians, key=lambda g: g.contact_order))
