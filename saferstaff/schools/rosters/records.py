"""What every roster format is parsed into, and how problems with a file are reported.

A parser never touches the database: it turns bytes into a ``ParsedRoster`` or raises ``RosterError``
listing every problem it found (up to ``MAX_PROBLEMS``), each saying where it is, what is wrong and what
the school office should do about it."""

import datetime
from dataclasses import dataclass, field

# More than this many problems and the rest are summarised in one line: a file with 2,000 bad rows
# needs one fix at the source, not a 2,000-line report.
MAX_PROBLEMS = 50

# Field names a roster may carry beyond the required ones. A field that a file does not carry at all
# (no column, no element) is left as it is in saferstaff: an import from a CTF, which has no "adult at
# risk" flag, must not clear the flag a DSL set by hand.
PUPIL_OPTIONAL_FIELDS = frozenset(
    {
        "middle_names",
        "former_surname",
        "preferred_forename",
        "preferred_surname",
        "year_group",
        "adult_at_risk",
        "leaving_date",
    }
)
GUARDIAN_OPTIONAL_FIELDS = frozenset(
    {"title", "forename", "email", "phone", "relationship", "parental_responsibility", "contact_order"}
)


@dataclass(frozen=True)
class GuardianRecord:
    """One of a pupil's contacts as the file gives it. ``relationship``, ``parental_responsibility`` and
    ``contact_order`` describe the link to this pupil; the rest describe the person."""

    surname: str
    forename: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    source_id: str = ""
    relationship: str = ""
    parental_responsibility: bool = False
    contact_order: int = 1
    where: str = ""


@dataclass(frozen=True)
class PupilRecord:
    legal_forename: str
    legal_surname: str
    date_of_birth: datetime.date
    upn: str = ""
    former_upn: str = ""
    source_id: str = ""
    middle_names: str = ""
    former_surname: str = ""
    preferred_forename: str = ""
    preferred_surname: str = ""
    year_group: str = ""
    adult_at_risk: bool = False
    leaving_date: datetime.date | None = None
    guardians: tuple[GuardianRecord, ...] = ()
    # Where the pupil is in the file ("line 14", "Pupil 7 (UPN …)"), for messages and the preview.
    where: str = ""

    @property
    def display_name(self) -> str:
        return (
            f"{self.preferred_forename or self.legal_forename} {self.preferred_surname or self.legal_surname}"
        )


@dataclass(frozen=True)
class ParsedRoster:
    """A whole file, parsed and checked.

    ``pupil_fields`` / ``guardian_fields``: which optional fields the file carries (see above);
    ``guardian_fields`` empty means the file says nothing about contacts, and an import then leaves
    every pupil's contacts as they are. ``partial``: the file says it holds only some of the school's
    pupils (a CTF whose header says ``partial``), so pupils not in it are not leaving. ``source_school``:
    what the file says about the school that
    exported it (a CTF header's URN, LA and establishment number), for a sanity check in the plan."""

    format: str
    pupils: tuple[PupilRecord, ...]
    notes: tuple[str, ...] = ()
    pupil_fields: frozenset[str] = PUPIL_OPTIONAL_FIELDS
    guardian_fields: frozenset[str] = GUARDIAN_OPTIONAL_FIELDS
    source_school: dict[str, str] = field(default_factory=dict)
    partial: bool = False

    @property
    def has_contacts(self) -> bool:
        return bool(self.guardian_fields)


@dataclass(frozen=True)
class RosterProblem:
    where: str  # "line 14", "Pupil 7 (UPN A123…)", "column headers", "file"
    message: str  # what is wrong and what to do, written for a school office

    def __str__(self) -> str:
        where = self.where[:1].upper() + self.where[1:]
        return f"{where}: {self.message}"


class RosterError(Exception):
    """The file cannot be imported. ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[RosterProblem]):
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "the roster cannot be imported"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)

    @classmethod
    def single(cls, where: str, message: str) -> "RosterError":
        return cls([RosterProblem(where, message)])


class Problems:
    """Collects problems while a file is read, keeping the first ``MAX_PROBLEMS`` and counting the rest."""

    def __init__(self, limit: int = MAX_PROBLEMS):
        self.limit = limit
        self.items: list[RosterProblem] = []
        self.dropped = 0
        self._seen: set[tuple[str, str]] = set()

    def add(self, where: str, message: str) -> None:
        if (where, message) in self._seen:
            return  # e.g. a parent shared by siblings, whose bad email would be reported once per child
        self._seen.add((where, message))
        if len(self.items) < self.limit:
            self.items.append(RosterProblem(where, message))
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items) + self.dropped

    def raise_if_any(self) -> None:
        if not self.items:
            return
        items = list(self.items)
        if self.dropped:
            items.append(
                RosterProblem(
                    "file",
                    f"{self.dropped} more problem{'s' if self.dropped != 1 else ''} not listed. "
                    "Fix the ones above (the same fix often clears the rest) and upload the file again.",
                )
            )
        raise RosterError(items)
